"""The PDF rendering of a report: the HTML report laid out by WeasyPrint on A4 pages (print CSS,
page numbers in the footer) with bundled fonts for Vietnamese and CJK text."""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.document import Document
from weasyprint.formatting_structure import boxes
from weasyprint.urls import URLFetcher

from hoasen.reports.fonts import ReportFonts, font_css
from hoasen.reports.html import AppendixBlock, HtmlRenderer

LOG = logging.getLogger(__name__)


def render_pdf(doc: Mapping[str, Any]) -> bytes:
    """The report document as PDF bytes. Only local files (the fonts) may be read while
    rendering: article links stay links and nothing is fetched from the network.

    A report with a long appendix is rendered in two processes at once (see `pdf_split`); where
    a second process cannot be had, or fails, it is rendered here alone, to the same pages."""
    from hoasen.reports import pdf_split

    worker = pdf_split.AppendixWorker.start_for(doc)
    page, blocks = HtmlRenderer().render_page(doc, "print")
    if worker is not None:
        try:
            return worker.render(page, blocks, doc.get("number") or "")
        except pdf_split.SplitFailed as exc:
            LOG.warning("PDF rendered in one process: %s", exc)
        finally:
            worker.close()
    document = render_document(page)
    add_appendix_links(document, blocks)
    return bytes(document.write_pdf())


def render_document(
    page: str, extra_css: str = "", counter_style: CounterStyle | None = None
) -> Document:
    """The HTML page laid out with the bundled fonts (and `extra_css` after the report's own);
    `counter_style` renders the counters (the page numbers of a part, in `pdf_split`)."""
    fetcher = URLFetcher(allowed_protocols=("file",))
    font_config = ReportFonts()
    sheets = [CSS(string=font_css(), font_config=font_config, url_fetcher=fetcher)]
    if extra_css:
        sheets.append(CSS(string=extra_css, font_config=font_config, url_fetcher=fetcher))
    html = HTML(string=page, url_fetcher=fetcher)
    return html.render(stylesheets=sheets, font_config=font_config, counter_style=counter_style)


def add_appendix_links(document: Document, blocks: Sequence[AppendixBlock]) -> int:
    """Make every line of each appendix entry a link to its article, as an `<a>` around the
    entry would, and return the number of links added.

    The print appendix is plain text (an element per entry would cost WeasyPrint several times
    the layout time), so its links are added to the laid-out pages: each line of an appendix
    paragraph is found in the paragraph's text, in order, which tells its entry. A line that
    cannot be found (not expected) just stays without a link."""
    added = 0
    found_up_to: dict[int, int] = {}  # per paragraph, where the last line found ended
    for page in document.pages:
        for block_index, line in _appendix_lines(page._page_box):
            if block_index >= len(blocks):
                continue
            block = blocks[block_index]
            texts = [box for box in line.descendants() if isinstance(box, boxes.TextBox)]
            text = "".join(box.text for box in texts).strip()
            if not text:
                continue
            at = block.text.find(text, found_up_to.get(block_index, 0))
            if at < 0:
                continue
            found_up_to[block_index] = at + len(text)
            href = block.hrefs[bisect_right(block.starts, at) - 1]
            if not href:
                continue
            x1 = min(box.position_x for box in texts)
            x2 = max(box.position_x + box.width for box in texts)
            y1, y2 = line.position_y, line.position_y + line.height
            page.links.append(("external", href, (x1, y1, x2, y2), line))
            added += 1
    return added


def _appendix_lines(box: boxes.Box) -> Iterator[tuple[int, boxes.LineBox]]:
    """The line boxes of the appendix paragraphs (`p.entries`) on one page, in order, each with
    its paragraph's index (`data-block`)."""
    for child in box.descendants():
        if (
            isinstance(child, boxes.BlockBox)
            and child.element_tag == "p"
            and child.element is not None
            and child.element.get("data-block") is not None
        ):
            index = int(child.element.get("data-block"))
            for line in child.children:
                if isinstance(line, boxes.LineBox):
                    yield index, line
