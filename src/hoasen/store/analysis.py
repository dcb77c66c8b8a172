"""Reading and writing what the analysis stages produce: entity mentions, figures, topics,
embeddings, stories, stage versions and imported gazetteer files.

Kept apart from `db.Store` (articles, sources, raw inputs) but working on the same engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Table, and_, delete, func, insert, or_, select, update

from hoasen.errors import NotFoundError
from hoasen.store import schema
from hoasen.store.db import Store, _new_id
from hoasen.store.schema import utcnow

_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class AnalysisInput:
    """What the analysis stages read of one article."""

    id: int
    title: str
    text: str
    language: str | None
    when: datetime  # published, else fetched
    source: str | None
    source_country: str | None
    url: str | None


@dataclass(frozen=True)
class StoredMention:
    """One entity mention as stored (offsets into the article's analysis text)."""

    article_id: int
    entity_id: str | None
    text: str
    type: str
    start: int
    end: int
    origin: str


@dataclass(frozen=True)
class StoredFigure:
    """One key figure as stored."""

    article_id: int
    text: str
    value: float
    unit: str | None
    scale: str | None
    subject: str | None


@dataclass(frozen=True)
class StoryRow:
    """A story as listed: its articles, languages, sources and countries."""

    id: int
    title: str
    title_language: str | None
    first_seen: datetime
    last_seen: datetime
    article_ids: tuple[int, ...]
    languages: tuple[str, ...]
    sources: tuple[str, ...]
    countries: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The `hoasen stories --json` item."""
        return {
            "id": self.id,
            "title": self.title,
            "title_language": self.title_language,
            "articles": list(self.article_ids),
            "languages": list(self.languages),
            "sources": list(self.sources),
            "countries": list(self.countries),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
        }


@dataclass(frozen=True)
class StoryState:
    """A stored story's clusterer state, for loading back into a clusterer."""

    id: int
    state: dict[str, Any]
    centroid: bytes


@dataclass(frozen=True)
class StoryFields:
    """What the story stage writes for one story."""

    title: str
    title_language: str | None
    first_seen: datetime
    last_seen: datetime
    article_count: int
    languages: Sequence[str]
    sources: Sequence[str]
    countries: Sequence[str]
    state: Mapping[str, Any]
    centroid: bytes
    version: str


def _host(url: str | None) -> str | None:
    """A site's host name without `www.`, to name an article's source when none is registered."""
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for at in range(0, len(ids), _CHUNK):
        yield list(ids[at : at + _CHUNK])


class AnalysisStore:
    """Analysis results of one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- choosing work

    def candidates(
        self,
        since: datetime | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[int]:
        """Original (non-duplicate) articles, oldest first by published (else fetched) time."""
        a = schema.articles.c
        when = func.coalesce(a.published, a.fetched)
        query = select(a.id, when).where(a.duplicate_of.is_(None))
        if since is not None:
            query = query.where(when >= since)
        with self.engine.connect() as conn:
            if ids is None:
                rows = list(conn.execute(query))
            else:
                rows = []
                for part in _chunks(list(ids)):
                    rows += list(conn.execute(query.where(a.id.in_(part))))
        rows.sort(key=lambda r: (r[1], r[0]))
        return [int(r[0]) for r in rows]

    def behind(self, versions: Mapping[str, str], limit: int | None = None) -> list[int]:
        """Original articles lacking the output of some stage at its current version (never
        analysed, cut short by a crash, or made by older rules), oldest first."""
        when = func.coalesce(schema.articles.c.published, schema.articles.c.fetched)
        query = (
            select(schema.articles.c.id)
            .where(self._behind_clause(versions))
            .order_by(when, schema.articles.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query if limit is None else query.limit(limit))
            return [int(r[0]) for r in rows]

    def count_behind(self, versions: Mapping[str, str]) -> int:
        """How many original articles `behind` would list without a limit."""
        query = select(func.count()).select_from(schema.articles)
        with self.engine.connect() as conn:
            return int(conn.execute(query.where(self._behind_clause(versions))).scalar_one())

    @staticmethod
    def _behind_clause(versions: Mapping[str, str]) -> Any:
        a, s = schema.articles.c, schema.article_stages.c
        current = (
            select(func.count())
            .where(s.article_id == a.id)
            .where(or_(*(and_(s.stage == k, s.version == v) for k, v in versions.items())))
            .scalar_subquery()
        )
        return and_(a.duplicate_of.is_(None), current < len(versions))

    def done(self, stage: str, version: str, ids: Sequence[int]) -> set[int]:
        """Which of `ids` already have `stage` output made by `version`."""
        s = schema.article_stages.c
        out: set[int] = set()
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                rows = conn.execute(
                    select(s.article_id).where(
                        s.stage == stage, s.version == version, s.article_id.in_(part)
                    )
                )
                out.update(int(r[0]) for r in rows)
        return out

    def mark_done(self, conn: Connection, stage: str, version: str, ids: Sequence[int]) -> None:
        """Record that `stage` at `version` produced the output of `ids`."""
        s = schema.article_stages
        for part in _chunks(ids):
            conn.execute(delete(s).where(s.c.stage == stage, s.c.article_id.in_(part)))
        if ids:
            now = utcnow()
            conn.execute(
                insert(s),
                [{"article_id": i, "stage": stage, "version": version, "done": now} for i in ids],
            )

    def stage_versions(self) -> dict[str, dict[str, int]]:
        """{stage: {version: articles}}: which versions produced the stored output."""
        s = schema.article_stages.c
        out: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s.stage, s.version, func.count()).group_by(s.stage, s.version)
            )
            for stage, version, count in rows:
                out.setdefault(stage, {})[version] = int(count)
        return out

    def inputs(self, ids: Sequence[int]) -> list[AnalysisInput]:
        """The analysis inputs of `ids`, in the order given."""
        a, src = schema.articles.c, schema.sources.c
        query = select(
            a.id,
            a.title,
            a.text,
            a.language,
            func.coalesce(a.published, a.fetched).label("when"),
            a.published,
            a.fetched,
            src.name,
            src.country,
            a.url,
        ).select_from(schema.articles.outerjoin(schema.sources, a.source_id == src.id))
        found: dict[int, AnalysisInput] = {}
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                for r in conn.execute(query.where(a.id.in_(part))):
                    found[int(r.id)] = AnalysisInput(
                        id=int(r.id),
                        title=r.title,
                        text=r.text,
                        language=r.language,
                        when=r.published or r.fetched,
                        source=r.name or _host(r.url),
                        source_country=r.country,
                        url=r.url,
                    )
        return [found[i] for i in ids if i in found]

    # ---------------------------------------------------------------- writing stage output

    def replace_mentions(
        self, conn: Connection, article_id: int, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Replace an article's entity mentions."""
        self.replace_all(conn, schema.entity_mentions, {article_id: rows})

    def replace_figures(
        self, conn: Connection, article_id: int, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Replace an article's key figures."""
        self.replace_all(conn, schema.article_figures, {article_id: rows})

    def replace_topics(
        self, conn: Connection, article_id: int, topics: Sequence[tuple[str, float]]
    ) -> None:
        """Replace an article's topics."""
        rows = [{"topic": k, "score": float(s)} for k, s in topics]
        self.replace_all(conn, schema.article_topics, {article_id: rows})

    def save_embedding(
        self, conn: Connection, article_id: int, model: str, dim: int, vector: bytes
    ) -> None:
        """Store (or replace) an article's embedding."""
        row = {"model": model, "dim": dim, "vector": vector}
        self.replace_all(conn, schema.article_embeddings, {article_id: [row]})

    def replace_all(
        self,
        conn: Connection,
        table: Table,
        rows: Mapping[int, Sequence[Mapping[str, Any]]],
    ) -> None:
        """Replace the rows of a per-article output table (mentions, figures, topics,
        embeddings) for every article in `rows`: one DELETE and one INSERT for them all."""
        if not rows:
            return
        for part in _chunks(list(rows)):
            conn.execute(delete(table).where(table.c.article_id.in_(part)))
        values = [{**r, "article_id": i} for i, article_rows in rows.items() for r in article_rows]
        if values:
            conn.execute(insert(table), values)

    # ---------------------------------------------------------------- reading stage output

    def embeddings(self, ids: Sequence[int], model: str) -> dict[int, bytes]:
        """Stored embedding blobs of `ids` made by `model`."""
        t = schema.article_embeddings.c
        out: dict[int, bytes] = {}
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                rows = conn.execute(
                    select(t.article_id, t.vector).where(t.model == model, t.article_id.in_(part))
                )
                out.update((int(i), bytes(v)) for i, v in rows)
        return out

    def mentions(self, ids: Sequence[int]) -> dict[int, list[StoredMention]]:
        """Entity mentions of `ids`, in text order."""
        t = schema.entity_mentions.c
        out: dict[int, list[StoredMention]] = {i: [] for i in ids}
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                rows = conn.execute(
                    select(t.article_id, t.entity_id, t.text, t.type, t.start, t.end, t.origin)
                    .where(t.article_id.in_(part))
                    .order_by(t.article_id, t.start)
                )
                for r in rows:
                    out[int(r.article_id)].append(
                        StoredMention(
                            int(r.article_id), r.entity_id, r.text, r.type, r.start, r.end, r.origin
                        )
                    )
        return out

    def figures(self, ids: Sequence[int]) -> dict[int, list[StoredFigure]]:
        """Key figures of `ids`, in text order."""
        t = schema.article_figures.c
        out: dict[int, list[StoredFigure]] = {i: [] for i in ids}
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                rows = conn.execute(
                    select(t.article_id, t.text, t.value, t.unit, t.scale, t.subject)
                    .where(t.article_id.in_(part))
                    .order_by(t.article_id, t.start)
                )
                for r in rows:
                    out[int(r.article_id)].append(
                        StoredFigure(int(r.article_id), r.text, r.value, r.unit, r.scale, r.subject)
                    )
        return out

    def topics(self, ids: Sequence[int]) -> dict[int, list[tuple[str, float]]]:
        """Topics of `ids`, best first."""
        t = schema.article_topics.c
        out: dict[int, list[tuple[str, float]]] = {i: [] for i in ids}
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                rows = conn.execute(
                    select(t.article_id, t.topic, t.score)
                    .where(t.article_id.in_(part))
                    .order_by(t.article_id, t.score.desc())
                )
                for r in rows:
                    out[int(r.article_id)].append((r.topic, float(r.score)))
        return out

    def top_entities(
        self, limit: int = 20, since: datetime | None = None, entity_type: str | None = None
    ) -> list[tuple[str, int, int]]:
        """(entity id, articles, mentions) of the most-covered linked entities, duplicates out."""
        m, a = schema.entity_mentions.c, schema.articles.c
        query = (
            select(m.entity_id, func.count(func.distinct(m.article_id)), func.count())
            .select_from(schema.entity_mentions.join(schema.articles, a.id == m.article_id))
            .where(m.entity_id.is_not(None), a.duplicate_of.is_(None))
            .group_by(m.entity_id)
            .order_by(func.count(func.distinct(m.article_id)).desc(), func.count().desc())
            .limit(limit)
        )
        if since is not None:
            query = query.where(func.coalesce(a.published, a.fetched) >= since)
        if entity_type is not None:
            query = query.where(m.type == entity_type)
        with self.engine.connect() as conn:
            return [(str(e), int(n), int(k)) for e, n, k in conn.execute(query)]

    def entity_articles(self, entity_id: str, limit: int | None = None) -> list[tuple[int, int]]:
        """(article id, mentions) of the articles mentioning `entity_id`, newest first."""
        m, a = schema.entity_mentions.c, schema.articles.c
        query = (
            select(m.article_id, func.count())
            .select_from(schema.entity_mentions.join(schema.articles, a.id == m.article_id))
            .where(m.entity_id == entity_id, a.duplicate_of.is_(None))
            .group_by(m.article_id, a.published, a.fetched)
            .order_by(func.coalesce(a.published, a.fetched).desc(), m.article_id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [(int(i), int(n)) for i, n in conn.execute(query)]

    def surface_forms(self, entity_id: str, limit: int = 20) -> list[tuple[str, int]]:
        """How the articles wrote `entity_id`, most frequent first."""
        m = schema.entity_mentions.c
        query = (
            select(m.text, func.count())
            .where(m.entity_id == entity_id)
            .group_by(m.text)
            .order_by(func.count().desc(), m.text)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(str(t), int(n)) for t, n in conn.execute(query)]

    # ---------------------------------------------------------------- stories

    def story_states(self, since: datetime) -> list[StoryState]:
        """Clusterer state of the stories seen at or after `since` (the live window)."""
        s = schema.stories.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s.id, s.state, s.centroid).where(s.last_seen >= since).order_by(s.id)
            )
            return [StoryState(int(i), json.loads(st), bytes(c)) for i, st, c in rows]

    def story_of(self, ids: Sequence[int]) -> dict[int, int]:
        """{article id: story id} for those of `ids` in a story."""
        t = schema.story_articles.c
        out: dict[int, int] = {}
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                rows = conn.execute(select(t.article_id, t.story_id).where(t.article_id.in_(part)))
                out.update((int(a), int(s)) for a, s in rows)
        return out

    def story_members(self, story_ids: Sequence[int]) -> dict[int, list[int]]:
        """{story id: [article ids]}."""
        t = schema.story_articles.c
        out: dict[int, list[int]] = {i: [] for i in story_ids}
        with self.engine.connect() as conn:
            for part in _chunks(story_ids):
                rows = conn.execute(
                    select(t.story_id, t.article_id)
                    .where(t.story_id.in_(part))
                    .order_by(t.story_id, t.article_id)
                )
                for s, a in rows:
                    out[int(s)].append(int(a))
        return out

    def leave_stories(self, conn: Connection, ids: Sequence[int]) -> set[int]:
        """Take `ids` out of their stories; return the story ids that lost members."""
        t = schema.story_articles
        touched: set[int] = set()
        for part in _chunks(ids):
            touched.update(
                int(r[0])
                for r in conn.execute(
                    select(t.c.story_id).where(t.c.article_id.in_(part)).distinct()
                )
            )
            conn.execute(delete(t).where(t.c.article_id.in_(part)))
        return touched

    def delete_stories(self, conn: Connection, story_ids: Iterable[int]) -> None:
        """Remove stories (their member links go with them)."""
        ids = list(story_ids)
        for part in _chunks(ids):
            conn.execute(
                delete(schema.story_articles).where(schema.story_articles.c.story_id.in_(part))
            )
            conn.execute(delete(schema.stories).where(schema.stories.c.id.in_(part)))

    def save_story(self, conn: Connection, story_id: int | None, fields: StoryFields) -> int:
        """Insert a new story (story_id None) or update one; return its id."""
        values = {
            "title": fields.title,
            "title_language": fields.title_language,
            "first_seen": fields.first_seen,
            "last_seen": fields.last_seen,
            "article_count": fields.article_count,
            "languages": ",".join(fields.languages),
            "sources": json.dumps(list(fields.sources), ensure_ascii=False),
            "countries": ",".join(fields.countries),
            "state": json.dumps(fields.state, ensure_ascii=False, sort_keys=True),
            "centroid": fields.centroid,
            "version": fields.version,
            "updated": utcnow(),
        }
        t = schema.stories
        if story_id is None:
            return _new_id(conn.execute(insert(t).values(**values)))
        conn.execute(update(t).where(t.c.id == story_id).values(**values))
        return story_id

    def add_members(self, conn: Connection, story_id: int, members: Mapping[int, float]) -> None:
        """Put articles into a story (with their assignment scores)."""
        t = schema.story_articles
        ids = list(members)
        for part in _chunks(ids):
            conn.execute(delete(t).where(t.c.article_id.in_(part)))
        if members:
            conn.execute(
                insert(t),
                [{"article_id": a, "story_id": story_id, "score": s} for a, s in members.items()],
            )

    def list_stories(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        min_articles: int = 1,
        ids: Sequence[int] | None = None,
    ) -> list[StoryRow]:
        """Stories active in the period, the most covered first."""
        s = schema.stories.c
        query = select(schema.stories).where(s.article_count >= min_articles)
        if since is not None:
            query = query.where(s.last_seen >= since)
        if until is not None:
            query = query.where(s.first_seen < until)
        if ids is not None:
            query = query.where(s.id.in_(list(ids)))
        query = query.order_by(s.article_count.desc(), s.last_seen.desc(), s.id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        members = self.story_members([int(r.id) for r in rows])
        return [
            StoryRow(
                id=int(r.id),
                title=r.title,
                title_language=r.title_language,
                first_seen=r.first_seen,
                last_seen=r.last_seen,
                article_ids=tuple(members.get(int(r.id), ())),
                languages=tuple(x for x in r.languages.split(",") if x),
                sources=tuple(json.loads(r.sources)),
                countries=tuple(x for x in r.countries.split(",") if x),
            )
            for r in rows
        ]

    def get_story(self, story_id: int) -> StoryRow:
        """One story by id."""
        found = self.list_stories(ids=[story_id])
        if not found:
            raise NotFoundError(f"no story with id {story_id}")
        return found[0]

    # ---------------------------------------------------------------- gazetteer imports

    def add_gazetteer_import(self, name: str, content: str, rows: int) -> int:
        """Keep an imported gazetteer file so every later run loads it."""
        with self.store.begin() as conn:
            return _new_id(
                conn.execute(
                    insert(schema.gazetteer_imports).values(
                        name=name, content=content, rows=rows, imported=utcnow()
                    )
                )
            )

    def gazetteer_imports(self) -> list[tuple[int, str, str, int, datetime]]:
        """(id, name, content, rows, imported) of every imported file, oldest first."""
        g = schema.gazetteer_imports.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(g.id, g.name, g.content, g.rows, g.imported).order_by(g.id))
            return [(int(i), n, c, int(r), t) for i, n, c, r, t in rows]

    def articles_mentioning_any(self, entity_ids: Sequence[str]) -> set[int]:
        """Articles (duplicates out) that mention any of `entity_ids`."""
        m, a = schema.entity_mentions.c, schema.articles.c
        if not entity_ids:
            return set()
        query = (
            select(m.article_id)
            .select_from(schema.entity_mentions.join(schema.articles, a.id == m.article_id))
            .where(and_(m.entity_id.in_(list(entity_ids)), a.duplicate_of.is_(None)))
            .distinct()
        )
        with self.engine.connect() as conn:
            return {int(r[0]) for r in conn.execute(query)}


__all__ = [
    "AnalysisInput",
    "AnalysisStore",
    "StoredFigure",
    "StoredMention",
    "StoryFields",
    "StoryRow",
    "StoryState",
]
