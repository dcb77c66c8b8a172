"""A report document turned into display-ready text in the report's language: every label
translated, every number and date formatted. Shared by the HTML (and PDF) and Markdown
renderers so that all formats show the same content in the same order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date

from hoasen.reports import i18n
from hoasen.reports.exchange import ExchangeLine, exchange_lines
from hoasen.reports.registers import RegistersView, registers_view

HEADLINE_KEYS = ("articles", "stories", "sources", "languages", "countries")
CHART_ROWS = 12  # longest breakdown drawn as a chart; its table lists every row


@dataclass(frozen=True)
class Headline:
    """One headline number with its change against the previous period."""

    label: str
    value: str
    previous: str
    change: str
    trend: str  # "up", "down", "flat" or "new": which arrow to show


@dataclass(frozen=True)
class Row:
    """One breakdown row: a label, its article count and its share of all articles."""

    label: str
    count: float
    count_text: str
    share: str


@dataclass(frozen=True)
class Breakdown:
    """A breakdown table (and the rows drawn as a chart)."""

    key: str
    title: str
    column: str
    rows: list[Row]
    note: str = ""


@dataclass(frozen=True)
class ArticleLine:
    """An article as listed under a story and in the appendix."""

    id: int
    title: str
    title_language: str
    translated: str
    source: str
    country: str
    date: str
    language: str
    url: str
    href: str  # the URL when it is http(s), else "" (never a javascript: or file: link)


@dataclass(frozen=True)
class Story:
    """A top story with its articles across languages."""

    id: int
    title: str
    title_language: str
    summary: str
    languages: str
    articles: str
    why: str
    lines: list[ArticleLine]


@dataclass(frozen=True)
class Entity:
    """A most-mentioned entity: its name in the report language and in the others."""

    name: str
    type: str
    other_names: list[tuple[str, str]]  # (language code, name)
    articles: str
    mentions: str


@dataclass(frozen=True)
class Figure:
    """A key figure with the article it came from."""

    text: str
    subject: str
    source: str
    language: str
    language_code: str
    article: str


@dataclass(frozen=True)
class Spike:
    """A story spiking against its baseline."""

    title: str
    current: str
    baseline: str
    ratio: str


@dataclass
class ReportView:
    """Everything a renderer shows, in order."""

    lang: str
    gettext: Callable[[str], str]
    title: str
    office: str
    number: str
    kind: str
    period: str
    previous_period: str
    generated: str
    parameters: list[tuple[str, str]]
    empty: bool
    total_articles: int
    headline: list[Headline]
    origin_line: str
    volume: list[tuple[str, float]]
    volume_desc: str
    breakdowns: list[Breakdown]
    stories: list[Story]
    entities: list[Entity]
    figures: list[Figure]
    spikes: list[Spike]
    articles: list[ArticleLine]
    translation_note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    exchange: list[ExchangeLine] = field(default_factory=list)  # monthly: partners' exchange
    registers: RegistersView | None = None  # monthly: delegations, foreign press, events


def build_view(doc: Mapping[str, Any]) -> ReportView:
    """The display text of a report document."""
    return _ViewBuilder(doc).build()


class _ViewBuilder:
    """Formats one document in its language."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.lang: str = doc.get("language") or i18n.DEFAULT_LANGUAGE
        self._ = i18n.translations(self.lang).gettext
        self.tz: str | None = (doc.get("office") or {}).get("timezone")

    def num(self, x: float) -> str:
        return i18n.fmt_number(x, self.lang)

    def date(self, iso: str | None) -> str:
        return i18n.fmt_date(iso, self.lang, self.tz) if iso else ""

    def _date_of(self, art: Mapping[str, Any]) -> str:
        """An article's date, marked when it is only when hoasen first saw it."""
        shown = self.date(art.get("published"))
        return (
            self._("{date} (estimated)").format(date=shown) if art.get("date_estimated") else shown
        )

    def language(self, code: str | None) -> str:
        return i18n.language_name(code or "", self.lang)

    def build(self) -> ReportView:
        _ = self._
        doc = self.doc
        totals = doc["totals"]
        articles = [self._article(a) for a in doc.get("articles") or []]
        return ReportView(
            lang=self.lang,
            gettext=_,
            title=self._title(),
            office=(doc.get("office") or {}).get("name") or "",
            number=doc.get("number") or "",
            kind=i18n.kind_name(doc["kind"], self.lang),
            period=i18n.fmt_period(doc, self.lang),
            previous_period=i18n.fmt_period(
                {"period": doc.get("previous_period") or {}}, self.lang
            ),
            generated=self._generated(),
            parameters=self._parameters(),
            empty=not totals.get("articles"),
            total_articles=int(totals.get("articles") or 0),
            headline=self._headline(),
            origin_line=_(
                "Domestic sources: {domestic} articles; foreign sources: {foreign} articles."
            ).format(
                domestic=self.num(totals.get("domestic_articles", 0)),
                foreign=self.num(totals.get("foreign_articles", 0)),
            ),
            volume=self._volume(),
            volume_desc=self._volume_desc(),
            breakdowns=self._breakdowns(),
            stories=self._stories({a.id: a for a in articles}),
            entities=self._entities(),
            figures=self._figures({a.id: a for a in articles}),
            spikes=self._spikes(),
            articles=articles,
            translation_note=self._translation_note(),
            exchange=exchange_lines(doc, self.lang),
            registers=registers_view(doc, self.lang, _),
        )

    def _title(self) -> str:
        if self.doc.get("title"):
            return str(self.doc["title"])
        return self._("{kind}: {period}").format(
            kind=i18n.kind_name(self.doc["kind"], self.lang),
            period=i18n.fmt_period(self.doc, self.lang),
        )

    def _generated(self) -> str:
        when = self.doc.get("generated")
        text = i18n.fmt_datetime(when, self.lang, self.tz) if when else ""
        who = self.doc.get("generated_by")
        return " — ".join(x for x in (text, who) if x)

    def _parameters(self) -> list[tuple[str, str]]:
        """The thematic filters that shaped the report, when any."""
        _ = self._
        params = self.doc.get("parameters") or {}
        names = self.doc.get("topic_names") or {}
        shown: list[tuple[str, str]] = []
        if params.get("query"):
            shown.append((_("Query"), str(params["query"])))
        labels: dict[str, tuple[str, Callable[[str], str]]] = {
            "topics": (_("Topics"), lambda t: names.get(t, t)),
            "entities": (_("Entities"), str),
            "partners": (_("Partners"), str),
            "countries": (_("Countries"), lambda c: i18n.country_name(c, self.lang)),
            "languages": (_("Languages"), self.language),
            "sources": (_("Sources"), str),
        }
        for key, (label, name) in labels.items():
            if params.get(key):
                shown.append((label, ", ".join(name(str(v)) for v in params[key])))
        return shown

    def _headline(self) -> list[Headline]:
        _ = self._
        labels = {
            "articles": _("Articles"),
            "stories": _("Stories"),
            "sources": _("Sources"),
            "languages": _("Languages"),
            "countries": _("Countries"),
        }
        change = self.doc.get("change") or {}
        out = []
        for key in HEADLINE_KEYS:
            c = change.get(key) or {}
            current = c.get("current", self.doc["totals"].get(key, 0))
            out.append(
                Headline(
                    label=labels[key],
                    value=self.num(current),
                    previous=self.num(c.get("previous", 0)),
                    change=self.change(c),
                    trend=_trend(c),
                )
            )
        return out

    def change(self, change: Mapping[str, Any]) -> str:
        """+3 (+150%), −2 (−50%), 0 (0%) or +3 (new) when the previous period had none."""
        delta = change.get("delta", 0)
        sign = "+" if delta > 0 else ""
        text = sign + self.num(delta)
        if change.get("percent") is None:
            return f"{text} ({self._('new')})" if delta > 0 else text
        return f"{text} ({sign}{i18n.fmt_percent(change['percent'], self.lang)})"

    def _volume(self) -> list[tuple[str, float]]:
        pattern = "dd/MM" if self.lang == "vi" else "d MMM"
        return [
            (
                v["date"]  # a one-day report counts per hour: "07:00"
                if _is_hour(v["date"])
                else format_date(date.fromisoformat(v["date"]), pattern, locale=self.lang),
                float(v["articles"]),
            )
            for v in self.doc.get("volume") or []
        ]

    def _volume_desc(self) -> str:
        volume = self.doc.get("volume") or []
        if not volume:
            return self._("No coverage in this period.")
        peak = max(volume, key=lambda v: v["articles"])
        if _is_hour(peak["date"]):
            return self._("{total} articles in the day; most at {hour} ({count}).").format(
                total=self.num(sum(v["articles"] for v in volume)),
                hour=peak["date"],
                count=self.num(peak["articles"]),
            )
        return self._("{total} articles over {days} days; most on {date} ({count}).").format(
            total=self.num(sum(v["articles"] for v in volume)),
            days=self.num(len(volume)),
            date=self.date(peak["date"]),
            count=self.num(peak["articles"]),
        )

    def _breakdowns(self) -> list[Breakdown]:
        _ = self._
        doc = self.doc
        topic_names = doc.get("topic_names") or {}
        origins = {
            "domestic": _("Domestic sources"),
            "foreign": _("Foreign sources"),
            "unknown": _("Unknown"),
        }
        spec: list[tuple[str, str, str, Callable[[str], str], str]] = [
            ("language", _("By language"), _("Language"), self.language, ""),
            (
                "country",
                _("By source country"),
                _("Country"),
                lambda c: i18n.country_name(c, self.lang),
                "",
            ),
            (
                "origin",
                _("Domestic and foreign sources"),
                _("Origin"),
                lambda c: origins.get(c, c),
                "",
            ),
            (
                "topic",
                _("By topic"),
                _("Topic"),
                lambda c: topic_names.get(c, c),
                _(
                    "An article can belong to several topics, so topic counts may add up to "
                    "more than the number of articles."
                ),
            ),
            ("partner", _("By partner"), _("Partner"), str, ""),
            ("source", _("By source"), _("Source"), str, ""),
        ]
        total = self.doc["totals"].get("articles") or 0
        out = []
        for key, title, column, name, note in spec:
            counts: Mapping[str, float] = doc.get(f"by_{key}") or {}
            rows = [
                Row(
                    label=name(k),
                    count=v,
                    count_text=self.num(v),
                    share=i18n.fmt_percent(100.0 * v / total, self.lang) if total else "",
                )
                for k, v in counts.items()
            ]
            out.append(Breakdown(key, title, column, rows, note if rows else ""))
        return out

    def _article(self, art: Mapping[str, Any]) -> ArticleLine:
        return ArticleLine(
            id=int(art["id"]),
            title=art.get("title") or "",
            title_language=art.get("language") or "",
            translated=art.get("title_translated") or "",
            source=art.get("source") or "",
            country=i18n.country_name(art.get("country") or "", self.lang),
            date=self._date_of(art),
            language=self.language(art.get("language")),
            url=art.get("url") or "",
            href=_web_link(art.get("url") or ""),
        )

    def _stories(self, by_id: Mapping[int, ArticleLine]) -> list[Story]:
        out = []
        for s in self.doc.get("top_stories") or []:
            ids: Sequence[int] = s.get("articles") or []
            out.append(
                Story(
                    id=int(s["id"]),
                    title=s.get("title") or "",
                    title_language=s.get("title_language") or "",
                    summary=s.get("summary") or "",
                    languages=", ".join(self.language(c) for c in s.get("languages") or []),
                    articles=self.num(len(ids)),
                    why=s.get("why") or "",
                    lines=[by_id[i] for i in ids if i in by_id],
                )
            )
        return out

    def _entities(self) -> list[Entity]:
        _ = self._
        types = {"PER": _("Person"), "ORG": _("Organisation"), "LOC": _("Place")}
        out = []
        for e in self.doc.get("entities") or []:
            names: Mapping[str, str] = e.get("names") or {}
            name = names.get(self.lang) or e.get("name") or ""
            others = [(code, n) for code, n in names.items() if n and n != name]
            out.append(
                Entity(
                    name=name,
                    type=types.get(e.get("type") or "", e.get("type") or ""),
                    other_names=others,
                    articles=self.num(e.get("articles", 0)),
                    mentions=self.num(e.get("mentions", 0)),
                )
            )
        return out

    def _figures(self, by_id: Mapping[int, ArticleLine]) -> list[Figure]:
        out = []
        for f in self.doc.get("figures") or []:
            art = by_id.get(f.get("article"))
            article = f"#{f.get('article')}" + (f" {art.title}" if art else "")
            out.append(
                Figure(
                    text=f.get("text") or "",
                    subject=f.get("subject") or "",
                    source=f.get("source") or "",
                    language=self.language(f.get("language")),
                    language_code=f.get("language") or "",
                    article=article if f.get("article") is not None else "",
                )
            )
        return out

    def _spikes(self) -> list[Spike]:
        out = []
        for s in self.doc.get("spikes") or []:
            ratio = s.get("ratio")
            out.append(
                Spike(
                    title=s.get("title") or "",
                    current=self.num(s.get("current", 0)),
                    baseline=self.num(s.get("baseline", 0)),
                    ratio=self._("new") if ratio is None else "×" + self.num(ratio),
                )
            )
        return out

    def _translation_note(self) -> str:
        engine = (self.doc.get("translation") or {}).get("engine")
        if not engine:
            return ""
        return self._("Titles translated by machine ({engine}).").format(engine=engine)


def _web_link(url: str) -> str:
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in ("http", "https") else ""


def _trend(change: Mapping[str, Any]) -> str:
    delta = change.get("delta", 0)
    if change.get("percent") is None and delta > 0:
        return "new"
    return "up" if delta > 0 else "down" if delta < 0 else "flat"


def _is_hour(label: str) -> bool:
    """True for the hour labels ("07:00") of a one-day report's volume."""
    return len(label) == 5 and label[2] == ":"
