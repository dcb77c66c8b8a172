"""Request and response models of the REST API (they make the OpenAPI schema useful)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from hoasen.store.db import Source, StoredArticle

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing. `total` is null where counting would cost a full ranking (search
    with more results than the page shows)."""

    items: list[T]
    total: int | None
    limit: int
    offset: int


class ArticleSummary(BaseModel):
    """An article as listed."""

    id: int
    title: str
    language: str | None
    language_confidence: float | None
    url: str | None
    source_url: str | None
    author: str | None
    published: datetime | None
    published_source: str | None = None
    fetched: datetime
    source: str | None
    duplicate_of: int | None

    @classmethod
    def of(cls, a: StoredArticle) -> ArticleSummary:
        """From a stored article."""
        return cls(
            id=a.id,
            title=a.title,
            language=a.language,
            language_confidence=a.language_confidence,
            url=a.url,
            source_url=a.source_url,
            author=a.author,
            published=a.published,
            published_source=a.published_source,
            fetched=a.fetched,
            source=a.source_name,
            duplicate_of=a.duplicate_of,
        )


class Mention(BaseModel):
    """One entity mention; start/end are offsets into the article's text."""

    entity_id: str | None
    text: str
    type: str
    start: int
    end: int


class EntityCount(BaseModel):
    """A linked entity and how much it is covered."""

    id: str
    name: str
    type: str | None
    articles: int
    mentions: int


class Figure(BaseModel):
    """A key figure found in an article."""

    article_id: int
    text: str
    value: float
    unit: str | None
    scale: str | None
    subject: str | None


class Topic(BaseModel):
    """A topic of an article with its score."""

    topic: str
    score: float


class ArticleDetail(ArticleSummary):
    """An article with its clean text and what the analysis found in it."""

    text: str
    canonical_url: str | None
    story: int | None
    duplicates: list[int]
    entities: list[EntityCount]
    mentions: list[Mention]
    figures: list[Figure]
    topics: list[Topic]


class SearchResult(BaseModel):
    """One search hit: the article, a snippet with «highlighted» words and its score."""

    id: int
    title: str
    language: str | None
    snippet: str
    score: float
    published: datetime | None
    url: str | None


class Story(BaseModel):
    """A story: articles about the same event, across languages and sources."""

    id: int
    title: str
    title_language: str | None
    articles: list[int]
    languages: list[str]
    sources: list[str]
    countries: list[str]
    first_seen: datetime
    last_seen: datetime


class StoryDetail(Story):
    """A story with its articles, the entities they name and their key figures."""

    article_list: list[ArticleSummary]
    entities: list[EntityCount]
    figures: list[Figure]


class EntityArticle(BaseModel):
    """An article mentioning an entity."""

    id: int
    title: str
    language: str | None
    source: str | None
    published: str
    url: str | None
    mentions: int


class EntityReport(BaseModel):
    """An entity, its names per language, how articles wrote it and the articles."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str
    kind: str
    country: str
    status: str
    successor: str | None
    names: dict[str, str]
    aliases: dict[str, list[str]]
    former: list[dict[str, Any]]
    seen_as: list[dict[str, Any]]
    articles: list[EntityArticle]


class ReportPeriod(BaseModel):
    """First and last day of a report (office time zone)."""

    from_: str = Field(alias="from")
    to: str

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ReportEntry(BaseModel):
    """One report of the register, with where to download each format."""

    number: str
    kind: str
    period: ReportPeriod
    language: str
    title: str | None
    articles: int
    generated_by: str
    created: datetime
    formats: list[str]
    downloads: dict[str, str]


class ReportFiltersIn(BaseModel):
    """What a report covers besides its period; empty means everything."""

    model_config = ConfigDict(extra="forbid")

    query: str | None = None
    topics: list[str] = []
    entities: list[str] = []
    partners: list[str] = []
    countries: list[str] = []
    languages: list[str] = []
    sources: list[str] = []


class ReportCreate(BaseModel):
    """Make a report: a kind and a day (`date`) or a custom period (`from`/`to`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: Literal["daily", "weekly", "monthly", "thematic"]
    date: dt.date | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    filters: ReportFiltersIn = ReportFiltersIn()
    language: Literal["vi", "en"] | None = None
    title: str | None = Field(default=None, max_length=300)


class SourceOut(BaseModel):
    """A monitored source with its health."""

    id: int
    name: str
    url: str
    kind: str
    country: str | None
    language: str | None
    foreign: bool
    partner: bool
    poll_minutes: int
    last_polled: datetime | None
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int

    @classmethod
    def of(cls, s: Source) -> SourceOut:
        """From a stored source."""
        return cls(
            id=s.id,
            name=s.name,
            url=s.url,
            kind=s.kind,
            country=s.country,
            language=s.language,
            foreign=s.foreign,
            partner=s.partner,
            poll_minutes=s.poll_minutes,
            last_polled=s.last_polled,
            last_success=s.last_success,
            last_error=s.last_error,
            consecutive_failures=s.consecutive_failures,
        )


class SourceCreate(BaseModel):
    """A new source to monitor."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1)
    kind: Literal["feed", "site"] = "feed"
    country: str | None = Field(default=None, min_length=2, max_length=2)
    language: str | None = Field(default=None, max_length=8)
    foreign: bool = False
    partner: bool = False
    poll_minutes: int | None = Field(default=None, ge=1)


class SourcePatch(BaseModel):
    """Fields of a source to change; the others stay."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = None
    kind: Literal["feed", "site"] | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)
    language: str | None = Field(default=None, max_length=8)
    foreign: bool | None = None
    partner: bool | None = None
    poll_minutes: int | None = Field(default=None, ge=1)


class IngestRequest(BaseModel):
    """Pages and feeds to fetch and ingest in the background."""

    model_config = ConfigDict(extra="forbid")

    urls: list[str] = Field(default=[], max_length=500)
    feeds: list[str] = Field(default=[], max_length=100)
    source: str | None = None


class JobAccepted(BaseModel):
    """A background job was queued: poll GET /api/v1/ingest/{job} for its status."""

    job: int
    status: str
    url: str


class ItemErrorOut(BaseModel):
    """One input that was not ingested, and why."""

    input: str
    reason: str


class JobResult(BaseModel):
    """What an ingest job did."""

    ingested: int = 0
    duplicates: int = 0
    skipped: int = 0
    analyzed: int = 0
    caught_up: int = 0
    behind: int = 0
    errors: list[ItemErrorOut] = []


class JobStatus(BaseModel):
    """A background ingest job: queued, running, done or failed."""

    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    input: dict[str, Any]
    result: JobResult | None
    error: str | None
    submitted_by: int | None
    created: datetime
    started: datetime | None
    finished: datetime | None
