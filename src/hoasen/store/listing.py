"""Filtered, counted article listings (newest first): `hoasen articles` and the API's
`/articles`. The Store's own `list_articles` is the unfiltered case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, or_, select

from hoasen.errors import UsageError
from hoasen.store import schema
from hoasen.store.db import Store, StoredArticle


@dataclass(frozen=True)
class ArticleFilters:
    """Which articles a listing shows; None means no restriction."""

    language: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_duplicates: bool = False


def find_articles(
    store: Store, filters: ArticleFilters, limit: int, offset: int = 0
) -> tuple[list[StoredArticle], int]:
    """One page of articles passing `filters`, newest first, and how many pass in all."""
    if limit < 0 or offset < 0:
        raise UsageError("the limit and the offset cannot be negative")
    a = schema.articles.c
    where = _where(store, filters)
    when = func.coalesce(a.published, a.fetched)
    ids_query = select(a.id).where(*where).order_by(when.desc(), a.id.desc())
    count_query = select(func.count()).select_from(schema.articles).where(*where)
    with store.engine.connect() as conn:
        total = int(conn.execute(count_query).scalar() or 0)
        ids = [int(i) for i in conn.execute(ids_query.limit(limit).offset(offset)).scalars()]
    return store.get_articles(ids), total


def _where(store: Store, filters: ArticleFilters) -> list[ColumnElement[bool]]:
    a = schema.articles.c
    since, until = _utc(filters.since), _utc(filters.until)
    if since is not None and until is not None and since > until:
        raise UsageError("the start date (since) is after the end date (until)")
    where: list[ColumnElement[bool]] = []
    if not filters.include_duplicates:
        where.append(a.duplicate_of.is_(None))
    if filters.language:
        lang = filters.language.lower()
        where.append(or_(func.lower(a.language) == lang, func.lower(a.language).like(lang + "-%")))
    if filters.source is not None:
        where.append(a.source_id == store.get_source(filters.source).id)
    when = func.coalesce(a.published, a.fetched)
    if since is not None:
        where.append(when >= since)
    if until is not None:
        where.append(when <= until)
    return where


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, like the search filters do."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
