"""Plain data passed between stages: raw inputs, extracted articles, run reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RawInput:
    """One item as it arrived, before any parsing: bytes plus where they came from.

    `origin` names the item for error reports (a path, `path#line`, or a URL). `fmt` is the
    format parser to use ("html", "txt", "json"), decided by the transport from name/headers.
    """

    origin: str
    data: bytes
    fmt: str
    url: str | None = None
    content_type: str | None = None
    fetched: datetime | None = None
    source_name: str | None = None
    hints: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None  # the HTTP Last-Modified header, when one came


@dataclass
class Article:
    """A clean article, ready to store. `language` is ISO 639-1."""

    title: str
    text: str
    language: str | None = None
    language_confidence: float | None = None
    url: str | None = None
    canonical_url: str | None = None
    source_url: str | None = None
    author: str | None = None
    published: datetime | None = None
    fetched: datetime | None = None
    source_name: str | None = None
    # Where `published` came from: "page" (metadata or dateline), "feed", "input" (the sender's
    # JSON field), "http" (Last-Modified), or "first_seen" when nothing said (an estimate).
    published_source: str | None = None

    def as_extract_json(self) -> dict[str, object]:
        """The `hoasen extract --json` document."""
        return {
            "title": self.title,
            "text": self.text,
            "language": self.language,
            "published": self.published.isoformat() if self.published else None,
            "published_source": self.published_source,
            "url": self.url,
            "source_url": self.source_url,
            "author": self.author,
        }


@dataclass(frozen=True)
class ItemError:
    """One input that was not ingested, with the reason in plain words."""

    input: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest or fetch run did. `skipped` counts inputs already in the database."""

    ingested: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: list[ItemError] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)
    analyzed: int = 0
    caught_up: int = 0  # older articles whose missing or stale stages this run redid
    behind: int = 0  # articles still waiting for a stage after this run

    def merge(self, other: IngestReport) -> None:
        """Add another report's counts into this one."""
        self.ingested += other.ingested
        self.duplicates += other.duplicates
        self.skipped += other.skipped
        self.errors.extend(other.errors)
        self.article_ids.extend(other.article_ids)
        self.analyzed += other.analyzed
        self.caught_up += other.caught_up
        self.behind = other.behind

    def as_json(self) -> dict[str, object]:
        """The `ingest --json` / `fetch --json` document."""
        return {
            "ingested": self.ingested,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "analyzed": self.analyzed,
            "caught_up": self.caught_up,
            "behind": self.behind,
            "errors": [{"input": e.input, "reason": e.reason} for e in self.errors],
        }
