"""The ingest pipeline: raw input -> parse + clean -> language -> dedupe -> store + search index.

Items are parsed, then stored BATCH_SIZE at a time in one transaction (one commit per batch, not
per item); one broken item never loses the others: a rejected input is reported with its reason
(and kept in `ingest_errors`), and a batch the database refuses is stored again item by item.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from hoasen.analyze.clean import boilerplate_key, strip_learned
from hoasen.analyze.language import LanguageDetector, make_detector
from hoasen.errors import InputRejected
from hoasen.ingest.formats import parse, split_items
from hoasen.ingest.parallel import BrokenProcessPool, Parsed, ParsePool, process_count
from hoasen.models import Article, IngestReport, ItemError, RawInput
from hoasen.settings import Settings

T = TypeVar("T")

if TYPE_CHECKING:  # loaded when an Ingestor is built: `extract` needs none of them
    from concurrent.futures import Future

    from sqlalchemy import Connection

    from hoasen.analyze.dedupe import Deduper
    from hoasen.store.db import Source, Store
    from hoasen.store.search import SearchIndex

Progress = Callable[[str], None]
Stored = Callable[[list[int]], None]

#: Items stored per transaction: one commit per batch instead of per item.
BATCH_SIZE = 50
#: Batches the parse workers may work on ahead of the one being stored (and analysed).
AHEAD = 8


@dataclass(frozen=True)
class _Todo:
    """An input to parse and store, with its identity."""

    raw: RawInput
    sha: str


@dataclass(frozen=True)
class _Pending:
    """A batch handed to the worker processes, stored once they have parsed it."""

    batch: list[RawInput | ItemError]
    todo: list[_Todo]
    pool: ParsePool
    future: Future[list[Parsed]]


@dataclass(frozen=True)
class _Prepared:
    """An input parsed and ready to store."""

    raw: RawInput
    sha: str
    article: Article


@dataclass(frozen=True)
class _Outcome:
    """What storing one item did, counted into the report once its transaction committed."""

    article_id: int | None = None
    duplicate: bool = False
    error: ItemError | None = None

    def add_to(self, report: IngestReport) -> None:
        if self.error is not None:
            report.errors.append(self.error)
        elif self.article_id is not None:
            report.article_ids.append(self.article_id)
            if self.duplicate:
                report.duplicates += 1
            else:
                report.ingested += 1


def _tell(progress: Progress | None, batch: list[RawInput | ItemError]) -> None:
    if progress is not None:
        for item in batch:
            progress(item.input if isinstance(item, ItemError) else item.origin)


def _with_more(batches: Iterator[list[T]]) -> Iterator[tuple[list[T], bool]]:
    """Each batch with whether another follows (one batch is read ahead)."""
    current = next(batches, None)
    while current is not None:
        following = next(batches, None)
        yield current, following is not None
        current = following


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Ingestor:
    """Runs items through the pipeline into one Store; holds the run's models and indexes."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        detector: LanguageDetector | None = None,
        index: SearchIndex | None = None,
        deduper: Deduper | None = None,
    ) -> None:
        from hoasen.analyze.dedupe import Deduper
        from hoasen.store.search import SearchIndex

        self.store = store
        self.settings = settings
        self.detector = detector or make_detector(settings)
        self.index = index or SearchIndex(store)
        self.deduper = deduper or Deduper(store, threshold=settings.dedupe_threshold)
        self._source_ids: dict[str, int | None] = {}

    def ingest(
        self,
        items: Iterable[RawInput | ItemError],
        source: Source | None = None,
        progress: Progress | None = None,
        stored: Stored | None = None,
    ) -> IngestReport:
        """Ingest every item; failures land in the report's `errors`, never stop the batch.

        A single batch is parsed here; when more follow (a large ingest) and more than one
        process is allowed (`ingest_processes`), every batch is parsed by worker processes, up
        to AHEAD batches ahead of the one this process stores. `stored` is called with each
        stored batch's article ids (the desk analyses them while the workers parse on)."""
        report = IngestReport()
        seen: set[str] = set()
        processes = process_count(self.settings)
        pool: ParsePool | None = None
        pending: deque[_Pending] = deque()

        def store(
            todo: list[_Todo], parsed: list[Parsed], batch: list[RawInput | ItemError]
        ) -> None:
            before = len(report.article_ids)
            self._store_batch(todo, parsed, source, report)
            _tell(progress, batch)
            if stored is not None and len(report.article_ids) > before:
                stored(report.article_ids[before:])

        try:
            for batch, more in _with_more(_batches(self._expand(items), BATCH_SIZE)):
                todo = self._select(batch, seen, report)
                alone = pool is None and not more  # a small ingest: no workers to start
                if alone or processes <= 1 or (pool is not None and pool.broken):
                    while pending:  # keep the order: what the workers hold goes first
                        done = pending.popleft()
                        store(done.todo, self._collect(done), done.batch)
                    store(todo, [self._parse_here(item.raw) for item in todo], batch)
                    continue
                pool = pool or ParsePool(self.settings, processes, self.detector)
                pending.append(_Pending(batch, todo, pool, pool.submit([i.raw for i in todo])))
                while len(pending) > AHEAD:
                    done = pending.popleft()
                    store(done.todo, self._collect(done), done.batch)
            while pending:
                done = pending.popleft()
                store(done.todo, self._collect(done), done.batch)
        finally:
            if pool is not None:
                pool.close()
        self.store.add_errors(report.errors, source.id if source else None)
        return report

    def _expand(self, items: Iterable[RawInput | ItemError]) -> Iterator[RawInput | ItemError]:
        for item in items:
            if isinstance(item, ItemError):
                yield item
                continue
            try:
                yield from split_items(item)
            except InputRejected as exc:
                yield ItemError(item.origin, exc.reason)

    def _select(
        self, batch: list[RawInput | ItemError], seen: set[str], report: IngestReport
    ) -> list[_Todo]:
        """The batch's inputs not stored yet (nor seen earlier in this run); the rest counted."""
        todo: list[_Todo] = []
        for item in batch:
            if isinstance(item, ItemError):
                report.errors.append(item)
                continue
            sha = input_identity(item)
            if sha in seen or self.store.find_raw(sha) is not None:
                report.skipped += 1
                continue
            seen.add(sha)
            todo.append(_Todo(item, sha))
        return todo

    def _collect(self, pending: _Pending) -> list[Parsed]:
        """The workers' parses of a batch; parsed here instead if a worker process died (killed,
        out of memory), so the batch is never lost (and later batches are parsed here too)."""
        try:
            return pending.future.result()
        except BrokenProcessPool:
            pending.pool.broken = True
            return [self._parse_here(item.raw) for item in pending.todo]

    def _parse_here(self, raw: RawInput) -> Parsed:
        try:
            return Parsed(self.prepare(raw))
        except InputRejected as exc:
            return Parsed(None, exc.reason)

    def _store_batch(
        self,
        todo: list[_Todo],
        parsed: list[Parsed],
        source: Source | None,
        report: IngestReport,
    ) -> None:
        """Store the parsed items in one transaction. Should the database refuse one (another
        worker stored the same input meanwhile), the batch is rolled back and stored item by
        item, so only that item is reported."""
        from sqlalchemy.exc import IntegrityError

        ready: list[_Prepared] = []
        for item, result in zip(todo, parsed, strict=True):
            if result.article is None:
                report.errors.append(ItemError(item.raw.origin, result.reason or "not parsed"))
            else:
                ready.append(_Prepared(item.raw, item.sha, result.article))
        if not ready:
            return
        try:
            with self.store.begin() as conn:
                outcomes = [self._store_one(conn, item, source) for item in ready]
        except IntegrityError:
            outcomes = [self._store_alone(item, source) for item in ready]
        for outcome in outcomes:
            outcome.add_to(report)

    def _store_alone(self, item: _Prepared, source: Source | None) -> _Outcome:
        from sqlalchemy.exc import IntegrityError

        try:
            with self.store.begin() as conn:
                return self._store_one(conn, item, source)
        except IntegrityError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            return _Outcome(error=ItemError(item.raw.origin, f"could not be stored: {reason}"))

    def _store_one(self, conn: Connection, item: _Prepared, source: Source | None) -> _Outcome:
        """Write one prepared item: boilerplate, duplicate check, raw bytes, article, index."""
        raw, article = item.raw, item.article
        source_id = source.id if source else self._source_id(raw.source_name or article.source_name)
        key = _boilerplate_source(source_id, article)
        if key is not None:
            article = self._strip_boilerplate(conn, key, article)
            if not article.text.strip():
                reason = "only the site's repeated boilerplate, no article text"
                return _Outcome(error=ItemError(raw.origin, reason))
        digest, sig = self.deduper.fingerprint(article.title, article.text)
        match = self.deduper.find(conn, digest, sig)
        raw_id = self.store.add_raw(conn, raw, item.sha)
        article_id = self.store.add_article(
            conn,
            article,
            content_hash=digest,
            raw_id=raw_id,
            source_id=source_id,
            duplicate_of=match.original_id if match else None,
            similarity=match.similarity if match else None,
        )
        self.deduper.remember(conn, article_id, sig)
        if match is None:
            self.index.index(conn, article_id, article.title, article.text, article.language)
        return _Outcome(article_id=article_id, duplicate=match is not None)

    def prepare(self, raw: RawInput) -> Article:
        """Parse, clean and detect the language of one item, without storing it."""
        return prepare(raw, self.settings, self.detector)

    def _source_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self._source_ids:
            found = self.store.find_source(name)
            self._source_ids[name] = found.id if found else None
        return self._source_ids[name]

    def _strip_boilerplate(self, conn: Connection, key: str, article: Article) -> Article:
        """Learn this source's repeated lines and drop those seen in enough earlier articles."""
        hashes = [h for line in article.text.splitlines() if (h := boilerplate_key(line))]
        counts = self.store.boilerplate_counts(conn, key, hashes)
        self.store.count_lines(conn, key, hashes)
        text = strip_learned(article.text, counts, self.settings.boilerplate_min_docs)
        return article if text == article.text else replace(article, text=text)


def prepare(raw: RawInput, settings: Settings, detector: LanguageDetector) -> Article:
    """Parse, clean and detect the language of one item, without storing it.

    A function of its own so `hoasen extract` runs it without an Ingestor (whose deduper and
    search index load datasketch, SciPy and the database layer).
    """
    article = parse(raw)
    if not article.text.strip():
        raise InputRejected("no article text found")
    if article.fetched is None and raw.fetched is not None:
        article = replace(article, fetched=raw.fetched)
    if article.source_name is None and raw.source_name is not None:
        article = replace(article, source_name=raw.source_name)
    if article.published is None:  # nothing said when: the time it was first seen, marked
        seen = article.fetched or datetime.now(UTC)
        article = replace(article, fetched=seen, published=seen, published_source="first_seen")
    if article.language not in settings.languages:
        guess = detector.detect(f"{article.title}\n{article.text}")
        article = replace(article, language=guess.language, language_confidence=guess.confidence)
    elif article.language_confidence is None:
        article = replace(article, language_confidence=1.0)
    return article


def input_identity(raw: RawInput) -> str:
    """Hash of where an input came from plus its bytes.

    The same file or URL with the same bytes is skipped on re-ingest (idempotent), while the same
    bytes arriving from another file or address are stored as a duplicate of the first copy.
    """
    where = raw.url or os.path.abspath(raw.origin)
    # the same digest as hoasen.store.db.content_sha256, without loading the database layer
    return hashlib.sha256(where.encode("utf-8") + b"\0" + raw.data).hexdigest()


def _boilerplate_source(source_id: int | None, article: Article) -> str | None:
    """Boilerplate is learned per registered source, else per web host; files have none."""
    if source_id is not None:
        return f"source:{source_id}"
    if article.url:
        host = urlsplit(article.url).hostname
        if host:
            return f"host:{host.removeprefix('www.')}"
    return None
