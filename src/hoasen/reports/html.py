"""The HTML rendering of a report document: one self-contained page (inline CSS and SVG charts,
nothing loaded from elsewhere) that also prints well and is the source of the PDF."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from hoasen.reports import charts, fonts, i18n
from hoasen.reports.view import CHART_ROWS, ArticleLine, ReportView, build_view

ARROWS = {"up": "▲", "down": "▼", "flat": "=", "new": "▲"}
FONT_STACK = (
    '"Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "DejaVu Sans", '
    '"Segoe UI", Arial, "Microsoft YaHei", sans-serif'
)

CSS = """
@page {
  size: A4;
  margin: 18mm 15mm 20mm 20mm;
  @bottom-left { content: string(report-number); font-size: 8pt; color: #57606a; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #57606a; }
}
html { font-family: FONT_STACK; font-size: 10.5pt; line-height: 1.4; color: #1f2328; }
body { max-width: 190mm; margin: 0 auto; padding: 0 4mm; }
h1 { font-size: 18pt; margin: 4pt 0 8pt; color: #12355b; }
h2 { font-size: 14pt; margin: 18pt 0 6pt; color: #12355b; border-bottom: 1.5pt solid #12355b;
     padding-bottom: 2pt; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 12pt 0 4pt; break-after: avoid; }
.office { font-weight: bold; text-transform: uppercase; margin: 0; }
.number { margin: 2pt 0; }
.report-number { string-set: report-number content(); }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 1pt 10pt; margin: 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 6pt; margin: 6pt 0; }
.card { border: 0.75pt solid #d0d7de; border-radius: 4pt; padding: 4pt 8pt; min-width: 26mm; }
.card-label { font-size: 9pt; color: #57606a; }
.card-value { font-size: 16pt; font-weight: bold; }
.up, .new { color: #1a7f37; }
.down { color: #cf222e; }
.flat { color: #57606a; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; font-size: 9.5pt; }
th, td { border: 0.5pt solid #d0d7de; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.date { white-space: nowrap; }
td.link { font-size: 8pt; word-break: break-all; }
ol.appendix { list-style: none; padding: 0; margin: 0; font-size: 8.5pt; }
ol.appendix li { padding: 1.5pt 0; border-bottom: 0.5pt solid #eaeef2;
                 break-inside: avoid; }
ol.appendix .no { color: #57606a; font-weight: bold; }
ol.appendix .meta { color: #57606a; overflow-wrap: anywhere; }
p.entries { white-space: pre-line; margin: 0; font-size: 8.5pt; line-height: 1.45;
            overflow-wrap: anywhere; }
.translated { color: #57606a; font-style: italic; }
.note, .none, figcaption { color: #57606a; font-size: 9pt; }
.empty { font-size: 12pt; font-weight: bold; padding: 8pt; border: 1pt solid #d0d7de; }
figure { margin: 4pt 0; break-inside: avoid; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
.story { break-inside: auto; }
.summary { margin: 2pt 0; }
.why, .facts { margin: 2pt 0; font-size: 9.5pt; }
.code { color: #57606a; font-size: 8.5pt; }
a { color: #1f4e99; }
@media print {
  body { max-width: none; padding: 0; } a { text-decoration: none; }
  /* The appendix starts a page, its bookmark a top-level one: the PDF of a long report has it
     rendered by a second process (pdf_split) and the pages must be the same either way. */
  #appendix { break-before: page; } #appendix h2 { bookmark-level: 1; }
  /* The long tables (a monthly report has hundreds of rows) get fixed column widths: an
     automatic layout measures every cell's text twice more before laying it out. */
  table.story-articles, table.spikes { table-layout: fixed; }
  .c-title { width: 55%; } .c-source { width: 19%; } .c-date { width: 13%; }
  .c-language { width: 13%; } .c-story { width: 58%; } .c-num { width: 14%; }
}
""".replace("FONT_STACK", FONT_STACK)


# Entries per paragraph of the print appendix: small enough that no paragraph is huge, large
# enough that a monthly report of ~8,500 articles needs under a hundred of them.
APPENDIX_BLOCK = 100

Variant = Literal["web", "print"]


@dataclass(frozen=True)
class AppendixBlock:
    """One paragraph of the print appendix: its markup, the same as the plain text that is
    laid out, where each entry starts in that text and each entry's web link ("" for none)."""

    markup: Markup
    text: str
    starts: list[int]
    hrefs: list[str]


def _oneline(text: str) -> str:
    """The text with every run of whitespace (newlines included) made one space, as an HTML
    page shows it anyway; needed where the appendix keeps newlines (white-space: pre-line)."""
    return " ".join(text.split())


def appendix_entry(a: ArticleLine) -> str:
    """One article of the print appendix as one line of text with the fields of the web
    appendix in the same order: number, title (translation), source, date, language, URL."""
    text = f"{a.id}. {a.title}"
    if a.translated:
        text += f" ({a.translated})"
    text += f" · {a.source} · {a.date} · {a.language}"
    if a.url:
        text += f" · {a.url}"
    return _oneline(text)


def appendix_blocks(articles: Sequence[ArticleLine], lang: str) -> list[AppendixBlock]:
    """The print appendix: paragraphs of entries, one entry a line, laid out with
    `white-space: pre-line`.

    Why: WeasyPrint spends milliseconds on each list item with nested spans and a link (styles
    for every element, an inline box split on every line, a text layout per fragment); plain
    lines of text in a shared paragraph cost a fraction of that, which keeps the PDF of a
    monthly report with thousands of articles fast without dropping any field. Only a title
    whose language is drawn with another face than the report's (Japanese, Korean, traditional
    Chinese) gets a `lang` span; the links to the articles are added after layout
    (`pdf.add_appendix_links`), from `starts` and `hrefs`."""
    page_face = fonts.face_for(lang)
    blocks = []
    for at in range(0, len(articles), APPENDIX_BLOCK):
        chunk = articles[at : at + APPENDIX_BLOCK]
        entries = [appendix_entry(a) for a in chunk]
        parts: list[Markup] = []
        starts: list[int] = []
        offset = 0
        for a, entry in zip(chunk, entries, strict=True):
            starts.append(offset)
            offset += len(entry) + 1  # and the newline
            if a.title_language and fonts.face_for(a.title_language) != page_face:
                parts.append(Markup('<span lang="{}">{}</span>').format(a.title_language, entry))
            else:
                parts.append(escape(entry))
        blocks.append(
            AppendixBlock(
                markup=Markup("\n").join(parts),
                text="\n".join(entries),
                starts=starts,
                hrefs=[a.href for a in chunk],
            )
        )
    return blocks


class HtmlRenderer:
    """Renders report documents with its own Jinja2 environment (autoescaped)."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("hoasen.reports", "templates"),
            autoescape=select_autoescape(["html", "j2"], default=True),
            undefined=StrictUndefined,
            trim_blocks=False,
            lstrip_blocks=False,
        )

    def render(self, doc: Mapping[str, Any], variant: Variant = "web") -> str:
        """The report as one HTML page. The "print" variant, the source of the PDF, lists the
        appendix as compact line-broken paragraphs instead of a list with styled parts (same
        entries, same fields; see `appendix_blocks`)."""
        return self.render_page(doc, variant)[0]

    def render_page(
        self, doc: Mapping[str, Any], variant: Variant = "web"
    ) -> tuple[str, list[AppendixBlock]]:
        """The page and, for the "print" variant, the appendix paragraphs it holds (in the page
        as `<p class="entries" data-block="N">`, N their index here)."""
        view = build_view(doc)
        blocks = appendix_blocks(view.articles, view.lang) if variant == "print" else []
        template = self.env.get_template("report.html.j2")
        page = template.render(
            v=view,
            _=view.gettext,
            css=Markup(CSS),
            arrows=ARROWS,
            appendix_blocks=blocks if variant == "print" else None,
            volume_chart=Markup(self.volume_chart(view)),
            charts={b.key: Markup(self.breakdown_chart(view, b.key)) for b in view.breakdowns},
        )
        return page, blocks

    def volume_chart(self, view: ReportView) -> str:
        """Articles per day as an SVG chart."""
        return charts.volume_chart(
            view.volume,
            title=view.gettext("Volume over time"),
            desc=view.volume_desc,
            fmt=lambda x: i18n.fmt_number(x, view.lang),
            chart_id="chart-volume",
        )

    def breakdown_chart(self, view: ReportView, key: str) -> str:
        """The largest rows of one breakdown as horizontal bars; none for the two-row
        domestic/foreign split or an empty breakdown (the table says it all)."""
        breakdown = next(b for b in view.breakdowns if b.key == key)
        if key == "origin" or not breakdown.rows:
            return ""
        rows = breakdown.rows[:CHART_ROWS]
        desc = "; ".join(f"{r.label}: {r.count_text}" for r in rows)
        return charts.bar_chart(
            [(r.label, r.count) for r in rows],
            title=breakdown.title,
            desc=desc,
            fmt=lambda x: i18n.fmt_number(x, view.lang),
            chart_id=f"chart-{key}",
        )


def render_html(doc: Mapping[str, Any], variant: Variant = "web") -> str:
    """The report document as a self-contained HTML page ("print": the PDF's source)."""
    return HtmlRenderer().render(doc, variant)
