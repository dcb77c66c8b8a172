"""The HTML rendering of a report document: one self-contained page (inline CSS and SVG charts,
nothing loaded from elsewhere) that also prints well and is the source of the PDF."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hoasen.reports import charts, i18n
from hoasen.reports.view import CHART_ROWS, ReportView, build_view

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
@media print { body { max-width: none; padding: 0; } a { text-decoration: none; } }
""".replace("FONT_STACK", FONT_STACK)


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

    def render(self, doc: Mapping[str, Any]) -> str:
        """The report as one HTML page."""
        view = build_view(doc)
        template = self.env.get_template("report.html.j2")
        return template.render(
            v=view,
            _=view.gettext,
            css=Markup(CSS),
            arrows=ARROWS,
            volume_chart=Markup(self.volume_chart(view)),
            charts={b.key: Markup(self.breakdown_chart(view, b.key)) for b in view.breakdowns},
        )

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


def render_html(doc: Mapping[str, Any]) -> str:
    """The report document as a self-contained HTML page."""
    return HtmlRenderer().render(doc)
