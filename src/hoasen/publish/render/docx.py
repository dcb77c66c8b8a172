"""The Word (.docx) rendering of an edition, for the editors to revise or the printer to take.

Cover (series, number, date, title, languages) and a page break, the contents, the masthead,
then the items in the series' layout: `parallel` as a borderless two-column table (one row per
paragraph pair, so the languages stay aligned across pages), `alternate` as paragraph A then
paragraph B, `sequential` as the whole item in A then in B. Each run is tagged with its language
(proofing) and, for Chinese, Japanese and Korean, the East Asian face Word should use, so both
languages display in Word and LibreOffice. A running header names series and number; the footer
carries the page number. Document-wide fonts come from `hoasen.reports.docx`.
"""

from __future__ import annotations

import io
import re

from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from hoasen.publish.edition_model import Edition
from hoasen.publish.render.html import Block, EditionView, ItemView, base_lang, build_view
from hoasen.reports.docx import _default_fonts, _rfonts
from hoasen.settings import Settings

#: East Asian faces Word ships with, per language (Latin text keeps the report's face).
EAST_ASIAN_FACES = {"zh": "SimSun", "ja": "MS Mincho", "ko": "Batang"}
#: Word's language tags (proofing) per base language.
WORD_LANGS = {
    "vi": "vi-VN",
    "en": "en-GB",
    "zh": "zh-CN",
    "ja": "ja-JP",
    "ko": "ko-KR",
    "fr": "fr-FR",
    "ru": "ru-RU",
}
BODY_PT = 11
CONTENT_CM = 16.0  # A4 less 3 cm left and 2 cm right margins
MUTED = RGBColor(0x57, 0x60, 0x6A)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_docx(edition: Edition, settings: Settings | None = None) -> bytes:
    """The edition as .docx bytes."""
    return _DocxEdition(build_view(edition, settings)).render()


def word_lang(lang: str) -> str:
    """Word's tag for a language code ("zh" -> "zh-CN"), else the code itself."""
    return WORD_LANGS.get(base_lang(lang), lang)


def tag_run(run: object, lang: str) -> None:
    """Mark a run as being in `lang`: its proofing language and, for zh/ja/ko, the East Asian
    face and the hint that makes Word use it for every character of the run."""
    rpr = run._r.get_or_add_rPr()  # type: ignore[attr-defined]
    code = base_lang(lang)
    language = OxmlElement("w:lang")
    if code in EAST_ASIAN_FACES:
        fonts = rpr.get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), EAST_ASIAN_FACES[code])
        fonts.set(qn("w:hint"), "eastAsia")
        language.set(qn("w:eastAsia"), word_lang(lang))
    else:
        language.set(qn("w:val"), word_lang(lang))
    rpr.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


class _DocxEdition:
    """One rendering: the edition's display text and the Word document being written."""

    def __init__(self, view: EditionView) -> None:
        self.v = view
        self.word: Document = new_document()

    def render(self) -> bytes:
        """Cover, contents, masthead, items, colophon; then the .docx bytes."""
        self._setup()
        self._cover()
        self._contents()
        if self.v.masthead:
            self._fixed("masthead", self.v.masthead)
        for item in self.v.items:
            self._item(item)
        if self.v.colophon:
            self._fixed("colophon", self.v.colophon)
        out = io.BytesIO()
        self.word.save(out)
        return out.getvalue()

    def _setup(self) -> None:
        """A4 page, fonts and languages on the styles used, header/footer, file properties."""
        v = self.v
        section = self.word.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)
        _default_fonts(self.word, "vi" if v.main == "vi" else "en")
        styles = self.word.styles
        for name in ("Normal", "Title", "Heading 1", "Heading 2", "Subtitle", "Caption"):
            _rfonts(styles[name].element.get_or_add_rPr())
        styles["Normal"].font.size = Pt(BODY_PT)
        props = self.word.core_properties
        props.title = _clean(v.title)
        props.subject = _clean(f"{v.series_name} — {v.number_text(v.main)}")
        props.author = _clean(v.office or v.series_name)
        props.language = word_lang(v.main)
        props.keywords = ", ".join(v.languages)
        section.different_first_page_header_footer = True  # a bare cover
        header = section.header.paragraphs[0]
        self._runs(header, [Block(v.main, f"{v.series_name} — ")])
        self._runs(header, [Block(lang, v.number_text(lang)) for lang in v.languages], " · ")
        for run in header.runs:
            run.font.size, run.font.color.rgb = Pt(8), MUTED
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        footer._p.append(field)

    def _runs(
        self, para: Paragraph, blocks: list[Block], sep: str = " · ", bold: bool = False
    ) -> None:
        """Append blocks to a paragraph, each as a run tagged with its language."""
        for i, block in enumerate(blocks):
            if i and sep:
                para.add_run(sep)
            run = para.add_run(_clean(block.text))
            if bold:
                run.bold = True
            tag_run(run, block.lang)

    def _label(self, key: str) -> list[Block]:
        return self.v.labels(key)

    def _cover(self) -> None:
        """Series, number in each language, title, date and languages; then a page break."""
        v = self.v
        centre = WD_ALIGN_PARAGRAPH.CENTER
        para = self.word.add_paragraph()
        para.alignment = centre
        para.paragraph_format.space_before = Pt(120)
        self._runs(para, [Block(v.main, v.series_name.upper())], bold=True)
        para = self.word.add_paragraph()
        para.alignment = centre
        self._runs(para, [Block(lang, v.number_text(lang)) for lang in v.languages])
        title = self.word.add_paragraph(style="Title")
        title.alignment = centre
        self._runs(title, [Block(v.main, v.title)])
        for key, values in (
            ("date", v.dates),
            ("languages", [Block(lang, v.language_name(lang)) for lang in v.languages]),
        ):
            if not values:
                continue
            para = self.word.add_paragraph()
            para.alignment = centre
            self._runs(para, self._label(key), bold=True)
            para.add_run(": ")
            self._runs(para, values)
        if v.description:
            para = self.word.add_paragraph()
            para.alignment = centre
            self._runs(para, [Block(v.main, v.description)])
        self.word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def _contents(self) -> None:
        """The items' titles, numbered, in every language they have."""
        heading = self.word.add_heading(level=1)
        self._runs(heading, self._label("contents"))
        for item in self.v.items:
            para = self.word.add_paragraph()
            para.add_run(f"{item.index}. ")
            self._runs(para, item.titles, " / ")

    def _fixed(self, key: str, text: str) -> None:
        """The masthead or colophon: its label, then the series' text line by line."""
        heading = self.word.add_heading(level=2)
        self._runs(heading, self._label(key))
        for line in text.splitlines():
            if line.strip():
                self._runs(self.word.add_paragraph(), [Block(self.v.main, line)])

    def _item(self, item: ItemView) -> None:
        """One item in the series' layout."""
        if item.layout == "parallel":
            heading = self.word.add_heading(level=1)
            self._runs(heading, item.titles, " / ")
            self._parallel(item)
        elif item.layout == "alternate":
            heading = self.word.add_heading(level=1)
            self._runs(heading, item.titles, " / ")
            for block in item.sequence:
                para = self.word.add_paragraph()
                if block.second:
                    para.paragraph_format.left_indent = Cm(0.6)
                self._runs(para, [block])
        else:
            for n, (title, body) in enumerate(item.parts):
                heading = self.word.add_heading(level=1 if n == 0 else 2)
                self._runs(heading, [title])
                for block in body:
                    self._runs(self.word.add_paragraph(), [block])
        if item.source:
            para = self.word.add_paragraph(style="Caption")
            self._runs(para, self._label("source")[:1])
            para.add_run(": ")
            self._runs(para, [Block(self.v.main, item.source)])

    def _parallel(self, item: ItemView) -> None:
        """A borderless table, one column per language, one row per paragraph pair; rows do
        not split across pages and the language names head the columns on every page."""
        columns = max((len(r) for r in item.rows), default=len(item.titles))
        columns = max(columns, 1)
        table = self.word.add_table(rows=0, cols=columns)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        width = Cm(CONTENT_CM / columns)
        titles = item.titles + [Block(self.v.main, "")] * (columns - len(item.titles))
        for row_blocks, bold in [(titles[:columns], True)] + [(r, False) for r in item.rows]:
            row = table.add_row()
            tr_pr = row._tr.get_or_add_trPr()
            cant_split = OxmlElement("w:cantSplit")
            tr_pr.append(cant_split)
            for cell, block in zip(row.cells, row_blocks, strict=False):
                cell.width = width
                self._cell(cell, block, bold)

    def _cell(self, cell: _Cell, block: Block, bold: bool) -> None:
        para = cell.paragraphs[0]
        para.paragraph_format.space_after = Pt(6)
        if block.text:
            self._runs(para, [block], bold=bold)
