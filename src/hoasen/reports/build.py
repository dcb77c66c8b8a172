"""Building a report document from the database: the article set of a period and filters, and
every number, story, entity and figure a monitoring report shows.

The document is a JSON-able dict (see tests/fixtures/reports/weekly_vi.json); the register
stores it as generated, and every format is rendered from it, so all formats agree and a stored
report re-renders identically. Duplicates are never counted: only original articles are read.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.analyze.story_stage import url_country
from hoasen.analyze.topics import Taxonomy
from hoasen.errors import UsageError
from hoasen.reports.exchange import exchange_section
from hoasen.reports.period import KIND_CODES, Period, zone
from hoasen.reports.registers import registers_section
from hoasen.reports.translate import Translator
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.store.analysis import AnalysisStore
from hoasen.store.db import Store
from hoasen.store.search import SearchIndex

SCHEMA_VERSION = 1
TOP_STORIES = 10
TOP_ENTITIES = 20
MAX_FIGURES = 40
FIGURES_PER_ARTICLE = 3
SPIKE_MIN_ARTICLES = 3
SPIKE_RATIO = 2.0
BASELINE_PERIODS = 4
SUMMARY_CHARS = 320
_CHUNK = 500
_SENTENCE = re.compile(r"(?<=[.!?。！？])[\"'”’»)]*\s*")


@dataclass(frozen=True)
class ReportFilters:
    """What a (thematic) report covers besides its period; empty means everything."""

    query: str | None = None
    topics: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The `parameters` of the report document."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ReportRequest:
    """Everything a report is built from (stored in the register to reproduce it)."""

    kind: str
    period: Period
    filters: ReportFilters = field(default_factory=ReportFilters)
    language: str = "vi"
    title: str | None = None
    generated_by: str = ""
    custom: bool = False  # --from/--to instead of the kind's calendar period


@dataclass(frozen=True)
class _Row:
    id: int
    title: str
    language: str | None
    when: datetime
    url: str | None
    source: str | None
    country: str | None
    origin: str  # domestic, foreign, unknown
    partner: bool
    estimated: bool = False  # no date anywhere: the time it was first seen stands in


class ReportBuilder:
    """Builds report documents over one store (gazetteer and taxonomy loaded once)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        gazetteer: Gazetteer,
        translator: Translator | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.results = AnalysisStore(store)
        self.gazetteer = gazetteer
        self.translator = translator
        self.tz: ZoneInfo = zone(settings.office_timezone)
        path = settings.topics_taxonomy
        self.taxonomy = Taxonomy.load(Path(path) if path else None)

    # ---------------------------------------------------------------- article sets

    def check(self, filters: ReportFilters) -> ReportFilters:
        """Resolve entity names to ids and refuse unknown topics, entities, partners, sources."""
        known_topics = set(self.taxonomy.ids) | self._stored_topics()
        for topic in filters.topics:
            if topic not in known_topics:
                raise UsageError(
                    f"unknown topic {topic!r}; topics: {', '.join(sorted(known_topics))}"
                )
        entity_ids = []
        for name in filters.entities:
            found = self.gazetteer.get(name) or self.gazetteer.lookup(name)
            if found is None:
                raise UsageError(f"unknown entity {name!r} (see `hoasen gazetteer list`)")
            entity_ids.append(found.id)
        partners = {s.name for s in self.store.list_sources() if s.partner}
        for name in filters.partners:
            if name not in partners and self.gazetteer.lookup(name) is None:
                shown = ", ".join(sorted(partners)) or "none registered"
                raise UsageError(f"unknown partner {name!r}; partner sources: {shown}")
        for name in filters.sources:
            self.store.get_source(name)
        return ReportFilters(
            query=(filters.query or "").strip() or None,
            topics=tuple(filters.topics),
            entities=tuple(entity_ids),
            partners=tuple(filters.partners),
            countries=tuple(c.upper() for c in filters.countries),
            languages=tuple(lang.lower() for lang in filters.languages),
            sources=tuple(filters.sources),
        )

    def _stored_topics(self) -> set[str]:
        with self.store.engine.connect() as conn:
            t = schema.article_topics.c
            return {str(r[0]) for r in conn.execute(select(t.topic).distinct())}

    def articles(
        self,
        start: datetime,
        end: datetime,
        filters: ReportFilters,
        ids: Sequence[int] | None = None,
    ) -> list[_Row]:
        """Original articles in [start, end) passing the filters (or exactly `ids`), oldest
        first."""
        a, s = schema.articles.c, schema.sources.c
        when = func.coalesce(a.published, a.fetched)
        query = (
            select(a.id, a.title, a.language, a.published, a.published_source, a.fetched, a.url)
            .add_columns(s.name, s.country, s.foreign, s.partner)
            .select_from(schema.articles.outerjoin(schema.sources, a.source_id == s.id))
            .where(a.duplicate_of.is_(None))
        )
        with self.store.engine.connect() as conn:
            if ids is not None:
                raw = []
                for at in range(0, len(ids), _CHUNK):
                    part = list(ids[at : at + _CHUNK])
                    raw += list(conn.execute(query.where(a.id.in_(part))))
            else:
                raw = list(conn.execute(query.where(when >= start, when < end)))
        rows = [self._row(r) for r in raw]
        if ids is None:
            rows = self._filtered(rows, filters)
        rows.sort(key=lambda r: (r.when, r.id))
        return rows

    def _row(self, r: Any) -> _Row:
        country = (r.country or url_country(r.url) or "").upper() or None
        if r.foreign is True:
            origin = "foreign"
        elif country is None:
            origin = "unknown"
        else:
            origin = "domestic" if country == self.settings.office_country.upper() else "foreign"
        host = (urlsplit(r.url).hostname or "").removeprefix("www.") or None if r.url else None
        return _Row(
            id=int(r.id),
            title=r.title,
            language=r.language,
            when=r.published or r.fetched,
            url=r.url,
            source=r.name or host,
            country=country,
            origin=origin,
            partner=bool(r.partner),
            estimated=r.published is None or r.published_source == "first_seen",
        )

    def _filtered(self, rows: list[_Row], f: ReportFilters) -> list[_Row]:
        if f.languages:
            rows = [r for r in rows if (r.language or "").split("-")[0] in f.languages]
        if f.sources:
            rows = [r for r in rows if r.source in f.sources]
        if f.countries:
            rows = [r for r in rows if r.country in f.countries]
        if f.partners:
            wanted = set(f.partners)
            entity_ids = [
                e.id for e in (self.gazetteer.lookup(p) for p in f.partners) if e is not None
            ]
            mentioning = self.results.articles_mentioning_any(entity_ids)
            rows = [r for r in rows if (r.partner and r.source in wanted) or r.id in mentioning]
        if f.entities:
            mentioning = self.results.articles_mentioning_any(list(f.entities))
            rows = [r for r in rows if r.id in mentioning]
        if f.topics:
            tagged = self.results.topics([r.id for r in rows])
            wanted_topics = set(f.topics)
            rows = [r for r in rows if wanted_topics & {t for t, _ in tagged.get(r.id, [])}]
        if f.query:
            matching = SearchIndex(self.store).matching_ids(f.query)
            named = self.gazetteer.lookup(f.query)
            if named is not None:  # "Quảng Tây" also finds the articles saying Guangxi or 广西
                matching |= self.results.articles_mentioning_any([named.id])
            rows = [r for r in rows if r.id in matching]
        return rows

    # ---------------------------------------------------------------- the document

    def build(
        self,
        request: ReportRequest,
        number: str = "",
        generated: datetime | None = None,
        ids: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """The report document for `request` (over exactly `ids` when given: a re-build)."""
        filters = request.filters
        period = request.period
        rows = self.articles(period.start, period.end, filters, ids=ids)
        previous_period = period.previous()
        previous = self.articles(previous_period.start, previous_period.end, filters)
        story_of = self.results.story_of([r.id for r in rows])
        previous_story_of = self.results.story_of([r.id for r in previous])
        topics = self.results.topics([r.id for r in rows])
        totals = _totals(rows, story_of)
        before = _totals(previous, previous_story_of)
        lang = request.language
        doc: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "number": number,
            "kind": "custom" if request.custom and request.kind != "thematic" else request.kind,
            "title": request.title,
            "language": lang,
            "office": {
                "name": self.settings.office_name,
                "country": self.settings.office_country,
                "timezone": self.settings.office_timezone,
            },
            "period": period.as_json(),
            "previous_period": {
                "from": previous_period.first_day.isoformat(),
                "to": previous_period.last_day.isoformat(),
            },
            "parameters": filters.as_json(),
            "generated": (generated or datetime.now(self.tz)).isoformat(),
            "generated_by": request.generated_by,
            "totals": totals,
            "change": {
                k: _change(totals[k], before[k])
                for k in ("articles", "stories", "sources", "languages", "countries")
            },
            "volume": self._volume(rows, period),
            "by_language": _count(r.language or "unknown" for r in rows),
            "by_country": _count(r.country or "unknown" for r in rows),
            "by_origin": _count(r.origin for r in rows),
            "by_topic": _count(t for r in rows for t, _ in topics.get(r.id, [])),
            "topic_names": {t.id: t.name(lang) for t in self.taxonomy.topics},
            "by_partner": _count(r.source or "" for r in rows if r.partner),
            "by_source": _count(r.source or "unknown" for r in rows),
        }
        doc["top_stories"], doc["spikes"] = self._stories(
            rows, story_of, previous_story_of, period, lang
        )
        doc["entities"] = self._entities(rows, lang)
        doc["figures"] = self._figures(rows)
        doc["articles"] = self._appendix(rows, story_of, topics, lang)
        doc["translation"] = {
            "engine": self.translator.name if self.translator else None,
            "target": lang,
        }
        if doc["kind"] == "monthly":
            exchange = exchange_section(self.store, self.gazetteer, period.start, period.end, lang)
            if exchange is not None:
                doc["exchange"] = exchange
            registers = registers_section(
                self.store,
                self.gazetteer,
                period.first_day,
                period.last_day,
                self.settings.office_timezone,
            )
            if registers is not None:
                doc["registers"] = registers
        return doc

    def _volume(self, rows: Sequence[_Row], period: Period) -> list[dict[str, Any]]:
        """Articles per day (per hour for a one-day period), in the office's time zone."""
        if period.first_day == period.last_day:
            hours = Counter(r.when.astimezone(self.tz).hour for r in rows)
            return [{"date": f"{h:02d}:00", "articles": hours.get(h, 0)} for h in range(24)]
        days = Counter(r.when.astimezone(self.tz).date() for r in rows)
        out = []
        day = period.first_day
        while day <= period.last_day:
            out.append({"date": day.isoformat(), "articles": days.get(day, 0)})
            day += timedelta(days=1)
        return out

    def _stories(
        self,
        rows: Sequence[_Row],
        story_of: Mapping[int, int],
        previous_story_of: Mapping[int, int],
        period: Period,
        lang: str,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        members: dict[int, list[_Row]] = defaultdict(list)
        for r in rows:
            if r.id in story_of:
                members[story_of[r.id]].append(r)
        if not members:
            return [], []
        before = Counter(previous_story_of.values())
        stored = {s.id: s for s in self.results.list_stories(ids=list(members))}
        baseline = self._baseline(list(members), period)
        ranked = []
        for story_id, arts in members.items():
            foreign = {r.source for r in arts if r.origin == "foreign"}
            languages = sorted({r.language or "unknown" for r in arts})
            growth = len(arts) - before.get(story_id, 0)
            first = stored[story_id].first_seen if story_id in stored else arts[0].when
            new = first >= period.start
            score = len(arts) + len(foreign) + 0.5 * (len(languages) - 1) + 0.25 * max(growth, 0)
            ranked.append((score, story_id, arts, foreign, languages, growth, new))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        texts = self._texts([(x[1], x[2]) for x in ranked[:TOP_STORIES]], lang)
        top = []
        for score, story_id, arts, foreign, languages, growth, new in ranked[:TOP_STORIES]:
            story = stored.get(story_id)
            rank = {
                "score": round(score, 2),
                "articles": len(arts),
                "foreign_sources": len(foreign),
                "languages": len(languages),
                "growth": growth,
                "new": new,
            }
            top.append(
                {
                    "id": story_id,
                    "title": story.title if story else arts[0].title,
                    "title_language": story.title_language if story else arts[0].language,
                    "summary": texts.get(story_id, ""),
                    "articles": [r.id for r in arts],
                    "languages": languages,
                    "countries": sorted({r.country for r in arts if r.country}),
                    "sources": sorted({r.source for r in arts if r.source}),
                    "first_seen": min(r.when for r in arts).isoformat(),
                    "last_seen": max(r.when for r in arts).isoformat(),
                    "rank": rank,
                    "why": _why(rank, lang),
                }
            )
        spikes: list[dict[str, Any]] = []
        for _score, story_id, arts, _f, _l, _g, _new in ranked:
            base = baseline.get(story_id, 0) / BASELINE_PERIODS
            if len(arts) < SPIKE_MIN_ARTICLES or (base and len(arts) / base < SPIKE_RATIO):
                continue
            story = stored.get(story_id)
            spikes.append(
                {
                    "id": story_id,
                    "title": story.title if story else arts[0].title,
                    "current": len(arts),
                    "baseline": round(base, 2),
                    "ratio": round(len(arts) / base, 2) if base else None,
                    "new": not base,
                }
            )
        spikes.sort(key=lambda s: (-(s["ratio"] or 1e9), -s["current"], s["id"]))
        return top, spikes

    def _baseline(self, story_ids: list[int], period: Period) -> dict[int, int]:
        """Articles of each story in the periods before this one (the spike baseline)."""
        a, sa = schema.articles.c, schema.story_articles.c
        when = func.coalesce(a.published, a.fetched)
        start = period.start - BASELINE_PERIODS * (period.end - period.start)
        out: Counter[int] = Counter()
        with self.store.engine.connect() as conn:
            for at in range(0, len(story_ids), _CHUNK):
                part = story_ids[at : at + _CHUNK]
                query = (
                    select(sa.story_id, func.count())
                    .select_from(schema.story_articles.join(schema.articles, a.id == sa.article_id))
                    .where(sa.story_id.in_(part), when >= start, when < period.start)
                    .where(a.duplicate_of.is_(None))
                    .group_by(sa.story_id)
                )
                out.update({int(s): int(n) for s, n in conn.execute(query)})
        return dict(out)

    def _texts(self, groups: list[tuple[int, list[_Row]]], lang: str) -> dict[int, str]:
        """An extractive summary per story: the lead of its best article in the report's
        language (else English, else the earliest article)."""
        best = {
            story_id: min(arts, key=lambda r: (_lang_rank(r.language, lang), r.when, r.id)).id
            for story_id, arts in groups
        }
        texts = {a.id: a.text for a in self.store.get_articles(list(best.values()))}
        return {story_id: lead(texts.get(aid, ""), SUMMARY_CHARS) for story_id, aid in best.items()}

    def _entities(self, rows: Sequence[_Row], lang: str) -> list[dict[str, Any]]:
        """The most-mentioned linked entities: articles mentioning each, then mentions, counted
        in the database (a month has tens of thousands of mentions, not worth loading)."""
        ids = [r.id for r in rows]
        articles: Counter[str] = Counter()
        mentions: Counter[str] = Counter()
        m = schema.entity_mentions.c
        with self.store.engine.connect() as conn:
            for at in range(0, len(ids), _CHUNK):
                query = (
                    select(m.entity_id, func.count(func.distinct(m.article_id)), func.count())
                    .where(m.article_id.in_(ids[at : at + _CHUNK]))
                    .where(m.entity_id.is_not(None), m.entity_id != "")
                    .group_by(m.entity_id)
                )
                for entity_id, n_articles, n_mentions in conn.execute(query):
                    articles[str(entity_id)] += int(n_articles)
                    mentions[str(entity_id)] += int(n_mentions)
        out = []
        for entity_id, n in sorted(articles.items(), key=lambda x: (-x[1], -mentions[x[0]], x[0])):
            entity = self.gazetteer.get(entity_id)
            out.append(
                {
                    "id": entity_id,
                    "name": entity.name(lang) if entity else entity_id,
                    "type": entity.type if entity else "",
                    "articles": n,
                    "mentions": mentions[entity_id],
                    "names": dict(entity.names) if entity else {},
                }
            )
            if len(out) >= TOP_ENTITIES:
                break
        return out

    def _figures(self, rows: Sequence[_Row]) -> list[dict[str, Any]]:
        """The key figures of the earliest articles, at most MAX_FIGURES. The rows are oldest
        first, so once a chunk of them brought that many, later chunks cannot change the list."""
        by_id = {r.id: r for r in rows}
        ids = [r.id for r in rows]
        out: list[dict[str, Any]] = []
        for at in range(0, len(ids), _CHUNK):
            if len(out) >= MAX_FIGURES:
                break
            for aid, found in self.results.figures(ids[at : at + _CHUNK]).items():
                kept = sorted((f for f in found if f.unit), key=_figure_rank)[:FIGURES_PER_ARTICLE]
                for f in kept:
                    r = by_id[aid]
                    out.append(
                        {
                            "text": f.text,
                            "value": f.value,
                            "unit": f.unit,
                            "scale": f.scale,
                            "subject": f.subject,
                            "article": aid,
                            "source": r.source,
                            "language": r.language,
                        }
                    )
        out.sort(key=lambda f: (by_id[f["article"]].when, f["article"]))
        return out[:MAX_FIGURES]

    def _appendix(
        self,
        rows: Sequence[_Row],
        story_of: Mapping[int, int],
        topics: Mapping[int, list[tuple[str, float]]],
        lang: str,
    ) -> list[dict[str, Any]]:
        translated = self._translate(rows, lang)
        return [
            {
                "id": r.id,
                "title": r.title,
                "title_translated": translated.get(r.id),
                "source": r.source,
                "country": r.country,
                "origin": r.origin,
                "published": r.when.isoformat(),
                "date_estimated": r.estimated,
                "language": r.language,
                "url": r.url,
                "story": story_of.get(r.id),
                "topics": [t for t, _ in topics.get(r.id, [])],
            }
            for r in rows
        ]

    def _translate(self, rows: Sequence[_Row], lang: str) -> dict[int, str]:
        if self.translator is None:
            return {}
        out: dict[int, str] = {}
        by_lang: dict[str, list[_Row]] = defaultdict(list)
        for r in rows:
            source = (r.language or "").split("-")[0]
            if source and source != lang:
                by_lang[source].append(r)
        for source, group in by_lang.items():
            done = self.translator.translate([r.title for r in group], source, lang)
            out.update({r.id: t for r, t in zip(group, done, strict=True) if t})
        return out


# ---------------------------------------------------------------------------------- helpers


def number_for(pattern: str, kind: str, year: int, seq: int) -> str:
    """A register number from the configured pattern."""
    try:
        return pattern.format(seq=seq, year=year, code=KIND_CODES.get(kind, "K"), kind=kind)
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(
            f"bad report_number_pattern {pattern!r}: use {{seq}}, {{year}}, {{code}}, {{kind}}"
        ) from exc


def lead(text: str, limit: int) -> str:
    """The first sentences of `text`, within `limit` characters (cut at a word otherwise)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    out = ""
    for sentence in _SENTENCE.split(text):
        if not sentence:
            continue
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    if out:
        return out
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"


_KEY_UNITS = ("USD", "VND", "CNY", "EUR", "JPY", "KRW", "percent", "visitors", "people")


def _figure_rank(f: Any) -> tuple[int, int]:
    """Money, shares and visitor counts first; figures that say what they count next."""
    unit = _KEY_UNITS.index(f.unit) if f.unit in _KEY_UNITS else len(_KEY_UNITS)
    return (unit, 0 if f.subject else 1)


def _lang_rank(language: str | None, wanted: str) -> int:
    base = (language or "").split("-")[0]
    return 0 if base == wanted else 1 if base == "en" else 2


def _count(values: Iterable[str]) -> dict[str, int]:
    counts = Counter(values)
    return dict(sorted(counts.items(), key=lambda x: (-x[1], x[0])))


def _totals(rows: Sequence[_Row], story_of: Mapping[int, int]) -> dict[str, int]:
    return {
        "articles": len(rows),
        "stories": len({story_of[r.id] for r in rows if r.id in story_of}),
        "sources": len({r.source for r in rows if r.source}),
        "languages": len({r.language for r in rows if r.language}),
        "countries": len({r.country for r in rows if r.country}),
        "foreign_articles": sum(1 for r in rows if r.origin == "foreign"),
        "domestic_articles": sum(1 for r in rows if r.origin == "domestic"),
    }


def _change(current: int, previous: int) -> dict[str, Any]:
    return {
        "current": current,
        "previous": previous,
        "delta": current - previous,
        "percent": round(100.0 * (current - previous) / previous, 1) if previous else None,
    }


def _why(rank: Mapping[str, Any], lang: str) -> str:
    """Why a story ranks, in a sentence of the report's language."""
    n, langs, foreign = rank["articles"], rank["languages"], rank["foreign_sources"]
    if lang == "vi":
        parts = [f"{n} bài bằng {langs} ngôn ngữ", f"{foreign} nguồn nước ngoài"]
        if rank["new"]:
            parts.append("mới xuất hiện trong kỳ")
        elif rank["growth"] > 0:
            parts.append(f"tăng {rank['growth']} bài so với kỳ trước")
        return "; ".join(parts)
    parts = [
        f"{n} article{'s' * (n != 1)} in {langs} language{'s' * (langs != 1)}",
        f"{foreign} foreign source{'s' * (foreign != 1)}",
    ]
    if rank["new"]:
        parts.append("new this period")
    elif rank["growth"] > 0:
        parts.append(f"up {rank['growth']} on the previous period")
    return "; ".join(parts)
