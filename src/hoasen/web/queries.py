"""Store queries the REST API needs that the Store does not offer yet: filtered, counted article
listings, an article's duplicates and editing a source in place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import UsageError
from hoasen.store import schema
from hoasen.store.db import Source, Store, StoredArticle

SOURCE_FIELDS = ("name", "url", "kind", "country", "language", "foreign", "partner", "poll_minutes")


@dataclass(frozen=True)
class ArticleFilters:
    """Which articles a listing shows; None means no restriction."""

    language: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_duplicates: bool = False


def list_articles(
    store: Store, filters: ArticleFilters, limit: int, offset: int
) -> tuple[list[StoredArticle], int]:
    """One page of articles passing `filters`, newest first, and how many pass in all."""
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


def duplicates_of(store: Store, article_id: int) -> list[int]:
    """Ids of the articles recorded as copies of `article_id`."""
    a = schema.articles.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(a.id).where(a.duplicate_of == article_id).order_by(a.id))
        return [int(i) for i in rows.scalars()]


def update_source(store: Store, name: str, changes: Mapping[str, Any]) -> Source:
    """Change some fields of a source (its name too); the same checks as adding one."""
    current = store.get_source(name)
    unknown = sorted(set(changes) - set(SOURCE_FIELDS))
    if unknown:
        raise UsageError(f"sources have no field {', '.join(unknown)}")
    values = dict(changes)
    _check_source(values)
    if not values:
        return current
    s = schema.sources
    try:
        with store.begin() as conn:
            conn.execute(update(s).where(s.c.id == current.id).values(**values))
    except IntegrityError as exc:
        raise UsageError("another source already has that name or URL") from exc
    return store.get_source(str(values.get("name", name)))


def _check_source(values: dict[str, Any]) -> None:
    """Validate (and normalise, in place) source fields as `Store.add_source` does."""
    if "name" in values and not str(values["name"]).strip():
        raise UsageError("a source needs a name")
    if "kind" in values and values["kind"] not in {"feed", "site"}:
        raise UsageError(f"source kind must be 'feed' or 'site', not {values['kind']!r}")
    url = values.get("url")
    if "url" in values and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise UsageError(f"source URL must start with http:// or https://: {url!r}")
    country = values.get("country")
    if country is not None:
        if len(country) != 2 or not country.isalpha():
            raise UsageError(f"country must be a two-letter code such as VN or CN, not {country!r}")
        values["country"] = country.upper()
    if "poll_minutes" in values and int(values["poll_minutes"]) < 1:
        raise UsageError("poll interval must be at least one minute")


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, like the search filters do."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
