"""The Store: one database (SQLite or PostgreSQL), its migrations and typed access to its rows."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from hoasen.errors import NotFoundError, StoreError, UsageError
from hoasen.models import Article, ItemError, RawInput
from hoasen.store import schema
from hoasen.store.migrate import schema_is_current, upgrade
from hoasen.store.schema import utcnow

EXCHANGE_KIND = "exchange"  # a partner's source fed by the exchange inbox or folder, not polled


#: gzip level of stored raw inputs: 3 is twice as fast as 6 for ~11% more bytes.
_RAW_GZIP_LEVEL = 3


@dataclass(frozen=True)
class Source:
    """A monitored news source (feed or site)."""

    id: int
    name: str
    url: str
    kind: str
    country: str | None
    language: str | None
    foreign: bool
    partner: bool
    poll_minutes: int
    etag: str | None
    last_modified: str | None
    last_polled: datetime | None
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int
    partner_id: int | None = None  # the partner organisation whose articles these are

    def as_json(self) -> dict[str, Any]:
        """JSON form for `sources list --json` and the API."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out

    def is_due(self, now: datetime) -> bool:
        """True when the source has never been polled or its interval has passed; never for a
        partner's exchange source (its documents come in through the inbox or a folder)."""
        if self.kind == EXCHANGE_KIND:
            return False
        if self.last_polled is None:
            return True
        return (now - self.last_polled).total_seconds() >= self.poll_minutes * 60


@dataclass(frozen=True)
class StoredArticle:
    """An article row as read back."""

    id: int
    title: str
    text: str
    language: str | None
    language_confidence: float | None
    url: str | None
    canonical_url: str | None
    source_url: str | None
    author: str | None
    published: datetime | None
    fetched: datetime
    source_id: int | None
    source_name: str | None
    content_hash: str
    duplicate_of: int | None
    published_source: str | None = None  # page, feed, input, http, first_seen (an estimate)

    def as_json(self, with_text: bool = False) -> dict[str, Any]:
        """JSON form for listings; the full text only when asked."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "language": self.language,
            "language_confidence": self.language_confidence,
            "url": self.url,
            "source_url": self.source_url,
            "author": self.author,
            "published": self.published.isoformat() if self.published else None,
            "published_source": self.published_source,
            "fetched": self.fetched.isoformat(),
            "source": self.source_name,
            "duplicate_of": self.duplicate_of,
        }
        if with_text:
            out["text"] = self.text
        return out


def normalize_url(url: str) -> str:
    """Turn `sqlite:///x.db`, a bare path or `postgresql://` into a SQLAlchemy URL string."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """A hoasen database. Open with `Store.open(url)`; it migrates itself to the newest schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._candidate_statements: dict[int, Select[Any]] = {}

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> Store:
        """Connect to `url` (and bring the schema up to date unless `migrate` is false)."""
        try:
            sa_url = make_url(normalize_url(url))
        except ArgumentError as exc:
            raise UsageError(f"not a database URL: {url!r}") from exc
        if sa_url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise UsageError(
                f"unsupported database {sa_url.get_backend_name()!r}: use sqlite or postgresql"
            )
        if sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
            parent = Path(sa_url.database).expanduser().resolve().parent
            if not parent.is_dir():
                raise UsageError(f"folder for the database does not exist: {parent}")
        engine = create_engine(sa_url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except OperationalError as exc:
            raise StoreError(
                f"cannot reach the database at {sa_url.render_as_string()}: {exc.orig}"
            ) from exc
        if migrate:
            store.migrate()
        return store

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def migrate(self) -> None:
        """Apply every Alembic migration not yet applied (nothing when already current)."""
        upgrade(self.engine)

    def schema_is_current(self) -> bool:
        """True when `alembic_version` holds exactly the newest migration's revision."""
        return schema_is_current(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one transaction."""
        with self.engine.begin() as conn:
            yield conn

    # ---------------------------------------------------------------- sources

    def add_source(
        self,
        url: str,
        name: str,
        kind: str = "feed",
        country: str | None = None,
        language: str | None = None,
        foreign: bool = False,
        partner: bool = False,
        poll_minutes: int = 60,
    ) -> Source:
        """Register a monitored source; names and URLs are unique."""
        fields: dict[str, Any] = {"url": url, "kind": kind, "country": country}
        fields["poll_minutes"] = poll_minutes
        check_source_fields(fields)
        country = fields["country"]
        try:
            with self.begin() as conn:
                conn.execute(
                    insert(schema.sources).values(
                        name=name,
                        url=url,
                        kind=kind,
                        country=country,
                        language=language,
                        foreign=foreign,
                        partner=partner,
                        poll_minutes=poll_minutes,
                        consecutive_failures=0,
                        created=utcnow(),
                    )
                )
        except IntegrityError as exc:
            raise UsageError(f"a source named {name!r} or with URL {url} already exists") from exc
        return self.get_source(name)

    def update_source(self, name: str, changes: Mapping[str, Any]) -> Source:
        """Change some fields of a source (its name too), with the checks of `add_source`; its
        articles stay attached."""
        current = self.get_source(name)
        unknown = sorted(set(changes) - set(SOURCE_FIELDS))
        if unknown:
            raise UsageError(f"sources have no field {', '.join(unknown)}")
        values = dict(changes)
        check_source_fields(values)
        if not values:
            return current
        s = schema.sources
        try:
            with self.begin() as conn:
                conn.execute(update(s).where(s.c.id == current.id).values(**values))
        except IntegrityError as exc:
            raise UsageError("another source already has that name or URL") from exc
        return self.get_source(str(values.get("name", name)))

    def get_source(self, name: str) -> Source:
        """The source called `name`."""
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.sources).where(schema.sources.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no source named {name!r} (see `hoasen sources list`)")
        return _source(row._mapping)

    def find_source(self, name: str) -> Source | None:
        """The source called `name`, or None when there is none."""
        try:
            return self.get_source(name)
        except NotFoundError:
            return None

    def add_partner_source(
        self,
        partner_id: int,
        name: str,
        url: str,
        country: str | None = None,
        foreign: bool = False,
    ) -> Source:
        """Register the source a partner's exchange documents are credited to: kind
        `exchange` (never polled), `url` a URN such as `urn:hoasen:partner:SLUG`."""
        try:
            with self.begin() as conn:
                conn.execute(
                    insert(schema.sources).values(
                        name=name,
                        url=url,
                        kind=EXCHANGE_KIND,
                        country=country,
                        foreign=foreign,
                        partner=True,
                        partner_id=partner_id,
                        poll_minutes=60,
                        consecutive_failures=0,
                        created=utcnow(),
                    )
                )
        except IntegrityError as exc:
            raise UsageError(f"a source named {name!r} or with URL {url} already exists") from exc
        return self.get_source(name)

    def partner_sources(self, partner_id: int) -> list[Source]:
        """The sources linked to a partner organisation: its exchange source first, then the
        others (feeds, sites) oldest first."""
        s = schema.sources
        with self.engine.connect() as conn:
            rows = conn.execute(select(s).where(s.c.partner_id == partner_id).order_by(s.c.id))
            found = [_source(r._mapping) for r in rows]
        return sorted(found, key=lambda x: x.kind != EXCHANGE_KIND)

    def link_source_partner(self, name: str, partner_id: int | None) -> Source:
        """Link a source to a partner organisation (None: unlink); linked means partner."""
        source = self.get_source(name)
        values: dict[str, Any] = {"partner_id": partner_id}
        if partner_id is not None:
            values["partner"] = True
        with self.begin() as conn:
            conn.execute(
                update(schema.sources).where(schema.sources.c.id == source.id).values(**values)
            )
        return self.get_source(name)

    def list_sources(self) -> list[Source]:
        """Every source, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.sources).order_by(schema.sources.c.name)).all()
        return [_source(r._mapping) for r in rows]

    def remove_source(self, name: str) -> None:
        """Forget a source; its articles stay, without a source."""
        source = self.get_source(name)
        with self.begin() as conn:
            conn.execute(
                update(schema.articles)
                .where(schema.articles.c.source_id == source.id)
                .values(source_id=None)
            )
            conn.execute(delete(schema.sources).where(schema.sources.c.id == source.id))

    def record_poll(
        self,
        source_id: int,
        ok: bool,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Keep a source's health after a poll: last success or error, failures, cache keys."""
        now = utcnow()
        values: dict[str, Any] = {"last_polled": now}
        if ok:
            values.update(last_success=now, last_error=None, consecutive_failures=0)
            if etag is not None:
                values["etag"] = etag
            if last_modified is not None:
                values["last_modified"] = last_modified
        else:
            values.update(
                last_error=error,
                consecutive_failures=schema.sources.c.consecutive_failures + 1,
            )
        with self.begin() as conn:
            conn.execute(
                update(schema.sources).where(schema.sources.c.id == source_id).values(**values)
            )

    # ---------------------------------------------------------------- raw input

    def find_raw(self, sha256: str) -> int | None:
        """Id of the raw document with this hash, if stored."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.raw_documents.c.id).where(schema.raw_documents.c.sha256 == sha256)
            ).scalar()

    def add_raw(self, conn: Connection, item: RawInput, sha256: str) -> int:
        """Keep the input bytes, gzip-compressed, so the article can be re-extracted later."""
        result = conn.execute(
            insert(schema.raw_documents).values(
                sha256=sha256,
                origin=item.origin,
                fmt=item.fmt,
                url=item.url,
                content_type=item.content_type,
                size=len(item.data),
                data=gzip.compress(item.data, compresslevel=_RAW_GZIP_LEVEL),
                fetched=item.fetched or utcnow(),
            )
        )
        return _new_id(result)

    def raw_bytes(self, raw_id: int) -> tuple[RawInput, bytes]:
        """The stored raw input (for re-extraction) and its original bytes."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.raw_documents).where(schema.raw_documents.c.id == raw_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no raw document {raw_id}")
        m = row._mapping
        data = gzip.decompress(m["data"])
        item = RawInput(
            origin=m["origin"],
            data=data,
            fmt=m["fmt"],
            url=m["url"],
            content_type=m["content_type"],
            fetched=m["fetched"],
        )
        return item, data

    # ---------------------------------------------------------------- articles

    def add_article(
        self,
        conn: Connection,
        article: Article,
        content_hash: str,
        raw_id: int | None,
        source_id: int | None,
        duplicate_of: int | None = None,
        similarity: float | None = None,
    ) -> int:
        """Insert one article row and return its id."""
        result = conn.execute(
            insert(schema.articles).values(
                source_id=source_id,
                raw_id=raw_id,
                title=article.title,
                text=article.text,
                language=article.language,
                language_confidence=article.language_confidence,
                url=article.url,
                canonical_url=article.canonical_url,
                source_url=article.source_url,
                author=article.author,
                published=article.published,
                published_source=article.published_source,
                fetched=article.fetched or utcnow(),
                content_hash=content_hash,
                duplicate_of=duplicate_of,
                similarity=similarity,
            )
        )
        return _new_id(result)

    def find_by_hash(self, conn: Connection, content_hash: str) -> int | None:
        """The original article with this normalized-content hash, if any.

        The oldest article with the hash is resolved to its own original when it is itself a
        (near) duplicate, so copies always point at the root of their group.
        """
        a = schema.articles.c
        row = conn.execute(
            select(a.id, a.duplicate_of)
            .where(a.content_hash == content_hash)
            .order_by(a.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        return int(row[1]) if row[1] is not None else int(row[0])

    def url_known(self, url: str) -> bool:
        """True when an article with this URL or canonical URL is stored."""
        a = schema.articles.c
        with self.engine.connect() as conn:
            found = conn.execute(
                select(a.id).where((a.url == url) | (a.canonical_url == url)).limit(1)
            ).scalar()
        return found is not None

    def get_article(self, article_id: int) -> StoredArticle:
        """One article by id."""
        rows = self._select_articles(ids=[article_id])
        if not rows:
            raise NotFoundError(f"no article with id {article_id}")
        return rows[0]

    def get_articles(self, ids: Sequence[int]) -> list[StoredArticle]:
        """Articles by id, in the order given (missing ids are left out)."""
        by_id = {a.id: a for a in self._select_articles(ids=list(ids))}
        return [by_id[i] for i in ids if i in by_id]

    def list_articles(
        self, limit: int | None = 50, include_duplicates: bool = False, offset: int = 0
    ) -> list[StoredArticle]:
        """Newest articles first; duplicates hidden unless asked for."""
        return self._select_articles(
            limit=limit, include_duplicates=include_duplicates, offset=offset
        )

    def _select_articles(
        self,
        ids: list[int] | None = None,
        limit: int | None = None,
        include_duplicates: bool = True,
        offset: int = 0,
    ) -> list[StoredArticle]:
        a, s = schema.articles, schema.sources
        query = select(a, s.c.name.label("source_name")).select_from(
            a.outerjoin(s, a.c.source_id == s.c.id)
        )
        if ids is not None:
            query = query.where(a.c.id.in_(ids))
        if not include_duplicates:
            query = query.where(a.c.duplicate_of.is_(None))
        query = query.order_by(
            func.coalesce(a.c.published, a.c.fetched).desc(), a.c.id.desc()
        ).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_article(r._mapping) for r in rows]

    def duplicates_of(self, article_id: int) -> list[int]:
        """Ids of the articles stored as copies of `article_id`, oldest first."""
        a = schema.articles.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(a.id).where(a.duplicate_of == article_id).order_by(a.id))
            return [int(i) for i in rows.scalars()]

    def count_articles(self, include_duplicates: bool = False) -> int:
        """How many articles are stored."""
        query = select(func.count()).select_from(schema.articles)
        if not include_duplicates:
            query = query.where(schema.articles.c.duplicate_of.is_(None))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def duplicate_groups(self) -> list[tuple[int, list[int]]]:
        """(original id, [duplicate ids]) for every original that has duplicates."""
        a = schema.articles.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.duplicate_of, a.id)
                .where(a.duplicate_of.is_not(None))
                .order_by(a.duplicate_of, a.id)
            ).all()
        groups: dict[int, list[int]] = {}
        for original, dup in rows:
            groups.setdefault(int(original), []).append(int(dup))
        return sorted(groups.items())

    def stats(self) -> dict[str, Any]:
        """Counts by language and source, duplicates and errors (for the demo summary)."""
        a, s = schema.articles, schema.sources
        with self.engine.connect() as conn:
            by_lang = conn.execute(
                select(a.c.language, func.count())
                .where(a.c.duplicate_of.is_(None))
                .group_by(a.c.language)
                .order_by(func.count().desc())
            ).all()
            by_source = conn.execute(
                select(func.coalesce(s.c.name, "(files)"), func.count())
                .select_from(a.outerjoin(s, a.c.source_id == s.c.id))
                .where(a.c.duplicate_of.is_(None))
                .group_by(s.c.name)
                .order_by(func.count().desc())
            ).all()
            dupes = conn.execute(select(func.count()).where(a.c.duplicate_of.is_not(None))).scalar()
            errors = conn.execute(select(func.count()).select_from(schema.ingest_errors)).scalar()
        return {
            "articles": sum(n for _, n in by_lang),
            "by_language": {str(lang): int(n) for lang, n in by_lang},
            "by_source": {str(src): int(n) for src, n in by_source},
            "duplicates": int(dupes or 0),
            "errors": int(errors or 0),
        }

    # ---------------------------------------------------------------- errors

    def add_errors(self, errors: Iterable[ItemError], source_id: int | None = None) -> None:
        """Keep ingest errors so they can be reviewed later."""
        rows = [
            {"input": e.input, "reason": e.reason, "source_id": source_id, "created": utcnow()}
            for e in errors
        ]
        if rows:
            with self.begin() as conn:
                conn.execute(insert(schema.ingest_errors), rows)

    # ---------------------------------------------------------------- dedupe signatures

    def add_minhash(
        self,
        conn: Connection,
        article_id: int,
        signature: bytes,
        bands: Sequence[int],
        first_band: int = 0,
    ) -> None:
        """Persist an article's MinHash signature and its LSH band hashes.

        Band i is stored as band id `first_band + i`; the deduper puts its band layout in
        `first_band` so bands cut for another threshold never meet.
        """
        conn.execute(
            insert(schema.article_minhash).values(article_id=article_id, signature=signature)
        )
        if bands:
            conn.execute(
                insert(schema.minhash_bands),
                [
                    {"band": first_band + i, "hash": h, "article_id": article_id}
                    for i, h in enumerate(bands)
                ],
            )

    def minhash_candidates(
        self, conn: Connection, bands: Sequence[int], first_band: int = 0
    ) -> list[tuple[int, bytes, int | None]]:
        """(article id, signature, duplicate_of) of stored articles sharing any LSH band.

        One indexed (band, hash) probe per band, OR-ed; the statement is built once per band
        count and reused (a row-value IN list makes SQLite scan the whole table instead).
        """
        if not bands:
            return []
        stmt = self._candidate_statements.get(len(bands))
        if stmt is None:
            mb, am, a = schema.minhash_bands, schema.article_minhash, schema.articles
            probes = or_(
                *[
                    and_(mb.c.band == bindparam(f"b{i}"), mb.c.hash == bindparam(f"h{i}"))
                    for i in range(len(bands))
                ]
            )
            ids = select(mb.c.article_id).where(probes).distinct().scalar_subquery()
            stmt = (
                select(am.c.article_id, am.c.signature, a.c.duplicate_of)
                .join(a, a.c.id == am.c.article_id)
                .where(am.c.article_id.in_(ids))
            )
            self._candidate_statements[len(bands)] = stmt
        params: dict[str, int] = {}
        for i, h in enumerate(bands):
            params[f"b{i}"] = first_band + i
            params[f"h{i}"] = h
        rows = conn.execute(stmt, params).all()
        return [(int(r[0]), bytes(r[1]), r[2]) for r in rows]

    def minhash_bands_outside(self, conn: Connection, first_band: int, count: int) -> bool:
        """True when some stored band id lies outside first_band .. first_band + count - 1."""
        b = schema.minhash_bands.c.band
        found = conn.execute(
            select(b).where((b < first_band) | (b >= first_band + count)).limit(1)
        ).first()
        return found is not None

    def rebuild_minhash_bands(
        self,
        conn: Connection,
        bands_of: Callable[[bytes], Sequence[int] | None],
        first_band: int = 0,
        batch: int = 1000,
    ) -> None:
        """Replace every stored band by `bands_of(signature)` (None: that article gets none)."""
        am = schema.article_minhash.c
        conn.execute(delete(schema.minhash_bands))
        last = -1
        while True:
            rows = conn.execute(
                select(am.article_id, am.signature)
                .where(am.article_id > last)
                .order_by(am.article_id)
                .limit(batch)
            ).all()
            if not rows:
                return
            values = []
            for article_id, signature in rows:
                for i, h in enumerate(bands_of(bytes(signature)) or ()):
                    values.append({"band": first_band + i, "hash": h, "article_id": article_id})
            if values:
                conn.execute(insert(schema.minhash_bands), values)
            last = int(rows[-1][0])

    # ---------------------------------------------------------------- boilerplate learning

    def boilerplate_counts(
        self, conn: Connection, source_key: str, hashes: Sequence[str]
    ) -> dict[str, int]:
        """How many earlier articles of this source contained each line hash."""
        if not hashes:
            return {}
        b = schema.boilerplate_lines.c
        rows = conn.execute(
            select(b.line_hash, b.doc_count).where(
                b.source_key == source_key, b.line_hash.in_(list(set(hashes)))
            )
        ).all()
        return {r[0]: int(r[1]) for r in rows}

    def count_lines(self, conn: Connection, source_key: str, hashes: Iterable[str]) -> None:
        """Add one to the article count of each distinct line hash of this source."""
        unique = sorted(set(hashes))
        if not unique:
            return
        b = schema.boilerplate_lines
        known = set(self.boilerplate_counts(conn, source_key, unique))
        if known:
            conn.execute(
                update(b)
                .where(b.c.source_key == source_key, b.c.line_hash.in_(sorted(known)))
                .values(doc_count=b.c.doc_count + 1)
            )
        new = [
            {"source_key": source_key, "line_hash": h, "doc_count": 1}
            for h in unique
            if h not in known
        ]
        if new:
            conn.execute(insert(b), new)


SOURCE_FIELDS = ("name", "url", "kind", "country", "language", "foreign", "partner", "poll_minutes")


def check_source_fields(values: dict[str, Any]) -> None:
    """Validate source fields (normalising the country code in place); UsageError otherwise."""
    if "name" in values and not str(values["name"] or "").strip():
        raise UsageError("a source needs a name")
    if "kind" in values and values["kind"] not in {"feed", "site"}:
        raise UsageError(f"source kind must be 'feed' or 'site', not {values['kind']!r}")
    url = values.get("url")
    if "url" in values and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise UsageError(f"source URL must start with http:// or https://: {url!r}")
    country = values.get("country")
    if country:
        if len(country) != 2 or not country.isalpha():
            raise UsageError(f"country must be a two-letter code such as VN or CN, not {country!r}")
        values["country"] = country.upper()
    elif "country" in values:
        values["country"] = None
    if "poll_minutes" in values and int(values["poll_minutes"]) < 1:
        raise UsageError("poll interval must be at least one minute")


def _new_id(result: Any) -> int:
    """The primary key of the row an INSERT just created."""
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("the database did not return the new row's id")
    return int(key[0])


def content_sha256(data: bytes) -> str:
    """Hex SHA-256 of raw bytes."""
    return hashlib.sha256(data).hexdigest()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _source(m: Any) -> Source:
    return Source(
        id=m["id"],
        name=m["name"],
        url=m["url"],
        kind=m["kind"],
        country=m["country"],
        language=m["language"],
        foreign=bool(m["foreign"]),
        partner=bool(m["partner"]),
        poll_minutes=int(m["poll_minutes"]),
        etag=m["etag"],
        last_modified=m["last_modified"],
        last_polled=m["last_polled"],
        last_success=m["last_success"],
        last_error=m["last_error"],
        consecutive_failures=int(m["consecutive_failures"] or 0),
        partner_id=m["partner_id"],
    )


def _article(m: Any) -> StoredArticle:
    return StoredArticle(
        id=m["id"],
        title=m["title"],
        text=m["text"],
        language=m["language"],
        language_confidence=m["language_confidence"],
        url=m["url"],
        canonical_url=m["canonical_url"],
        source_url=m["source_url"],
        author=m["author"],
        published=m["published"],
        fetched=m["fetched"],
        source_id=m["source_id"],
        source_name=m["source_name"],
        content_hash=m["content_hash"],
        duplicate_of=m["duplicate_of"],
        published_source=m["published_source"],
    )
