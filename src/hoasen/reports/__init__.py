"""Monitoring reports: build a document from the database, keep it in the numbered register,
render it as HTML, PDF, Word, Markdown or JSON (every format from the same document)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hoasen.errors import UsageError

FORMATS = ("html", "pdf", "docx", "md", "json")
EXTENSIONS = {"html": "html", "pdf": "pdf", "docx": "docx", "md": "md", "json": "json"}


def render(doc: Mapping[str, Any], fmt: str) -> bytes:
    """The report document in one format."""
    if fmt == "json":
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "html":
        from hoasen.reports.html import render_html

        return render_html(doc).encode("utf-8")
    if fmt == "md":
        from hoasen.reports.markdown import render_markdown

        return render_markdown(doc).encode("utf-8")
    if fmt == "pdf":
        from hoasen.reports.pdf import render_pdf

        return render_pdf(doc)
    if fmt == "docx":
        from hoasen.reports.docx import render_docx

        return render_docx(doc)
    raise UsageError(f"unknown report format {fmt!r}; formats: {', '.join(FORMATS)}")
