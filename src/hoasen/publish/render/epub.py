"""The EPUB 3 rendering of an edition, for e-readers and phone reading apps.

A cover page (series, number, date, title, languages, masthead), the navigation document
listing every item, one XHTML chapter per item in the series' layout, and a colophon page. The
package document names both languages (`dc:language`, main first), a stable `urn:uuid`
identifier derived from series and number (a re-render replaces the same book in a reader's
library), and `dcterms:modified`. Each language block carries `lang` and `xml:lang`; the
stylesheet is inside the book and nothing is loaded from elsewhere. Built with ebooklib; the
chapters are written by our own autoescaped templates and checked as XML here.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, time
from typing import Any

from ebooklib import epub
from lxml import etree

from hoasen.publish.edition_model import Edition
from hoasen.publish.render.html import EditionView, build_view, css, render_page
from hoasen.settings import Settings

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STYLE_FILE = "style.css"
#: EPUB readers draw their own pages: only the screen rules, no @page or print layout.
EPUB_CSS_EXTRA = "body { max-width: none; padding: 0 .5em; }\n.cover { border: none; }\n"


class _Chapter(epub.EpubHtml):
    """An XHTML document written in full by us (ebooklib's own would re-parse it as HTML and
    drop the `xml:lang` attributes)."""

    def __init__(self, uid: str, file_name: str, title: str, lang: str, xhtml: bytes) -> None:
        super().__init__(uid=uid, file_name=file_name, title=title, lang=lang)
        self.content = xhtml

    def get_content(self, default: Any = None) -> bytes:
        """The chapter's XHTML as written."""
        return bytes(self.content)


def book_identifier(edition: Edition) -> str:
    """The book's permanent identifier: the same series and number give the same one."""
    key = f"hoasen:edition:{edition.series.slug or edition.series.id}:{edition.number}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def modified_time(edition: Edition) -> datetime:
    """`dcterms:modified`: the publication time, else the issue date, else now (UTC)."""
    if edition.published is not None:
        moment = edition.published
        return moment.astimezone(UTC) if moment.tzinfo else moment
    if edition.issue_date is not None:
        return datetime.combine(edition.issue_date, time(0, 0))
    return datetime.now(UTC)


def xhtml(view: EditionView, part: str, title: str, item: Any = None) -> bytes:
    """One chapter as XHTML bytes: rendered, parsed as XML (so a malformed chapter fails here,
    not in a reader) and every `lang` attribute doubled as `xml:lang`."""
    text = render_page("chapter.xhtml.j2", "web", v=view, part=part, title=title, item=item)
    root = etree.fromstring(text.lstrip().encode("utf-8"))
    for element in root.iter():
        lang = element.get("lang") if isinstance(element.tag, str) else None
        if lang:
            element.set(XML_LANG, lang)
    body = etree.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + body


def render_epub(edition: Edition, settings: Settings | None = None) -> bytes:
    """The edition as EPUB 3 bytes."""
    view = build_view(edition, settings)
    book = epub.EpubBook()
    book.set_identifier(book_identifier(edition))
    full_title = f"{view.series_name} — {view.number_text(view.main)}: {view.title}"
    book.set_title(full_title)
    book.set_language(view.main)
    for lang in view.languages[1:]:
        book.add_metadata("DC", "language", lang)
    book.add_metadata("DC", "creator", view.series_name)
    if view.office:
        book.add_metadata("DC", "publisher", view.office)
    if edition.issue_date is not None:
        book.add_metadata("DC", "date", edition.issue_date.isoformat())
    if view.description:
        book.add_metadata("DC", "description", view.description)

    style = epub.EpubItem(
        uid="style", file_name=STYLE_FILE, media_type="text/css",
        content=(css("web") + EPUB_CSS_EXTRA).encode("utf-8"),
    )  # fmt: skip
    book.add_item(style)
    cover_title = f"{view.series_name} — {view.number_text(view.main)}"
    cover = _Chapter(
        "cover", "cover.xhtml", cover_title, view.main, xhtml(view, "cover", cover_title)
    )
    book.add_item(cover)
    chapters = []
    for item in view.items:
        title = " / ".join(t.text for t in item.titles)
        chapter = _Chapter(
            item.slug, f"{item.slug}.xhtml", title, item.title.lang,
            xhtml(view, "item", title, item),
        )  # fmt: skip
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = [epub.Link("cover.xhtml", cover_title, "toc-cover")] + [
        epub.Link(c.file_name, c.title, f"toc-{c.id}") for c in chapters
    ]
    spine: list[Any] = [cover, "nav", *chapters]
    if view.colophon or view.office:
        colophon = _Chapter(
            "colophon", "colophon.xhtml", view.labels("colophon")[0].text, view.main,
            xhtml(view, "colophon", view.labels("colophon")[0].text),
        )  # fmt: skip
        book.add_item(colophon)
        book.toc.append(epub.Link("colophon.xhtml", colophon.title, "toc-colophon"))
        spine.append(colophon)
    book.add_item(epub.EpubNcx())  # the spine names it; EPUB 2 readers still use it
    book.add_item(epub.EpubNav())
    book.spine = spine
    out = io.BytesIO()
    epub.write_epub(out, book, {"mtime": modified_time(edition), "epub2_guide": False})
    return out.getvalue()
