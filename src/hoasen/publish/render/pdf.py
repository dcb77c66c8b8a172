"""The print PDF of an edition: the print variant of the edition page laid out by WeasyPrint on
A4 (cover page, table of contents with page numbers from `target-counter`, running header with
series and issue number, page numbers in the footer, `parallel` columns as table rows that break
between paragraphs). Fonts are the bundled Noto Sans CJK faces of `hoasen.reports.fonts`, which
draw Vietnamese as well as Chinese, Japanese and Korean; nothing is fetched from the network."""

from __future__ import annotations

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from hoasen.publish.edition_model import Edition
from hoasen.publish.render.html import render_html
from hoasen.reports.fonts import ReportFonts, font_css
from hoasen.settings import Settings


def render_pdf(edition: Edition, settings: Settings | None = None) -> bytes:
    """The edition as PDF bytes (only local files, the fonts, may be read while rendering)."""
    fetcher = URLFetcher(allowed_protocols=("file",))
    font_config = ReportFonts()
    fonts = CSS(string=font_css(), font_config=font_config, url_fetcher=fetcher)
    html = HTML(string=render_html(edition, settings, variant="print"), url_fetcher=fetcher)
    return bytes(html.write_pdf(stylesheets=[fonts], font_config=font_config))
