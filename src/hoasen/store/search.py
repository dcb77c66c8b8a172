"""Ranked multilingual full-text search on SQLite FTS5 and PostgreSQL tsvector.

Both backends index the same analyzer tokens (see hoasen.store.analyzer): SQLite keeps them in
the FTS5 table `article_fts` (columns title, body, terms; rowid = article id), PostgreSQL in
`article_search.tsv` (title weight A, body D, terms B). Queries are built only from analyzer
tokens, always quoted, so no user input reaches the FTS syntax. Snippets are cut in Python from
the article's original text, with the matched words in **bold** (hoasen.store.snippets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from hoasen.errors import NotFoundError, UsageError
from hoasen.store.analyzer import Analyzer, IndexTokens, QueryPlan, is_fragment
from hoasen.store.db import Store
from hoasen.store.schema import UTCDateTime
from hoasen.store.snippets import SNIPPET_CHUNK_CHARS, Snippets, snippet

__all__ = [
    "SNIPPET_CHUNK_CHARS",
    "SearchHit",
    "SearchIndex",
    "Snippets",
    "match_expression",
    "snippet",
    "tsquery_literal",
    "tsvector_literal",
]

SQLITE_WEIGHTS = "bm25(10.0, 1.0, 2.0)"  # title, body, terms
PG_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D (body), C (unused), B (terms), A (title)
PG_MAX_POS = 16383  # tsvector positions stop there
PG_MAX_POSITIONS = 255  # per lexeme
PG_MAX_BYTES = 900_000  # tsvector values must stay under 1 MB
MAX_LIMIT = 1000
# Matches ranked at a time (newest first): bounds the cost of common words. PostgreSQL reads a
# whole tsvector to rank a match, which costs more than FTS5's bm25.
RANK_WINDOW = {"sqlite": 3000, "postgresql": 1000}
MAX_ID = 2**62
IndexItem = tuple[int, str, str, str | None]  # article id, title, text, language


@dataclass(frozen=True)
class SearchHit:
    """One search result: the article, a highlighted snippet and its relevance score."""

    id: int
    title: str
    language: str | None
    snippet: str
    score: float
    published: datetime | None
    url: str | None

    def as_json(self) -> dict[str, object]:
        """JSON form for `search --json` and the API."""
        return {
            "id": self.id,
            "title": self.title,
            "language": self.language,
            "snippet": self.snippet,
            "score": self.score,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
        }


class SearchIndex:
    """Owned by a Store run: holds the Analyzer (its segmenters load lazily, once)."""

    def __init__(
        self, store: Store, analyzer: Analyzer | None = None, rank_window: int | None = None
    ) -> None:
        self.store = store
        self.analyzer = analyzer or Analyzer()
        self.sqlite = store.dialect == "sqlite"
        self.rank_window = rank_window or RANK_WINDOW.get(store.dialect, 1000)

    # ---------------------------------------------------------------- writing

    def index(
        self, conn: Connection, article_id: int, title: str, text: str, language: str | None
    ) -> None:
        """(Re)index one article inside the caller's transaction."""
        self.index_many(conn, [(article_id, title, text, language)])

    def index_many(self, conn: Connection, items: Iterable[IndexItem], batch: int = 500) -> int:
        """(Re)index many articles inside the caller's transaction; returns how many."""
        analyze = self.analyzer.index_tokens
        return self.write_tokens(
            conn, ((item[0], analyze(item[1], item[2], item[3])) for item in items), batch
        )

    def write_tokens(
        self, conn: Connection, items: Iterable[tuple[int, IndexTokens]], batch: int = 500
    ) -> int:
        """Store analyzer output for many articles (bulk loads analyze elsewhere, in parallel)."""
        count = 0
        rows: list[dict[str, Any]] = []
        for article_id, tokens in items:
            if self.sqlite:
                row = {"id": article_id, "t": tokens.title, "b": tokens.body, "x": tokens.terms}
            else:
                tsv = tsvector_literal(tokens.title, tokens.body, tokens.terms)
                row = {"id": article_id, "tsv": tsv}
            rows.append(row)
            count += 1
            if len(rows) >= batch:
                self._write(conn, rows)
                rows = []
        if rows:
            self._write(conn, rows)
        return count

    def _write(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if self.sqlite:
            conn.execute(text("DELETE FROM article_fts WHERE rowid = :id"), rows)
            conn.execute(
                text(
                    "INSERT INTO article_fts (rowid, title, body, terms) VALUES (:id, :t, :b, :x)"
                ),
                rows,
            )
        else:
            conn.execute(
                text(
                    "INSERT INTO article_search (article_id, tsv)"
                    " VALUES (:id, CAST(:tsv AS tsvector))"
                    " ON CONFLICT (article_id) DO UPDATE SET tsv = excluded.tsv"
                ),
                rows,
            )

    def remove(self, conn: Connection, article_id: int) -> None:
        """Drop one article from the index (inside the caller's transaction)."""
        if self.sqlite:
            conn.execute(text("DELETE FROM article_fts WHERE rowid = :id"), {"id": article_id})
        else:
            conn.execute(
                text("DELETE FROM article_search WHERE article_id = :id"), {"id": article_id}
            )

    def optimize(self, conn: Connection) -> None:
        """Compact the index after bulk writes (FTS5 merge; PostgreSQL statistics)."""
        if self.sqlite:
            conn.execute(text("INSERT INTO article_fts (article_fts) VALUES ('optimize')"))
        else:
            conn.execute(text("ANALYZE article_search"))

    def reindex(self, progress: Callable[[int, int], None] | None = None, batch: int = 500) -> int:
        """Rebuild the whole index from the articles table in one transaction; returns the count."""
        with self.store.begin() as conn:
            total = int(conn.execute(text("SELECT count(*) FROM articles")).scalar() or 0)
            if self.sqlite:
                conn.execute(text("DELETE FROM article_fts"))
            else:
                conn.execute(text("DELETE FROM article_search"))
            done, last = 0, -1
            while True:
                rows = conn.execute(
                    text(
                        "SELECT id, title, text, language FROM articles WHERE id > :last"
                        " ORDER BY id LIMIT :n"
                    ),
                    {"last": last, "n": batch},
                ).all()
                if not rows:
                    break
                done += self.index_many(conn, ((r[0], r[1], r[2], r[3]) for r in rows), batch)
                last = int(rows[-1][0])
                if progress is not None:
                    progress(done, total)
            self.optimize(conn)
        return done

    # ---------------------------------------------------------------- searching

    def search(
        self,
        query: str,
        *,
        language: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
        include_duplicates: bool = False,
        snippets: bool = True,
    ) -> list[SearchHit]:
        """Best-ranked articles matching every word of `query` (phrases in "quotes"); without
        `snippets` the hits' snippets are empty (see `with_snippets`)."""
        filters = self._filters(language, source, since, until, include_duplicates)
        ranked = self._ranked_page(query, language, source, filters, limit, offset)
        return self._hits(ranked, query, snippets)

    def search_page(
        self,
        query: str,
        *,
        language: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
        include_duplicates: bool = False,
    ) -> tuple[list[SearchHit], bool]:
        """One page of `search` and whether more results follow it (one more match is ranked
        to know that, but only the page's snippets are cut)."""
        filters = self._filters(language, source, since, until, include_duplicates)
        ranked = self._ranked_page(query, language, source, filters, limit + 1, offset)
        return self._hits(ranked[:limit], query), len(ranked) > limit

    def _ranked_page(
        self,
        query: str,
        language: str | None,
        source: str | None,
        filters: tuple[list[str], dict[str, Any], datetime | None, datetime | None],
        limit: int,
        offset: int,
    ) -> list[tuple[int, float]]:
        if not query.strip():
            raise UsageError("empty search query")
        if limit < 1 or offset < 0:
            raise UsageError("the result limit must be at least 1 and the offset not negative")
        where, params, since, until = filters
        if since is not None and until is not None and since > until:
            raise UsageError("the start date (since) is after the end date (until)")
        limit = min(limit, MAX_LIMIT)
        plan = self.analyzer.plan_query(query, language)
        if plan.empty:
            raise UsageError(f"nothing to search for in {query!r}: type some words")
        ranked = self._ranked(plan, where, params, limit + offset)[offset:]
        if not ranked and source is not None and self.store.find_source(source) is None:
            raise NotFoundError(f"no source named {source!r} (see `hoasen sources list`)")
        return ranked

    def matching_ids(self, query: str, within: Iterable[int] | None = None) -> set[int]:
        """Every article (duplicates too) matching every word of `query`, unranked: the article
        set of a thematic report. With `within`, only those of these ids (an alert's batch of
        new articles), looked up by id rather than over the whole index."""
        plan = self.analyzer.plan_query(query, None)
        if plan.empty:
            raise UsageError(f"nothing to search for in {query!r}: type some words")
        if self.sqlite:
            sql = "SELECT rowid FROM article_fts WHERE article_fts MATCH :q"
            q = match_expression(plan, boosts=False)
            column = "rowid"
        else:
            sql = "SELECT article_id FROM article_search WHERE tsv @@ CAST(:q AS tsquery)"
            q = tsquery_literal(plan, boosts=False)
            column = "article_id"
        with self.store.engine.connect() as conn:
            if within is None:
                return {int(r[0]) for r in conn.execute(text(sql), {"q": q})}
            ids = sorted({int(i) for i in within})
            found: set[int] = set()
            restricted = text(f"{sql} AND {column} IN :ids").bindparams(
                bindparam("ids", expanding=True)
            )
            for start in range(0, len(ids), 500):
                rows = conn.execute(restricted, {"q": q, "ids": ids[start : start + 500]})
                found.update(int(r[0]) for r in rows)
            return found

    def _filters(
        self,
        language: str | None,
        source: str | None,
        since: datetime | None,
        until: datetime | None,
        include_duplicates: bool,
    ) -> tuple[list[str], dict[str, Any], datetime | None, datetime | None]:
        """SQL conditions and parameters of the filters, and the period's bounds in UTC."""
        since, until = _utc(since), _utc(until)
        where: list[str] = []
        params: dict[str, Any] = {}
        if not include_duplicates:
            where.append("a.duplicate_of IS NULL")
        if language:
            where.append("(lower(a.language) = :lang OR lower(a.language) LIKE :lang_prefix)")
            params["lang"] = language.lower()
            params["lang_prefix"] = language.lower() + "-%"
        if source is not None:
            where.append("a.source_id = (SELECT id FROM sources WHERE name = :source)")
            params["source"] = source
        if since is not None:
            where.append("coalesce(a.published, a.fetched) >= :since")
            params["since"] = since
        if until is not None:
            where.append("coalesce(a.published, a.fetched) <= :until")
            params["until"] = until
        return where, params, since, until

    def _ranked(
        self, plan: QueryPlan, filters: list[str], params: dict[str, Any], need: int
    ) -> list[tuple[int, float]]:
        """(id, score) of the best `need` matches passing the filters, best first.

        Ranking costs time for every match, so a query matching more than `rank_window`
        articles is ranked window by window, newest articles first: the best of the newest
        `rank_window` matches, then (when filters leave too few) the best of the next older
        window, and so on.
        """
        if self.sqlite:
            match, required = match_expression(plan), match_expression(plan, boosts=False)
        else:
            # no weights and no phrases: the GIN index answers without reading any tsvector
            # (a window may then hold a few non-matches, which ranking drops: harmless)
            match, required = tsquery_literal(plan), tsquery_literal(plan, boosts=False, loose=True)
        typed = _typed(params)
        # Without filters other than "no duplicates", only the best few of a window need the
        # join with `articles`; with filters every ranked match of the window is checked.
        first_k = 2 * need + 10 if not params else None
        rows: list[tuple[int, float]] = []
        out: list[tuple[int, float]] = []
        with self.store.engine.connect() as conn:
            if not self.sqlite:
                # The planner prices a tsvector test like an integer compare and picks a
                # sequential scan for frequent words, unpacking every tsvector (~0.4 s per
                # 100k articles); the GIN index is always the better road here.
                conn.execute(text("SET LOCAL enable_seqscan = off"))
            for lo, hi, ids in self._windows(conn, required):
                values = {**params, "q": match, "lo": lo, "hi": hi, "ids": ids}
                values["need"] = need - len(out)
                if hi != MAX_ID and params and not self._any_kept(conn, required, filters, values):
                    continue  # an older window that the filters empty: no need to rank it
                for k in (first_k, None) if first_k else (None,):
                    sql = text(self._window_sql(filters, k)).bindparams(*typed)
                    rows = [(int(r[0]), float(r[1])) for r in conn.execute(sql, values)]
                    if len(rows) >= need - len(out):
                        break
                out.extend(rows)
                if len(out) >= need:
                    break
        return out

    def _windows(self, conn: Connection, required: str) -> Iterator[tuple[int, int, list[int]]]:
        """Windows of matches, newest first: (lo, hi, ids) holds the matches lo < id <= hi.

        SQLite gives only the bounds (FTS5 takes id ranges). PostgreSQL also lists the ids,
        so that ranking reads only their tsvectors; they are fetched a few windows at a time.
        """
        hi = MAX_ID
        if self.sqlite:
            while True:
                cutoff = conn.execute(
                    text(
                        "SELECT rowid FROM article_fts WHERE article_fts MATCH :q"
                        " AND rowid <= :hi ORDER BY rowid DESC LIMIT 1 OFFSET :w"
                    ),
                    {"q": required, "hi": hi, "w": self.rank_window},
                ).scalar()
                lo = int(cutoff) if cutoff is not None else 0
                yield lo, hi, []
                if lo == 0:
                    return
                hi = lo
        batch = self.rank_window  # most searches need one window only
        while True:
            # MATERIALIZED, with the id bound outside: only the GIN index finds the matches;
            # PostgreSQL would otherwise walk the primary key and test every row's tsvector.
            rows = conn.execute(
                text(
                    "WITH m AS MATERIALIZED (SELECT article_id FROM article_search"
                    " WHERE tsv @@ CAST(:q AS tsquery)) SELECT article_id FROM m"
                    " WHERE article_id <= :hi ORDER BY article_id DESC LIMIT :n"
                ),
                {"q": required, "hi": hi, "n": batch},
            ).all()
            ids = [int(r[0]) for r in rows]
            for at in range(0, len(ids), self.rank_window):
                part = ids[at : at + self.rank_window]
                last = at + self.rank_window >= len(ids) and len(ids) < batch
                lo = 0 if last else part[-1] - 1
                yield lo, hi, part
                if last:
                    return
                hi = lo
            if not ids:
                return
            batch = self.rank_window * 8

    def _matches_sql(self, key: str) -> str:
        """Ids of the window's matches for the query in bind parameter `key` (unranked)."""
        if self.sqlite:
            return (
                "SELECT rowid AS id FROM article_fts"
                f" WHERE article_fts MATCH :{key} AND rowid > :lo AND rowid <= :hi"
            )
        return "SELECT unnest(CAST(:ids AS integer[])) AS id"

    def _any_kept(
        self, conn: Connection, required: str, filters: list[str], values: dict[str, Any]
    ) -> bool:
        """True when some match of the window passes the filters (no ranking: cheap)."""
        sql = (
            f"WITH c AS MATERIALIZED ({self._matches_sql('req')})"
            f" SELECT 1 FROM {self._join(filters)} LIMIT 1"
        )
        stmt = text(sql).bindparams(*_typed(values))
        return conn.execute(stmt, {**values, "req": required}).first() is not None

    def _window_sql(self, filters: list[str], k: int | None) -> str:
        """Rank the window's matches (the best k only, when given), then filter.

        MATERIALIZED keeps the planners from driving the query from `articles` and running
        the full-text match once per article.
        """
        if self.sqlite:
            top = f" ORDER BY rank, rowid LIMIT {int(k)}" if k else ""
            ranked = (
                "SELECT rowid AS id, -rank AS score FROM article_fts"
                f" WHERE article_fts MATCH :q AND rank MATCH '{SQLITE_WEIGHTS}'"
                f" AND rowid > :lo AND rowid <= :hi{top}"
            )
        else:
            top = f" ORDER BY score DESC, id LIMIT {int(k)}" if k else ""
            ranked = (
                f"SELECT s.article_id AS id, ts_rank('{PG_WEIGHTS}', s.tsv, q.query) AS score"
                " FROM article_search AS s, CAST(:q AS tsquery) AS q(query)"
                f" WHERE s.article_id = ANY(CAST(:ids AS integer[])) AND s.tsv @@ q.query{top}"
            )
        return (
            f"WITH c AS MATERIALIZED ({ranked}) SELECT c.id, c.score FROM {self._join(filters)}"
            " ORDER BY c.score DESC, c.id LIMIT :need"
        )

    def _join(self, filters: list[str]) -> str:
        """`c` (the window's matches) joined to the articles that pass the filters, one by one.

        PostgreSQL would otherwise hash-join against every article of the filter; the
        LATERAL subquery (kept apart by OFFSET 0) looks each match up by primary key.
        """
        where = " AND ".join(["TRUE", *filters])
        if self.sqlite:
            return f"c JOIN articles a ON a.id = c.id WHERE {where}"
        return (
            "c CROSS JOIN LATERAL"
            f" (SELECT 1 FROM articles a WHERE a.id = c.id AND {where} OFFSET 0) AS f"
        )

    def _hits(
        self, ranked: Sequence[tuple[int, float]], query: str, snippets: bool = True
    ) -> list[SearchHit]:
        if not ranked:
            return []
        body = "text" if snippets else "''"  # no snippets: the texts need not be read at all
        stmt = (
            text(
                f"SELECT id, title, {body}, language, published, url FROM articles WHERE id IN :ids"
            )
            .bindparams(bindparam("ids", expanding=True))
            .columns(published=UTCDateTime())
        )
        with self.store.engine.connect() as conn:
            rows = {int(r[0]): r for r in conn.execute(stmt, {"ids": [i for i, _ in ranked]})}
        pieces = self.analyzer.cut_highlights(query)
        cut = Snippets(self.analyzer, *self.analyzer.highlights(query), pieces).snippet
        hits: list[SearchHit] = []
        for article_id, score in ranked:
            row = rows.get(article_id)
            if row is None:
                continue
            hits.append(
                SearchHit(
                    id=article_id,
                    title=row[1],
                    language=row[3],
                    snippet=cut(row[2]) if snippets else "",
                    score=round(score, 6),
                    published=row[4],
                    url=row[5],
                )
            )
        return hits

    def with_snippets(self, hits: Sequence[SearchHit], query: str) -> list[SearchHit]:
        """`hits` of a search made with `snippets=False`, now with their snippets: cut only
        for the hits a page shows (they are most of a search's time)."""
        ranked = [(h.id, h.score) for h in hits]
        cut = {h.id: h.snippet for h in self._hits(ranked, query)}
        return [replace(h, snippet=cut.get(h.id, "")) for h in hits]


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, like everywhere in the store."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _typed(params: dict[str, Any]) -> list[Any]:
    """Bind datetimes through UTCDateTime so they compare like the stored values."""
    return [bindparam(k, type_=UTCDateTime) for k in ("since", "until") if k in params]


# -------------------------------------------------------------------- query builders


def _fts_phrase(tokens: list[str], column: str = "{title body}") -> str:
    star = " *" if len(tokens) == 1 and is_fragment(tokens[0]) else ""
    return f'{column} : "{" ".join(tokens)}"{star}'


def _fts_group(plan: QueryPlan, group: list[str]) -> str:
    """A group's phrase, or its phrases OR-ed when punctuation may cut it (see QueryPlan.cuts)."""
    choices = plan.choices(group)
    if len(choices) == 1:
        return _fts_phrase(group)
    return "(" + " OR ".join(_fts_phrase(c) for c in choices) + ")"


def match_expression(plan: QueryPlan, boosts: bool = True) -> str:
    """The FTS5 MATCH text for a plan: groups ANDed; phrases and terms OR-ed in as boosts."""
    required = " AND ".join(_fts_group(plan, g) for g in plan.groups)
    if not boosts:
        return required
    extra = [_fts_phrase(p) for p in plan.phrases or []]
    extra += [_fts_phrase([t], "terms") for t in plan.terms]
    if not extra:
        return required
    # (all groups) AND (first group OR boosts): the boosts never widen what matches.
    first = _fts_group(plan, plan.anchor)
    return f"({required}) AND ({' OR '.join([first, *extra])})"


def _ts_lexeme(token: str, weights: str, prefix: bool = True) -> str:
    star = "*" if prefix and is_fragment(token) else ""
    escaped = token.replace("\\", "\\\\").replace("'", "''")
    suffix = star + weights
    return f"'{escaped}':{suffix}" if suffix else f"'{escaped}'"


def _ts_phrase(tokens: list[str], weights: str = "AD", prefix: bool = True) -> str:
    if len(tokens) == 1:
        return _ts_lexeme(tokens[0], weights, prefix)
    return "(" + " <-> ".join(_ts_lexeme(t, weights, prefix) for t in tokens) + ")"


def _ts_group(plan: QueryPlan, group: list[str], loose: bool = False) -> str:
    """A group's phrase, or its phrases OR-ed when punctuation may cut it; `loose`: tokens
    ANDed instead of phrases, without weights."""
    parts = []
    for n, choice in enumerate(plan.choices(group)):  # a lone character of a cut phrase is
        if loose:  # a token of its own, as in FTS5, not a prefix
            parts.append(" & ".join(_ts_lexeme(t, "", n == 0) for t in dict.fromkeys(choice)))
        else:
            parts.append(_ts_phrase(choice, prefix=n == 0))
    if len(parts) == 1:
        return parts[0]
    return "(" + " | ".join(f"({p})" if loose else p for p in parts) + ")"


def tsquery_literal(plan: QueryPlan, boosts: bool = True, loose: bool = False) -> str:
    """The PostgreSQL tsquery text for a plan (same structure as the FTS5 expression).

    `loose`: every token ANDed, without weights or phrases: a superset of the matches that the
    GIN index answers alone.
    """
    if loose:
        return " & ".join(_ts_group(plan, g, loose=True) for g in plan.groups)
    required = " & ".join(_ts_group(plan, g) for g in plan.groups)
    if not boosts:
        return required
    extra = [_ts_phrase(p) for p in plan.phrases or []]
    extra += [_ts_lexeme(t, "B") for t in plan.terms]
    if not extra:
        return required
    return f"({required}) & ({' | '.join([_ts_group(plan, plan.anchor), *extra])})"


def tsvector_literal(title: str, body: str, terms: str) -> str:
    """A tsvector value built from analyzer tokens: title weight A, body D, terms B.

    Positions keep phrase search working; the streams are two positions apart so a phrase
    never spans the title and the body. Past PostgreSQL's position and size limits, tokens
    keep one (capped) position, or are left out once the value nears 1 MB.
    """
    positions: dict[str, list[str]] = {}
    size = 0
    pos = 1
    for weight, stream in (("A", title), ("", body), ("B", terms)):
        for token in stream.split():
            entry = positions.get(token)
            if entry is None:
                if size > PG_MAX_BYTES:
                    pos += 1
                    continue
                entry = positions[token] = []
                size += len(token.encode()) + 8
            if len(entry) < PG_MAX_POSITIONS and (pos <= PG_MAX_POS or not entry):
                entry.append(f"{min(pos, PG_MAX_POS)}{weight}")
                size += 6
            pos += 1
        pos += 2
    parts = []
    for token, where in positions.items():
        escaped = token.replace("\\", "\\\\").replace("'", "''")
        parts.append(f"'{escaped}':{','.join(where)}")
    return " ".join(parts)
