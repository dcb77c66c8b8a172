"""A plan's selection turned into the articles of one package: editors' picks first, then the
period's articles matching the plan (search words, any of its topics, entities and sources),
newest first; never a version the partner already has or is about to get, never a near-duplicate
(an article the dedupe stage linked to an original, or the same text twice); at most `max`.

An article's version is its content hash: an article whose text changed is a new version and
goes again; the same text never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from hoasen.exchange.plans import Selection
from hoasen.store import schema
from hoasen.store.exchange import ExchangeStore

if TYPE_CHECKING:
    from hoasen.desk import Desk

_CHUNK = 500


@dataclass(frozen=True)
class Candidate:
    """An article that may go: its id and version (content hash)."""

    id: int
    version: str


@dataclass
class Selected:
    """What a selection found: the articles in order, and what was left out and why."""

    articles: list[Candidate] = field(default_factory=list)
    matched: int = 0  # articles of the period matching the plan, before exclusions
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        """The article ids in package order."""
        return [c.id for c in self.articles]


def select_articles(
    desk: Desk,
    rows: ExchangeStore,
    selection: Selection,
    partner_id: int,
    since: datetime,
    until: datetime,
) -> Selected:
    """The articles of one package for the partner, in order (see the module's docstring)."""
    out = Selected()
    gone = rows.sent_versions(partner_id)
    pending = rows.pending_articles(partner_id)
    seen_versions: set[str] = set()
    picked: set[int] = set()

    def take(c: Candidate) -> bool:
        if (c.id, c.version) in gone or (c.id, c.version) in pending or c.version in seen_versions:
            return False
        out.articles.append(c)
        seen_versions.add(c.version)
        picked.add(c.id)
        return True

    picks = _articles(desk, selection.picks)
    for article_id in selection.picks:
        found = picks.get(article_id)
        if found is None:
            out.notes.append(f"picked article {article_id} is not stored")
            continue
        candidate, original = found
        if original is not None and original in picked:
            out.notes.append(f"picked article {article_id} repeats article {original}")
        elif (candidate.id, candidate.version) in gone:
            out.notes.append(f"picked article {article_id} was already sent in this version")
        elif (candidate.id, candidate.version) in pending:
            out.notes.append(f"picked article {article_id} is already in a package on its way")
        elif not take(candidate):
            out.notes.append(f"picked article {article_id} repeats another picked article")
    matches = _matches(desk, selection, since, until)
    out.matched = len(matches)
    skipped = 0
    for candidate in matches:
        if len(out.articles) >= selection.max:
            break
        if candidate.id in picked:
            continue
        if not take(candidate):
            skipped += 1
    if skipped:
        out.notes.append(f"{skipped} matching articles were already sent or are on their way")
    del out.articles[selection.max :]
    return out


def _articles(desk: Desk, ids: Sequence[int]) -> dict[int, tuple[Candidate, int | None]]:
    """The picked articles that are stored: (candidate, the original it duplicates)."""
    a = schema.articles.c
    out: dict[int, tuple[Candidate, int | None]] = {}
    with desk.store.engine.connect() as conn:
        for at in range(0, len(ids), _CHUNK):
            part = list(ids[at : at + _CHUNK])
            query = select(a.id, a.content_hash, a.duplicate_of).where(a.id.in_(part))
            for r in conn.execute(query):
                out[int(r.id)] = (Candidate(int(r.id), str(r.content_hash)), r.duplicate_of)
    return out


def _matches(desk: Desk, selection: Selection, since: datetime, until: datetime) -> list[Candidate]:
    """Original articles in [since, until) matching every criterion, newest first."""
    a, t, m = schema.articles.c, schema.article_topics.c, schema.entity_mentions.c
    when = func.coalesce(a.published, a.fetched)
    query: Any = (
        select(a.id, a.content_hash)
        .where(a.duplicate_of.is_(None), when >= since, when < until)
        .order_by(when.desc(), a.id.desc())
    )
    if selection.sources:
        s = schema.sources.c
        query = query.where(a.source_id.in_(select(s.id).where(s.name.in_(selection.sources))))
    if selection.topics:
        query = query.where(a.id.in_(select(t.article_id).where(t.topic.in_(selection.topics))))
    if selection.entities:
        query = query.where(
            a.id.in_(select(m.article_id).where(m.entity_id.in_(selection.entities)))
        )
    with desk.store.engine.connect() as conn:
        found = [Candidate(int(r.id), str(r.content_hash)) for r in conn.execute(query)]
    if selection.query:
        matching = desk.search_index.matching_ids(selection.query)
        named = desk.pipeline.gazetteer.lookup(selection.query)
        if named is not None:  # "Quảng Tây" also finds the articles saying Guangxi or 广西
            matching |= desk.results.articles_mentioning_any([named.id])
        found = [c for c in found if c.id in matching]
    return found
