"""The PDF rendering of a report: the HTML report laid out by WeasyPrint on A4 pages (print CSS,
page numbers in the footer) with bundled fonts for Vietnamese and CJK text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from hoasen.reports.fonts import ReportFonts, font_css
from hoasen.reports.html import render_html


def render_pdf(doc: Mapping[str, Any]) -> bytes:
    """The report document as PDF bytes. Only local files (the fonts) may be read while
    rendering: article links stay links and nothing is fetched from the network."""
    fetcher = URLFetcher(allowed_protocols=("file",))
    font_config = ReportFonts()
    fonts = CSS(string=font_css(), font_config=font_config, url_fetcher=fetcher)
    html = HTML(string=render_html(doc), url_fetcher=fetcher)
    return bytes(html.write_pdf(stylesheets=[fonts], font_config=font_config))
