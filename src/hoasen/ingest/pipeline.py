"""The ingest pipeline: raw input -> parse + clean -> language -> dedupe -> store + search index.

Each item is stored in its own transaction, so one broken item never loses the others; every
rejection is reported with its reason (and kept in `ingest_errors`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hoasen.analyze.clean import boilerplate_key, strip_learned
from hoasen.analyze.language import LanguageDetector, make_detector
from hoasen.errors import InputRejected
from hoasen.ingest.formats import parse, split_items
from hoasen.models import Article, IngestReport, ItemError, RawInput
from hoasen.settings import Settings

if TYPE_CHECKING:  # loaded when an Ingestor is built: `extract` needs none of them
    from sqlalchemy import Connection

    from hoasen.analyze.dedupe import Deduper
    from hoasen.store.db import Source, Store
    from hoasen.store.search import SearchIndex

Progress = Callable[[str], None]


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
    ) -> IngestReport:
        """Ingest every item; failures land in the report's `errors`, never stop the batch."""
        report = IngestReport()
        for item in self._expand(items):
            if isinstance(item, ItemError):
                report.errors.append(item)
            else:
                self._ingest_one(item, source, report)
            if progress is not None:
                progress(item.input if isinstance(item, ItemError) else item.origin)
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

    def _ingest_one(self, raw: RawInput, source: Source | None, report: IngestReport) -> None:
        from hoasen.analyze.dedupe import content_hash

        sha = input_identity(raw)
        if self.store.find_raw(sha) is not None:
            report.skipped += 1
            return
        try:
            article = self.prepare(raw)
        except InputRejected as exc:
            report.errors.append(ItemError(raw.origin, exc.reason))
            return
        source_id = source.id if source else self._source_id(raw.source_name or article.source_name)
        key = _boilerplate_source(source_id, article)
        with self.store.begin() as conn:
            if key is not None:
                article = self._strip_boilerplate(conn, key, article)
                if not article.text.strip():
                    report.errors.append(
                        ItemError(
                            raw.origin, "only the site's repeated boilerplate, no article text"
                        )
                    )
                    return
            digest = content_hash(article.title, article.text)
            sig = self.deduper.signature(article.title, article.text, article.language)
            match = self.deduper.find(conn, digest, sig)
            raw_id = self.store.add_raw(conn, raw, sha)
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
        report.article_ids.append(article_id)
        if match is None:
            report.ingested += 1
        else:
            report.duplicates += 1

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
