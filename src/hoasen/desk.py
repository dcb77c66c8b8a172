"""The Desk: hoasen's typed core API, shared by the CLI and (later) the web layer.

It owns one Store and the models of one run (language detector, search analyzer, deduper), so
they are loaded once and never kept in process-global state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from pathlib import Path

from hoasen.errors import InputRejected, UsageError
from hoasen.ingest.feeds import feed_items, page_item
from hoasen.ingest.files import iter_paths
from hoasen.ingest.http import SafeFetcher
from hoasen.ingest.pipeline import Ingestor, Progress
from hoasen.ingest.poll import PollOutcome, poll_due
from hoasen.models import Article, IngestReport, ItemError, RawInput
from hoasen.settings import Settings
from hoasen.store.db import Source, Store
from hoasen.store.search import SearchHit, SearchIndex


class Desk:
    """One database plus the settings and models to work on it."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store.open(settings.database_url)

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def search_index(self) -> SearchIndex:
        """The search index of this store (its analyzer loads lazily)."""
        return SearchIndex(self.store)

    @cached_property
    def ingestor(self) -> Ingestor:
        """The ingest pipeline for this store."""
        return Ingestor(self.store, self.settings, index=self.search_index)

    # ---------------------------------------------------------------- ingest

    def ingest(
        self,
        paths: Sequence[Path] = (),
        feeds: Sequence[str] = (),
        urls: Sequence[str] = (),
        source_name: str | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest local files/folders, one-off feeds and single pages into the database."""
        source = self.store.get_source(source_name) if source_name else None
        report = IngestReport()
        if paths:
            items = _with_source(iter_paths(list(paths)), source_name)
            report.merge(self.ingestor.ingest(items, source=source, progress=progress))
        if feeds or urls:
            fetched = asyncio.run(self._fetch_one_off(feeds, urls, source_name))
            report.merge(self.ingestor.ingest(fetched, source=source, progress=progress))
        return report

    async def _fetch_one_off(
        self, feeds: Sequence[str], urls: Sequence[str], source_name: str | None
    ) -> list[RawInput | ItemError]:
        out: list[RawInput | ItemError] = []
        async with SafeFetcher(self.settings) as fetcher:
            for feed_url in feeds:
                try:
                    polled = await feed_items(
                        fetcher,
                        feed_url,
                        source_name=source_name,
                        max_entries=self.settings.feed_max_entries,
                        skip_url=self.store.url_known,
                    )
                except InputRejected as exc:
                    out.append(ItemError(feed_url, exc.reason))
                    continue
                out.extend(polled.items)
            pages = await asyncio.gather(
                *(page_item(fetcher, url, source_name) for url in urls), return_exceptions=True
            )
            for url, page in zip(urls, pages, strict=True):
                if isinstance(page, InputRejected):
                    out.append(ItemError(url, page.reason))
                elif isinstance(page, BaseException):
                    raise page
                else:
                    out.append(page)
        return out

    def fetch_due(
        self,
        names: Sequence[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[IngestReport, list[PollOutcome]]:
        """Poll every due source (or the named ones) and ingest what they bring."""
        report = IngestReport()

        def handle(source: Source, items: list[RawInput | ItemError]) -> None:
            report.merge(self.ingestor.ingest(items, source=source))

        outcomes = poll_due(self.store, self.settings, handle, names=names, progress=progress)
        for outcome in outcomes:
            if not outcome.ok:
                report.errors.append(ItemError(outcome.source.url, outcome.error or "poll failed"))
        return report, outcomes

    # ---------------------------------------------------------------- reading

    def extract(self, item: RawInput) -> Article:
        """Parse, clean and detect the language of one page or file without storing it."""
        return self.ingestor.prepare(item)

    def search(
        self,
        query: str,
        language: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[SearchHit]:
        """Ranked full-text search in every language."""
        if language is not None and language not in self.settings.languages:
            known = ", ".join(self.settings.languages)
            raise UsageError(f"unknown language {language!r}; configured languages: {known}")
        return self.search_index.search(
            query,
            language=language,
            source=source,
            since=since,
            until=until,
            limit=limit or self.settings.search_limit,
        )


def _with_source(
    items: Iterable[RawInput | ItemError], source_name: str | None
) -> Iterable[RawInput | ItemError]:
    """Tag file inputs with the `--source` they were given on the command line."""
    if source_name is None:
        yield from items
        return
    for item in items:
        if isinstance(item, RawInput) and item.source_name is None:
            yield replace(item, source_name=source_name)
        else:
            yield item
