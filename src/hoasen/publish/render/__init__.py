"""Edition outputs and the public web output.

`render_edition` turns one bilingual `Edition` (see `hoasen.publish.edition_model`) into a print
PDF, a self-contained HTML electronic version, an EPUB 3 book or a Word document, in the series'
layout (`parallel`, `alternate`, `sequential`); `build_site` writes the static public site with
its feeds and sitemap. Renderers only read the edition: no database access here.
"""

from __future__ import annotations

from collections.abc import Callable

from hoasen.errors import UsageError
from hoasen.publish.edition_model import Edition
from hoasen.publish.render.site import build_site
from hoasen.settings import Settings

RENDER_FORMATS = ("pdf", "html", "epub", "docx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "epub": "application/epub+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
EXTENSIONS = {"pdf": "pdf", "html": "html", "epub": "epub", "docx": "docx"}


def _renderer(fmt: str) -> Callable[[Edition, Settings], bytes]:
    # Imported on use: WeasyPrint and python-docx are slow to import and most callers need one.
    if fmt == "pdf":
        from hoasen.publish.render.pdf import render_pdf

        return render_pdf
    if fmt == "epub":
        from hoasen.publish.render.epub import render_epub

        return render_epub
    if fmt == "docx":
        from hoasen.publish.render.docx import render_docx

        return render_docx
    from hoasen.publish.render.html import render_html

    return lambda edition, settings: render_html(edition, settings).encode("utf-8")


def render_edition(edition: Edition, fmt: str, settings: Settings) -> bytes:
    """The edition in `fmt` ("pdf", "html", "epub" or "docx") as bytes."""
    if fmt not in RENDER_FORMATS:
        raise UsageError(
            f"unknown edition format {fmt!r}; choose one of {', '.join(RENDER_FORMATS)}"
        )
    return _renderer(fmt)(edition, settings)


__all__ = ["EXTENSIONS", "MEDIA_TYPES", "RENDER_FORMATS", "build_site", "render_edition"]
