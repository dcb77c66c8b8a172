"""What the desk pages show, gathered from the Desk: the dashboard's volumes and spikes, search
facets, a story's or an article's details. Plain data, no HTML (the templates render it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hoasen.analyze.gazetteer import Entity
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.registers.partners import DueAgreement
from hoasen.reports.build import SPIKE_MIN_ARTICLES, SPIKE_RATIO
from hoasen.store import schema
from hoasen.store.analysis import StoredFigure, StoryRow
from hoasen.store.db import Source, StoredArticle
from hoasen.store.search import SearchHit

USUAL_DAYS = 28  # "the usual" volume: mean of this many days before the day shown
SPIKE_DAYS = 7  # a story spikes against its own mean over this many previous days
SEARCH_POOL = 200  # hits fetched before the facet filters that the core search cannot apply
SEARCH_SHOWN = 50
DUE_DAYS = 60  # agreements ending this soon come up on the dashboard for renewal


def office_zone(desk: Desk) -> ZoneInfo:
    """The office's time zone (UTC when the setting names none that exists)."""
    try:
        return ZoneInfo(desk.settings.office_timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Midnight of `day` in the office's time zone."""
    return datetime.combine(day, time(0), tzinfo=tz)


def _when(a: StoredArticle) -> datetime:
    return a.published or a.fetched


# ---------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class Spike:
    """A story covered much more today than on its usual day."""

    story: StoryRow
    today: int
    usual: float


@dataclass(frozen=True)
class Dashboard:
    """Today's coverage next to the usual."""

    day: date
    today: int
    usual: float
    volume: list[tuple[date, int]]
    languages: list[tuple[str, int]]
    countries: list[tuple[str, int]]
    top_stories: list[StoryRow]
    spikes: list[Spike]
    total: int
    due: list[DueAgreement] = field(default_factory=list)  # agreements to renew, overdue first


def dashboard(desk: Desk, day: date | None = None) -> Dashboard:
    """The dashboard of `day` (today in the office's time zone by default)."""
    tz = office_zone(desk)
    day = day or datetime.now(tz).date()
    first = day - timedelta(days=USUAL_DAYS)
    start, end = day_start(day, tz), day_start(day + timedelta(days=1), tz)
    per_day = _volume(desk, day_start(first, tz), end, tz)
    previous = [per_day.get(first + timedelta(days=i), 0) for i in range(USUAL_DAYS)]
    languages, countries = _breakdown(desk, start, end)
    top = desk.stories(since=start, until=end, limit=8)
    return Dashboard(
        day=day,
        today=per_day.get(day, 0),
        usual=sum(previous) / USUAL_DAYS,
        volume=[
            (first + timedelta(days=i), per_day.get(first + timedelta(days=i), 0))
            for i in range(USUAL_DAYS + 1)
        ],
        languages=languages,
        countries=countries,
        top_stories=top,
        spikes=_spikes(desk, day, tz),
        total=desk.store.count_articles(),
        due=desk.partners.due(DUE_DAYS, today=datetime.now(tz).date()),
    )


def _volume(desk: Desk, start: datetime, end: datetime, tz: ZoneInfo) -> dict[date, int]:
    """Articles (duplicates out) per office-time day in [start, end)."""
    a = schema.articles.c
    when = func.coalesce(a.published, a.fetched)
    query = select(when).where(a.duplicate_of.is_(None), when >= start, when < end)
    counts: Counter[date] = Counter()
    with desk.store.engine.connect() as conn:
        for (moment,) in conn.execute(query):
            counts[_local(moment, tz).date()] += 1
    return dict(counts)


def _local(moment: datetime | str, tz: ZoneInfo) -> datetime:
    # coalesce() loses the column type on SQLite, so the value may come back as text.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(tz)


def _breakdown(
    desk: Desk, start: datetime, end: datetime
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(language, count) and (source country, count) of the articles in [start, end)."""
    a, s = schema.articles, schema.sources
    when = func.coalesce(a.c.published, a.c.fetched)
    base = [a.c.duplicate_of.is_(None), when >= start, when < end]
    with desk.store.engine.connect() as conn:
        langs = conn.execute(
            select(a.c.language, func.count()).where(*base).group_by(a.c.language)
        ).all()
        countries = conn.execute(
            select(s.c.country, func.count())
            .select_from(a.outerjoin(s, a.c.source_id == s.c.id))
            .where(*base)
            .group_by(s.c.country)
        ).all()
    by_lang = sorted(((str(k or ""), int(n)) for k, n in langs), key=lambda x: -x[1])
    by_country = sorted(((str(k or ""), int(n)) for k, n in countries), key=lambda x: -x[1])
    return by_lang, by_country


def _spikes(desk: Desk, day: date, tz: ZoneInfo, limit: int = 6) -> list[Spike]:
    """Stories with at least SPIKE_MIN_ARTICLES today and SPIKE_RATIO times their usual day."""
    first = day - timedelta(days=SPIKE_DAYS)
    stories = desk.stories(
        since=day_start(first, tz), until=day_start(day + timedelta(days=1), tz), limit=50
    )
    ids = sorted({i for s in stories for i in s.article_ids})
    when = {a.id: _local(_when(a), tz).date() for a in desk.store.get_articles(ids)}
    out: list[Spike] = []
    for story in stories:
        days = [when[i] for i in story.article_ids if i in when]
        today = sum(1 for d in days if d == day)
        usual = sum(1 for d in days if first <= d < day) / SPIKE_DAYS
        if today >= SPIKE_MIN_ARTICLES and today >= SPIKE_RATIO * usual:
            out.append(Spike(story, today, usual))
    out.sort(key=lambda s: (-(s.today / max(s.usual, 1 / SPIKE_DAYS)), -s.today))
    return out[:limit]


# ---------------------------------------------------------------- search


@dataclass(frozen=True)
class SearchForm:
    """The search box and its facets, as typed (empty strings mean "any")."""

    q: str = ""
    language: str = ""
    source: str = ""
    country: str = ""
    topic: str = ""
    entity: str = ""
    partner: str = ""
    since: str = ""
    until: str = ""

    def query_string(self, **changes: str) -> dict[str, str]:
        """The form's non-empty fields with `changes` applied (for facet links)."""
        values = {**self.__dict__, **changes}
        return {k: v for k, v in values.items() if v}


@dataclass
class SearchResult:
    """Hits after every facet, with facet counts over the hits before the page's own facets."""

    hits: list[tuple[SearchHit, StoredArticle | None]] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    total: int = 0
    entity_names: dict[str, str] = field(default_factory=dict)


def parse_day(text: str, label: str) -> date | None:
    """A yyyy-mm-dd form field as a date (None when empty)."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{label}: {text!r} is not a date like 2026-01-31") from None


def search(desk: Desk, form: SearchForm, lang: str) -> SearchResult:
    """Run the core search, then the facets it cannot apply (country, topic, entity, partner)."""
    if not form.q.strip():
        return SearchResult()
    tz = office_zone(desk)
    since_day, until_day = parse_day(form.since, "from"), parse_day(form.until, "to")
    hits = desk.search(
        form.q,
        language=form.language or None,
        source=form.source or None,
        since=day_start(since_day, tz) if since_day else None,
        until=day_start(until_day + timedelta(days=1), tz) if until_day else None,
        limit=SEARCH_POOL,
        snippets=False,  # cut below, for the hits shown only
    )
    ids = [h.id for h in hits]
    articles = {a.id: a for a in desk.store.get_articles(ids)}
    sources = {s.name: s for s in desk.store.list_sources()}
    topics = desk.results.topics(ids)
    mentions = desk.results.mentions(ids)
    entities = {i: {m.entity_id for m in ms if m.entity_id} for i, ms in mentions.items()}

    def source_of(i: int) -> Source | None:
        article = articles.get(i)
        return sources.get(article.source_name or "") if article else None

    def keep(i: int) -> bool:
        src = source_of(i)
        if form.country and (src is None or (src.country or "") != form.country):
            return False
        if form.partner == "yes" and (src is None or not src.partner):
            return False
        if form.topic and form.topic not in {t for t, _ in topics.get(i, [])}:
            return False
        return not (form.entity and form.entity not in entities.get(i, set()))

    facets: dict[str, Counter[str]] = {
        k: Counter() for k in ("language", "source", "country", "topic", "entity")
    }
    partners = 0
    for i in ids:
        article, src = articles.get(i), source_of(i)
        facets["language"][(article.language if article else None) or ""] += 1
        facets["source"][(article.source_name if article else None) or ""] += 1
        facets["country"][(src.country if src else None) or ""] += 1
        facets["topic"].update({t for t, _ in topics.get(i, [])})
        facets["entity"].update(entities.get(i, set()))
        partners += bool(src and src.partner)
    kept = [h for h in hits if keep(h.id)]
    shown = desk.search_index.with_snippets(kept[:SEARCH_SHOWN], form.q)
    result = SearchResult(
        hits=[(h, articles.get(h.id)) for h in shown],
        facets={k: [(v, n) for v, n in c.most_common(12) if v] for k, c in facets.items()},
        total=len(kept),
    )
    result.facets["partner"] = [("yes", partners)] if partners else []
    result.entity_names = entity_names(
        desk, [e for e, _ in result.facets["entity"]] + [form.entity], lang
    )
    return result


def entity_names(desk: Desk, ids: Sequence[str], lang: str) -> dict[str, str]:
    """Display names of entity ids in the interface language (the id when unknown)."""
    gazetteer = desk.pipeline.gazetteer
    out: dict[str, str] = {}
    for i in ids:
        if i:
            entity = gazetteer.get(i)
            out[i] = entity.name(lang) if entity else i
    return out


# ---------------------------------------------------------------- story and article


@dataclass(frozen=True)
class Details:
    """Entities, figures and per-day counts of a set of articles."""

    entities: list[tuple[str, str, int]]  # id, name, articles
    figures: list[StoredFigure]
    timeline: list[tuple[date, int]]
    topics: list[tuple[str, int]]


def details(desk: Desk, articles: Sequence[StoredArticle], lang: str) -> Details:
    """What the story and article pages show beside the text."""
    ids = [a.id for a in articles]
    tz = office_zone(desk)
    mentions = desk.results.mentions(ids)
    counts: Counter[str] = Counter()
    for ms in mentions.values():
        counts.update({m.entity_id for m in ms if m.entity_id})
    names = entity_names(desk, [e for e, _ in counts.most_common(20)], lang)
    figures = [f for fs in desk.results.figures(ids).values() for f in fs]
    topics: Counter[str] = Counter()
    for ts in desk.results.topics(ids).values():
        topics.update({t for t, _ in ts})
    per_day = Counter(_local(_when(a), tz).date() for a in articles)
    return Details(
        entities=[(e, names[e], n) for e, n in counts.most_common(20)],
        figures=figures[:30],
        timeline=sorted(per_day.items()),
        topics=topics.most_common(10),
    )


def by_language(articles: Sequence[StoredArticle]) -> list[tuple[str, list[StoredArticle]]]:
    """Articles grouped by language, the largest group first (the story's side-by-side view)."""
    groups: dict[str, list[StoredArticle]] = {}
    for a in sorted(articles, key=_when):
        groups.setdefault(a.language or "", []).append(a)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def duplicates_of(desk: Desk, article_id: int) -> list[StoredArticle]:
    """The articles stored as duplicates of `article_id` (the first hundred)."""
    return desk.store.get_articles(desk.store.duplicates_of(article_id)[:100])


def story_of(desk: Desk, article_id: int) -> StoryRow | None:
    """The story an article belongs to, if any."""
    found = desk.results.story_of([article_id]).get(article_id)
    return desk.results.get_story(found) if found is not None else None


# ---------------------------------------------------------------- sources and entities


def source_health(source: Source) -> str:
    """ "ok", "failing", "warning" or "new" (never polled), for the sources table."""
    if source.last_polled is None:
        return "new"
    if source.consecutive_failures >= 3:
        return "failing"
    if source.consecutive_failures > 0:
        return "warning"
    return "ok"


def browse_entities(
    desk: Desk, query: str, entity_type: str, lang: str, limit: int = 100
) -> list[Entity]:
    """Gazetteer entities matching a name (any language, folded) or id, by kind then name."""
    from hoasen.analyze.gazetteer import fold

    wanted = fold(query) if query.strip() else ""
    out: list[Entity] = []
    for entity in desk.pipeline.gazetteer:
        if entity_type and entity.type != entity_type:
            continue
        if (
            wanted
            and wanted not in entity.id
            and not any(wanted in fold(n) for _, n in entity.all_names())
        ):
            continue
        out.append(entity)
        if len(out) >= limit:
            break
    return sorted(out, key=lambda e: (e.kind, e.name(lang)))


def entity_row(entity: Entity, **changes: Any) -> str:
    """A one-entity gazetteer CSV (header and row) with `changes` applied, for an import."""
    import csv
    import io

    names = dict(entity.names)
    aliases = list(entity.aliases) + list(changes.pop("add_aliases", []))
    cells = {
        "id": entity.id,
        "type": entity.type,
        "kind": entity.kind,
        "country": entity.country,
        "status": changes.get("status", entity.status),
        "successor": changes.get("successor", entity.successor) or "",
        "aliases": "|".join(f"{lang}:{alias}" for lang, alias in dict.fromkeys(aliases)),
    }
    for lang, name in names.items():
        cells[f"name_{lang}"] = name
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(cells), lineterminator="\n")
    writer.writeheader()
    writer.writerow(cells)
    return buffer.getvalue()
