"""The Desk: hoasen's typed core API, shared by the CLI and (later) the web layer.

It owns one Store and the models of one run (language detector, search analyzer, deduper), so
they are loaded once and never kept in process-global state.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoasen.errors import InputRejected, NotFoundError, UsageError
from hoasen.models import Article, IngestReport, ItemError, RawInput
from hoasen.settings import Settings

# The parts below load on first use: a command such as `search` or `extract` needs one or two
# of them, and together they cost seconds of start-up (SciPy, datasketch, trafilatura, ...).
if TYPE_CHECKING:
    from hoasen.alerts.desk import AlertDesk
    from hoasen.analyze.gazetteer import Entity
    from hoasen.analyze.language import LanguageDetector
    from hoasen.analyze.pipeline import AnalysisReport, Pipeline
    from hoasen.exchange.receive import ExchangeInbox
    from hoasen.exchange.service import ExchangeDesk
    from hoasen.ingest.http import HostTurns
    from hoasen.ingest.pipeline import Ingestor, Progress
    from hoasen.ingest.poll import PollOutcome
    from hoasen.jobs.desk import JobsDesk
    from hoasen.publish.editions import EditionDesk
    from hoasen.publish.mailing import MailingDesk
    from hoasen.publish.posts import PostDesk
    from hoasen.registers.desk import RegisterDesk
    from hoasen.registers.partners import PartnerDesk
    from hoasen.reports.schedules import ReportScheduleDesk
    from hoasen.reports.service import ReportService
    from hoasen.store.analysis import AnalysisStore, StoryRow
    from hoasen.store.db import Source, Store, StoredArticle
    from hoasen.store.search import SearchHit, SearchIndex
    from hoasen.translate.service import TranslationDesk

AnalysisProgress = Callable[[int, int], None]


class Desk:
    """One database plus the settings and models to work on it."""

    def __init__(
        self, settings: Settings, store: Store | None = None, turns: HostTurns | None = None
    ) -> None:
        self.settings = settings
        self._store = store
        self._store_lock = threading.Lock()
        self.turns = turns  # a worker's per-host turns shared with the other workers

    @property
    def store(self) -> Store:
        """The database, opened (and migrated) on first use: `extract` never needs it, and
        the database layer alone costs ~0.3 s of start-up. Thread-safe: a web app's first
        requests may arrive together."""
        store = self._store
        if store is None:
            with self._store_lock:
                if self._store is None:
                    from hoasen.store.db import Store

                    self._store = Store.open(self.settings.database_url)
                store = self._store
        return store

    def close(self) -> None:
        """Release the database if it was opened (and the task queue's connections, if
        opened)."""
        if "jobs" in self.__dict__:
            self.jobs.close()
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def search_index(self) -> SearchIndex:
        """The search index of this store (its analyzer loads lazily)."""
        from hoasen.store.search import SearchIndex

        return SearchIndex(self.store)

    @cached_property
    def ingestor(self) -> Ingestor:
        """The ingest pipeline for this store."""
        from hoasen.ingest.pipeline import Ingestor

        return Ingestor(self.store, self.settings, detector=self.detector, index=self.search_index)

    @cached_property
    def detector(self) -> LanguageDetector:
        """The language detector of this run (its models load on first use)."""
        from hoasen.analyze.language import make_detector

        return make_detector(self.settings)

    @cached_property
    def pipeline(self) -> Pipeline:
        """The analysis stages of this store (models load on first use)."""
        from hoasen.analyze.pipeline import Pipeline

        return Pipeline(self.store, self.settings)

    @cached_property
    def results(self) -> AnalysisStore:
        """Stored analysis output: entities, figures, topics, stories."""
        from hoasen.store.analysis import AnalysisStore

        return AnalysisStore(self.store)

    @cached_property
    def reports(self) -> ReportService:
        """Monitoring reports and their numbered register."""
        from hoasen.reports.service import ReportService

        return ReportService(
            self.store,
            self.settings,
            self.pipeline.gazetteer,
            glossary_for=lambda source, target: self.translation.glossary(source, target),
        )

    @cached_property
    def translation(self) -> TranslationDesk:
        """The translation desk: engines, termbase, memory, QA and articles' translations."""
        from hoasen.translate.service import TranslationDesk

        return TranslationDesk(self.store, self.settings, self.pipeline.gazetteer)

    @cached_property
    def exchange(self) -> ExchangeDesk:
        """News exchange with partners: export to ninjs/NewsML-G2/feeds, import their documents."""
        from hoasen.exchange.service import ExchangeDesk

        return ExchangeDesk(self)

    @cached_property
    def inbox(self) -> ExchangeInbox:
        """Receiving from partners: the signed inbox, watched folders, files, with the ledger."""
        from hoasen.exchange.receive import ExchangeInbox

        return ExchangeInbox(self)

    @cached_property
    def editions(self) -> EditionDesk:
        """Numbered bilingual editions: series, issues, items, texts and their workflow."""
        from hoasen.publish.editions import EditionDesk

        return EditionDesk(self)

    @cached_property
    def mailing(self) -> MailingDesk:
        """Mailing lists, subscribers, signed links, campaigns and bounces."""
        from hoasen.publish.mailing import MailingDesk

        return MailingDesk(self)

    @cached_property
    def partners(self) -> PartnerDesk:
        """Partner organisations and cooperation agreements, names resolved via the gazetteer."""
        from hoasen.registers.partners import PartnerDesk

        return PartnerDesk(self.store, self.pipeline.gazetteer)

    @cached_property
    def registers(self) -> RegisterDesk:
        """The office's registers: delegations, foreign press, events, their statistics and
        the privacy duties over the people named in them."""
        from hoasen.registers.desk import RegisterDesk

        return RegisterDesk(self)

    @cached_property
    def posts(self) -> PostDesk:
        """Publishing channels and their posts: drafts, approval, schedule, sending."""
        from hoasen.publish.posts import PostDesk

        return PostDesk(self)

    @cached_property
    def alerts(self) -> AlertDesk:
        """Saved searches and watches: their hits, delivery (desk, e-mail, Telegram), digests."""
        from hoasen.alerts.desk import AlertDesk

        return AlertDesk(self)

    @cached_property
    def jobs(self) -> JobsDesk:
        """The work hoasen runs by itself: keyed runs, the queue, workers' health."""
        from hoasen.jobs.desk import JobsDesk

        return JobsDesk(self)

    @cached_property
    def schedules(self) -> ReportScheduleDesk:
        """Report schedules: which report is built when, in what formats, mailed to whom."""
        from hoasen.reports.schedules import ReportScheduleDesk

        return ReportScheduleDesk(self)

    # ---------------------------------------------------------------- ingest

    def ingest(
        self,
        paths: Sequence[Path] = (),
        feeds: Sequence[str] = (),
        urls: Sequence[str] = (),
        source_name: str | None = None,
        progress: Progress | None = None,
        analysis_progress: AnalysisProgress | None = None,
        items: Iterable[RawInput | ItemError] = (),
    ) -> IngestReport:
        """Ingest local files/folders, one-off feeds, single pages and ready-made items into
        the database, then analyse the new articles (unless `analyze_on_ingest` is off)."""
        from hoasen.ingest.files import iter_paths
        from hoasen.ingest.parallel import process_count

        source = self.store.get_source(source_name) if source_name else None
        report = IngestReport()
        early = None
        if self.settings.analyze_on_ingest and process_count(self.settings) > 1:
            early = _AnalyseAsStored(self, analysis_progress)
        stored = early.add if early is not None else None
        if paths:
            found = _with_source(iter_paths(list(paths)), source_name)
            report.merge(self.ingestor.ingest(found, source, progress, stored))
        report.merge(self.ingestor.ingest(items, source, progress, stored))
        if feeds or urls:
            fetched = asyncio.run(self._fetch_one_off(feeds, urls, source_name))
            report.merge(self.ingestor.ingest(fetched, source, progress, stored))
        self.analyze_new(report, analysis_progress, early)
        return report

    def analyze_new(
        self,
        report: IngestReport,
        progress: AnalysisProgress | None = None,
        early: _AnalyseAsStored | None = None,
    ) -> None:
        """Analyse the new articles (those `early` has not analysed yet), and catch up (at most
        `analyze_catch_up`) older ones whose stages are missing or stale, so a crash
        mid-analysis leaves nothing out for good; then look for alerts the new articles match."""
        if not self.settings.analyze_on_ingest:
            self._alert(report)
            return
        if early is not None:
            report.analyzed += early.articles
            report.errors.extend(early.errors)
        done_early = early.ids if early is not None else set()
        new = {i for i in report.article_ids if i not in done_early}
        limit = self.settings.analyze_catch_up
        versions: dict[str, str] = {}
        older: list[int] = []
        if limit > 0:
            versions = self.pipeline.versions()
            behind = self.results.behind(versions, limit=limit + len(new))
            older = [i for i in behind if i not in new][:limit]
        if new or older:
            todo = [i for i in report.article_ids if i in new]
            done = self.analyze(ids=[*todo, *older], progress=progress)
            report.analyzed += done.articles
            report.caught_up = len(older)
            report.errors.extend(done.errors)
        if versions:
            report.behind = self.results.count_behind(versions)
        self._alert(report)

    def _alert(self, report: IngestReport) -> None:
        """Hits of the new articles on the saved alerts, delivered (a failed delivery is kept
        for the next try and reported as an error of this ingest)."""
        if report.article_ids:
            run = self.alerts.evaluate(report.article_ids)
            report.errors.extend(ItemError("alerts", reason) for reason in run.errors)

    async def _fetch_one_off(
        self, feeds: Sequence[str], urls: Sequence[str], source_name: str | None
    ) -> list[RawInput | ItemError]:
        from hoasen.ingest.feeds import feed_items, page_item
        from hoasen.ingest.http import SafeFetcher

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
        analysis_progress: AnalysisProgress | None = None,
        analyze: bool = True,
    ) -> tuple[IngestReport, list[PollOutcome]]:
        """Poll every due source (or the named ones) and ingest what they bring (then analyse
        it, unless `analyze` is off: a worker hands the analysis to another task)."""
        from hoasen.ingest.poll import poll_due

        report = IngestReport()

        def handle(source: Source, items: list[RawInput | ItemError]) -> None:
            got = self.ingestor.ingest(items, source=source)
            report.merge(got)
            if source.partner_id is not None:  # a partner's feed: the exchange ledger counts it
                self.inbox.record_polled(source, got)

        outcomes = poll_due(
            self.store, self.settings, handle, names=names, progress=progress, turns=self.turns
        )
        for outcome in outcomes:
            if not outcome.ok:
                report.errors.append(ItemError(outcome.source.url, outcome.error or "poll failed"))
        if analyze:
            self.analyze_new(report, analysis_progress)
        return report, outcomes

    # ---------------------------------------------------------------- reading

    def extract(self, item: RawInput) -> Article:
        """Parse, clean and detect the language of one page or file without storing it (no
        Ingestor is built: its deduper and search index are not needed)."""
        from hoasen.ingest.pipeline import prepare

        return prepare(item, self.settings, self.detector)

    def search(
        self,
        query: str,
        language: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        snippets: bool = True,
    ) -> list[SearchHit]:
        """Ranked full-text search in every language (snippets left empty when not asked
        for: `search_index.with_snippets` cuts them later for the hits shown)."""
        self._check_language(language)
        return self.search_index.search(
            query,
            language=language,
            source=source,
            since=since,
            until=until,
            limit=limit or self.settings.search_limit,
            snippets=snippets,
        )

    def search_page(
        self,
        query: str,
        language: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[SearchHit], bool]:
        """One page of `search` results and whether more follow."""
        self._check_language(language)
        return self.search_index.search_page(
            query,
            language=language,
            source=source,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    def _check_language(self, language: str | None) -> None:
        if language is not None and language not in self.settings.languages:
            known = ", ".join(self.settings.languages)
            raise UsageError(f"unknown language {language!r}; configured languages: {known}")

    # ---------------------------------------------------------------- understanding

    def analyze(
        self,
        ids: Sequence[int] | None = None,
        since: datetime | None = None,
        stages: Sequence[str] | None = None,
        force: bool = False,
        progress: AnalysisProgress | None = None,
    ) -> AnalysisReport:
        """Run the analysis stages where their output is missing or stale (all with `force`)."""
        return self.pipeline.run(
            ids=ids, since=since, stages=stages, force=force, progress=progress
        )

    def stories(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        min_articles: int = 1,
    ) -> list[StoryRow]:
        """Stories active in the period, the most covered first."""
        return self.results.list_stories(
            since=since, until=until, limit=limit, min_articles=min_articles
        )

    def find_entity(self, name: str) -> Entity:
        """The canonical entity for an id or any of its names, in any language or spelling."""
        gazetteer = self.pipeline.gazetteer
        found = gazetteer.get(name.strip()) or gazetteer.lookup(name.strip())
        if found is None:
            raise NotFoundError(
                f"no known entity named {name!r}; add it with `hoasen gazetteer import FILE`"
            )
        return found

    def entity_report(self, name: str, limit: int | None = 100) -> EntityReport:
        """An entity, its names per language, how articles wrote it and the articles."""
        entity = self.find_entity(name)
        hits = self.results.entity_articles(entity.id, limit=limit)
        articles = self.store.get_articles([i for i, _ in hits])
        counts = dict(hits)
        return EntityReport(
            entity=entity,
            predecessors=[e for e in self.pipeline.gazetteer if e.successor == entity.id],
            surface_forms=self.results.surface_forms(entity.id),
            articles=[(a, counts[a.id]) for a in articles],
        )

    def top_entities(
        self, limit: int = 10, since: datetime | None = None, entity_type: str | None = None
    ) -> list[tuple[Entity | None, str, int, int]]:
        """(entity, id, articles, mentions) of the most-covered linked entities."""
        gazetteer = self.pipeline.gazetteer
        return [
            (gazetteer.get(i), i, n, k)
            for i, n, k in self.results.top_entities(limit, since, entity_type)
        ]

    def import_gazetteer(self, path: Path) -> int:
        """Check a gazetteer CSV against the current entities, then keep it in the database."""
        from hoasen.analyze.gazetteer import read_gazetteer_file
        from hoasen.analyze.pipeline import gazetteer_for

        content = read_gazetteer_file(path)
        checked = gazetteer_for(self.store)
        rows = checked.import_text(content, str(path))
        self.results.add_gazetteer_import(path.name, content, rows)
        self.pipeline.use_gazetteer(checked)
        return rows


@dataclass(frozen=True)
class EntityReport:
    """What `hoasen entity NAME` shows."""

    entity: Entity
    predecessors: list[Entity]
    surface_forms: list[tuple[str, int]]
    articles: list[tuple[StoredArticle, int]]

    def as_json(self) -> dict[str, Any]:
        """The `hoasen entity NAME --json` document."""
        e = self.entity
        aliases: dict[str, list[str]] = {}
        for lang, alias in e.aliases:
            aliases.setdefault(lang, []).append(alias)
        return {
            "id": e.id,
            "type": e.type,
            "kind": e.kind,
            "country": e.country,
            "status": e.status,
            "successor": e.successor,
            "names": dict(e.names),
            "aliases": aliases,
            "former": [{"id": p.id, "names": dict(p.names)} for p in self.predecessors],
            "seen_as": [{"text": t, "mentions": n} for t, n in self.surface_forms],
            "articles": [
                {
                    "id": a.id,
                    "title": a.title,
                    "language": a.language,
                    "source": a.source_name,
                    "published": (a.published or a.fetched).isoformat(),
                    "url": a.url,
                    "mentions": n,
                }
                for a, n in self.articles
            ],
        }


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


class _AnalyseAsStored:
    """Analyses a large ingest's articles in chunks as they are stored, so the analysis runs
    while the parse workers read the next pages (instead of after the whole ingest)."""

    CHUNK = 100

    def __init__(self, desk: Desk, progress: AnalysisProgress | None) -> None:
        self.desk = desk
        self.progress = progress
        self.waiting: list[int] = []
        self.ids: set[int] = set()
        self.articles = 0
        self.errors: list[ItemError] = []

    def add(self, article_ids: list[int]) -> None:
        """Note stored articles; analyse them once a chunk is full."""
        self.waiting.extend(article_ids)
        if len(self.waiting) >= self.CHUNK:
            chunk, self.waiting = self.waiting, []
            done = self.desk.analyze(ids=chunk, progress=self._tell)
            self.ids.update(chunk)
            self.articles += done.articles
            self.errors.extend(done.errors)

    def _tell(self, done: int, total: int) -> None:
        if self.progress is not None:  # counted across chunks
            self.progress(self.articles + done, self.articles + total)
