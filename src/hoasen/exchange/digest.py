"""The human-readable forms of a package, for partners who read rather than import: one
self-contained HTML page (inline CSS, nothing fetched, every text escaped) and a Word file,
each with headline, date, source, language and body of every item in every language sent.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from docx import Document as new_document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from jinja2 import Environment, StrictUndefined

from hoasen.exchange.formats import ExchangeItem, translation_item, xml_text
from hoasen.reports.i18n import language_name

LATIN_FONT = "Times New Roman"
EAST_ASIAN_FONT = "SimSun"

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hoasen">
<title>{{ title }}</title>
<style>
html { font-family: "Noto Sans", "Noto Sans CJK SC", "Microsoft YaHei", Arial, sans-serif;
       line-height: 1.5; color: #1f2328; }
body { max-width: 46em; margin: 0 auto; padding: 1em; }
h1 { font-size: 1.5em; color: #12355b; margin-bottom: 0.2em; }
.lead { color: #57606a; margin-top: 0; }
article { border-top: 1px solid #d0d7de; padding-top: 0.6em; margin-top: 1.2em; }
h2 { font-size: 1.2em; margin: 0.2em 0; }
.meta { color: #57606a; font-size: 0.9em; margin: 0 0 0.6em; }
.translated { color: #57606a; font-size: 0.85em; font-style: italic; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="lead">{{ lead }}</p>
{%- for s in sections %}
<article id="item-{{ loop.index }}" lang="{{ s.language }}">
  <h2>{{ s.headline }}</h2>
  <p class="meta" lang="en">{{ s.date }} · {{ s.source }} · {{ s.language_name }}
  {%- if s.translated %} · <span class="translated">{{ s.translated }}</span>{% endif %}</p>
  {%- for p in s.paragraphs %}
  <p>{{ p }}</p>
  {%- endfor %}
</article>
{%- endfor %}
</body>
</html>
"""


@dataclass(frozen=True)
class Section:
    """One item in one language as the digest shows it."""

    headline: str
    date: str
    source: str
    language: str
    language_name: str
    translated: str  # "translated from Vietnamese", or ""
    paragraphs: list[str]


def sections(items: Sequence[ExchangeItem], tz: ZoneInfo) -> list[Section]:
    """Every item followed by its translations, ready to show (dates in the office's zone)."""
    out: list[Section] = []
    for item in items:
        for shown in (item, *(translation_item(item, t) for t in item.translations)):
            translated = ""
            if shown.translated_from:
                translated = f"translated from {language_name(item.language, 'en')}"
            out.append(
                Section(
                    headline=shown.title,
                    date=f"{shown.published.astimezone(tz):%Y-%m-%d %H:%M}",
                    source=shown.source_name or "",
                    language=shown.language,
                    language_name=language_name(shown.language, "en"),
                    translated=translated,
                    paragraphs=shown.paragraphs(),
                )
            )
    return out


def digest_html(title: str, lead: str, items: Sequence[ExchangeItem], tz: ZoneInfo) -> bytes:
    """The package as one self-contained HTML page (UTF-8)."""
    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    page = env.from_string(_TEMPLATE).render(title=title, lead=lead, sections=sections(items, tz))
    return page.encode("utf-8")


def digest_docx(
    title: str, lead: str, items: Sequence[ExchangeItem], tz: ZoneInfo, built: datetime
) -> bytes:
    """The package as a Word document: a heading per item, its facts line, its paragraphs."""
    word = new_document()
    styles = word.styles
    for name in ("Normal", "Title", "Heading 2"):
        _fonts(styles[name].element.get_or_add_rPr())
    styles["Normal"].font.size = Pt(11)
    props = word.core_properties
    props.title = xml_text(title)
    props.author = "hoasen"
    props.created = built.replace(tzinfo=None)
    props.modified = built.replace(tzinfo=None)
    word.add_heading(xml_text(title), level=0)
    word.add_paragraph().add_run(xml_text(lead)).italic = True
    for s in sections(items, tz):
        word.add_heading(xml_text(s.headline), level=2)
        facts = " · ".join(x for x in (s.date, s.source, s.language_name, s.translated) if x)
        run = word.add_paragraph().add_run(xml_text(facts))
        run.italic = True
        run.font.size = Pt(9)
        for paragraph in s.paragraphs:
            word.add_paragraph(xml_text(paragraph))
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _fonts(rpr: object) -> None:
    """Latin and East Asian faces on a style, so Vietnamese and Chinese both display."""
    fonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)  # type: ignore[attr-defined]
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
