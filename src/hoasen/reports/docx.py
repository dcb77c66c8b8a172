"""The Word (.docx) rendering of a report document, for officers to edit before sending.

Real Word headings (Heading 1/2) and tables whose header rows repeat across pages, charts as
inline PNG images, and fonts declared for Latin (Vietnamese) and East Asian text so both
display in Word and LibreOffice. Content and order follow the HTML report: both are drawn from
the same `ReportView`. No database access.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from copy import deepcopy
from typing import Any

from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table

from hoasen.reports import i18n
from hoasen.reports.exchange import exchange_headers, exchange_note
from hoasen.reports.fonts import cjk_font_path
from hoasen.reports.png_charts import ChartFont, breakdown_chart, volume_chart
from hoasen.reports.view import CHART_ROWS, ArticleLine, ReportView, build_view

LATIN_FONT = "Times New Roman"  # the face of Vietnamese official documents (Decree 30/2020)
EAST_ASIAN_FONT = "SimSun"  # shipped with Windows; Word falls back by itself for Hangul/kana
CJK_FACE_INDEX = 2  # Noto Sans CJK SC inside the bundled collection (the PDF's font)
BODY_PT = 12
TABLE_PT = 10
LINK_PT = 8
CONTENT_CM = 16.0  # A4 width less 3 cm left and 2 cm right margins
LINK_COLOUR = RGBColor(0x1F, 0x4E, 0x99)
HEADER_FILL = "E7EEF6"
UNCHARTED = ("origin",)  # two rows: the table says it all (as in the HTML)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_docx(doc: Mapping[str, Any]) -> bytes:
    """The report as a .docx file."""
    return _DocxReport(doc).render()


class _DocxReport:
    """One rendering: the report's display text and the Word document being written."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc: Mapping[str, Any] = _xml_safe(doc)
        self.view: ReportView = build_view(self.doc)
        self._ = self.view.gettext
        self.word: Document = new_document()
        self.font = ChartFont(cjk_font_path(), CJK_FACE_INDEX)
        self._links: dict[str, str] = {}

    def num(self, x: float) -> str:
        """A number in the report's locale."""
        return i18n.fmt_number(x, self.view.lang)

    def render(self) -> bytes:
        """Every section in the order of the HTML report, then the .docx bytes."""
        self._setup()
        self._header()
        self._headline()
        self._exchange()
        self._registers()
        if self.view.empty:
            self.word.add_paragraph(self._("No coverage in this period."), style="Intense Quote")
        else:
            self._volume()
            self._breakdowns()
            self._stories()
            self._entities()
            self._figures()
            self._spikes()
            self._appendix()
        out = io.BytesIO()
        self.word.save(out)
        return out.getvalue()

    def _setup(self) -> None:
        """A4 page, Latin and East Asian fonts on every style the report uses, the proofing
        language and the file's properties."""
        v = self.view
        section = self.word.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)
        _default_fonts(self.word, v.lang)
        styles = self.word.styles
        for name in ("Normal", "Title", "Heading 1", "Heading 2", "Intense Quote", "Caption"):
            _rfonts(styles[name].element.get_or_add_rPr())
        styles["Normal"].font.size = Pt(BODY_PT)
        props = self.word.core_properties
        props.title = v.title
        props.subject = v.kind
        props.author = str(self.doc.get("generated_by") or "hoasen")
        props.identifier = v.number
        props.language = _language_tag(v.lang)

    def _header(self) -> None:
        """Office, number, title, then kind, period, who generated it and the filters."""
        _, v = self._, self.view
        if v.office:
            self.word.add_paragraph().add_run(v.office.upper()).bold = True
        if v.number:
            para = self.word.add_paragraph(_("Report number") + ": ")
            para.add_run(v.number).bold = True
        self.word.add_heading(v.title, level=0)
        rows = [(_("Report kind"), v.kind), (_("Period"), v.period)]
        if v.generated:
            rows.append((_("Generated"), v.generated))
        rows += v.parameters
        self._table([], rows, widths=(4.5, 11.5), bold_columns=(0,))

    def _headline(self) -> None:
        """Headline numbers against the previous period."""
        _, v = self._, self.view
        self.word.add_heading(_("Headline numbers"), level=1)
        previous = _("Previous period")
        if v.previous_period:
            previous += f" ({v.previous_period})"
        self._table(
            [_("Indicator"), _("This period"), previous, _("Change")],
            [(h.label, h.value, h.previous, h.change) for h in v.headline],
            widths=(4.5, 3, 5, 3.5),
            numeric=(1, 2, 3),
        )
        if not v.empty:
            self.word.add_paragraph(v.origin_line)

    def _exchange(self) -> None:
        """The monthly report's exchange with partners, when there was any."""
        v = self.view
        if not v.exchange:
            return
        self.word.add_heading(self._("Exchange with partners"), level=1)
        self._table(
            exchange_headers(self._),
            [
                (x.partner, x.sent, x.received, x.sent_languages, x.received_languages)
                for x in v.exchange
            ],
            widths=(4, 2, 2, 4, 4),
            numeric=(1, 2),
        )
        self.word.add_paragraph(exchange_note(self._), style="Caption")

    def _registers(self) -> None:
        """The monthly report's foreign affairs registers, when they hold something."""
        r = self.view.registers
        if r is None:
            return
        self.word.add_heading(r.title, level=1)
        self.word.add_paragraph(r.summary)
        if r.delegations:
            self._table(
                r.delegation_headers,
                r.delegations,
                widths=(4, 3, 3, 3, 3),
                numeric=(1, 2, 3, 4),
            )
        if r.press:
            self._table(r.press_headers, r.press, widths=(6, 5, 5), numeric=(1, 2))
        if r.events:
            self._table(
                r.event_headers,
                [(e.title, e.dates, e.place, e.participants, e.coverage) for e in r.events],
                widths=(5, 3.5, 3, 2, 2.5),
                numeric=(3, 4),
            )
        self.word.add_paragraph(r.note, style="Caption")

    def _volume(self) -> None:
        """Articles per day as a bar chart, and its one-line description."""
        v = self.view
        self.word.add_heading(self._("Volume over time"), level=1)
        labels = [label for label, _n in v.volume]
        values = [n for _label, n in v.volume]
        self._picture(volume_chart(labels, values, self.font, self.num))
        self.word.add_paragraph(v.volume_desc, style="Caption")

    def _breakdowns(self) -> None:
        """Each breakdown: a chart of its largest rows, a table of all of them with shares."""
        _ = self._
        self.word.add_heading(_("Breakdowns"), level=1)
        for b in self.view.breakdowns:
            self.word.add_heading(b.title, level=2)
            if not b.rows:
                self.word.add_paragraph(_("None in this period."))
                continue
            if b.key not in UNCHARTED:
                top = b.rows[:CHART_ROWS]
                self._picture(
                    breakdown_chart(
                        [r.label for r in top], [r.count for r in top], self.font, self.num
                    )
                )
            self._table(
                [b.column, _("Articles"), _("Share")],
                [(r.label, r.count_text, r.share) for r in b.rows],
                widths=(9, 3.5, 3.5),
                numeric=(1, 2),
            )
            if b.note:
                self.word.add_paragraph(b.note, style="Caption")

    def _stories(self) -> None:
        """The top stories: title, summary, why it ranks and its articles across languages."""
        _ = self._
        self.word.add_heading(_("Top stories"), level=1)
        if not self.view.stories:
            self.word.add_paragraph(_("None in this period."))
        for i, s in enumerate(self.view.stories, 1):
            self.word.add_heading(f"{i}. {s.title}", level=2)
            if s.summary:
                self.word.add_paragraph(s.summary)
            para = self.word.add_paragraph()
            para.add_run(_("Why it ranks") + ": ").bold = True
            para.add_run(s.why)
            para = self.word.add_paragraph()
            para.add_run(_("Languages") + ": ").bold = True
            para.add_run(s.languages + " · ")
            para.add_run(_("Articles") + ": ").bold = True
            para.add_run(s.articles)
            self._table(
                [_("Title"), _("Source"), _("Date"), _("Language")],
                [(_titled(a), a.source, a.date, a.language) for a in s.lines],
                widths=(8.3, 3.5, 2.3, 1.9),
            )

    def _entities(self) -> None:
        """The most-mentioned people, organisations and places, with their other names."""
        _ = self._
        self.word.add_heading(_("Most-mentioned entities"), level=1)
        if not self.view.entities:
            self.word.add_paragraph(_("None in this period."))
            return
        rows = [
            (
                e.name,
                "; ".join(f"{name} ({code})" for code, name in e.other_names),
                e.type,
                e.articles,
                e.mentions,
            )
            for e in self.view.entities
        ]
        self._table(
            [_("Entity"), _("Other names"), _("Type"), _("Articles"), _("Mentions")],
            rows,
            widths=(4.5, 5.5, 2.2, 1.9, 1.9),
            numeric=(3, 4),
        )

    def _figures(self) -> None:
        """Key figures with their subject and the article they came from."""
        _ = self._
        self.word.add_heading(_("Key figures"), level=1)
        if not self.view.figures:
            self.word.add_paragraph(_("None in this period."))
            return
        self._table(
            [_("Figure"), _("Subject"), _("Source"), _("Language"), _("Article")],
            [(f.text, f.subject, f.source, f.language, f.article) for f in self.view.figures],
            widths=(3, 3.8, 3, 2, 4.2),
        )

    def _spikes(self) -> None:
        """Stories spiking against their baseline."""
        _ = self._
        self.word.add_heading(_("Spiking stories"), level=1)
        if not self.view.spikes:
            self.word.add_paragraph(_("None in this period."))
            return
        self._table(
            [_("Story"), _("This period"), _("Baseline"), _("Ratio")],
            [(s.title, s.current, s.baseline, s.ratio) for s in self.view.spikes],
            widths=(9.4, 2.2, 2.2, 2.2),
            numeric=(1, 2, 3),
        )

    def _appendix(self) -> None:
        """Every article: number, title (and translation), source, date, language and link."""
        _, v = self._, self.view
        self.word.add_heading(_("Appendix: articles"), level=1)
        if v.translation_note:
            self.word.add_paragraph(v.translation_note, style="Caption")
        table = self._table(
            [_("No."), _("Title"), _("Source"), _("Date"), _("Language"), _("Link")],
            [(str(a.id), _titled(a), a.source, a.date, a.language, "") for a in v.articles],
            widths=(1.1, 5.9, 2.6, 2.1, 1.6, 2.7),
            numeric=(0,),
        )
        link_cells = table._tbl.findall(qn("w:tr"))[1:]
        for tr, article in zip(link_cells, v.articles, strict=True):
            self._link(tr.findall(qn("w:tc"))[-1], article.url)

    # building blocks --------------------------------------------------------------------------

    def _picture(self, png: bytes) -> None:
        """An inline chart the width of the text column."""
        self.word.add_picture(io.BytesIO(png), width=Cm(CONTENT_CM))
        self.word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        numeric: Sequence[int] = (),
        bold_columns: Sequence[int] = (),
    ) -> Table:
        """A 'Table Grid' table with a shaded header row repeated on each page; a line break
        in a value starts a new paragraph in its cell. Rows are cloned from XML templates:
        python-docx's cell API is far too slow for appendices of thousands of articles."""
        table = self.word.add_table(rows=0, cols=len(widths))
        table.style = self.word.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for col, width in zip(
            table._tbl.tblGrid.iterchildren(qn("w:gridCol")), widths, strict=True
        ):
            col.set(qn("w:w"), str(Cm(width).twips))
        row = _row_template(widths)
        plain, right = _cell_paragraph(False, False), _cell_paragraph(True, False)
        bold = _cell_paragraph(False, True), _cell_paragraph(True, True)
        if headers:
            tr = deepcopy(row)
            _mark_header(tr)
            _fill(tr, headers, [bold[1 if c in numeric else 0] for c in range(len(widths))])
            table._tbl.append(tr)
        kinds = [
            (bold if c in bold_columns else (plain, right))[1 if c in numeric else 0]
            for c in range(len(widths))
        ]
        for values in rows:
            tr = deepcopy(row)
            _fill(tr, values, kinds)
            table._tbl.append(tr)
        return table

    def _link(self, tc: Any, url: str) -> None:
        """`url` in table cell `tc`: a clickable link when it is a web address, else text."""
        p = tc.findall(qn("w:p"))[-1]
        run = deepcopy(p.find(qn("w:r")))
        p.remove(p.find(qn("w:r")))
        run.find(qn("w:t")).text = url
        rpr = run.find(qn("w:rPr"))
        rpr.find(qn("w:sz")).set(qn("w:val"), str(LINK_PT * 2))
        if not url.lower().startswith(("http://", "https://")):
            p.append(run)
            return
        rid = self._links.get(url)
        if rid is None:
            # part.relate_to() scans every relationship: quadratic over thousands of links
            rid = self._links[url] = f"rIdLink{len(self._links) + 1}"
            self.word.part.rels.add_relationship(
                RELATIONSHIP_TYPE.HYPERLINK, url, rid, is_external=True
            )
        colour = OxmlElement("w:color")
        colour.set(qn("w:val"), str(LINK_COLOUR))
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        size = rpr.find(qn("w:sz"))
        size.addprevious(colour)  # schema order: color, sz, u
        size.addnext(underline)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), rid)
        link.append(run)
        p.append(link)


def _titled(article: ArticleLine) -> str:
    """An article's title, with its translation on a second line when there is one."""
    return article.title + (f"\n{article.translated}" if article.translated else "")


def _row_template(widths: Sequence[float]) -> Any:
    """An empty <w:tr> (kept on one page) with one <w:tc> of the given width per column."""
    tr = OxmlElement("w:tr")
    tr_pr = OxmlElement("w:trPr")
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr.append(tr_pr)
    for width in widths:
        tc = OxmlElement("w:tc")
        tc_pr = OxmlElement("w:tcPr")
        tc_w = OxmlElement("w:tcW")
        tc_w.set(qn("w:w"), str(Cm(width).twips))
        tc_w.set(qn("w:type"), "dxa")
        tc_pr.append(tc_w)
        tc.append(tc_pr)
        tr.append(tc)
    return tr


def _mark_header(tr: Any) -> None:
    """Make a row the table's header (repeated at the top of each page) and shade it."""
    tr.find(qn("w:trPr")).append(OxmlElement("w:tblHeader"))
    for tc in tr.findall(qn("w:tc")):
        shade = OxmlElement("w:shd")
        shade.set(qn("w:val"), "clear")
        shade.set(qn("w:color"), "auto")
        shade.set(qn("w:fill"), HEADER_FILL)
        tc.find(qn("w:tcPr")).append(shade)


def _cell_paragraph(right: bool, bold: bool) -> Any:
    """A table-text paragraph holding one empty run, cloned for each line of each cell."""
    p = OxmlElement("w:p")
    p_pr = OxmlElement("w:pPr")
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:before"), "0")
    spacing.set(qn("w:after"), "0")
    p_pr.append(spacing)
    if right:
        jc = OxmlElement("w:jc")
        jc.set(qn("w:val"), "right")
        p_pr.append(jc)
    p.append(p_pr)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    if bold:
        rpr.append(OxmlElement("w:b"))
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), str(TABLE_PT * 2))
    rpr.append(size)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(text)
    p.append(run)
    return p


def _fill(tr: Any, values: Sequence[str], paragraphs: Sequence[Any]) -> None:
    """Write one value per cell, a paragraph (cloned from that column's kind) per line."""
    t_tag = qn("w:t")
    for tc, value, template in zip(tr.findall(qn("w:tc")), values, paragraphs, strict=True):
        for line in str(value).split("\n"):
            p = deepcopy(template)
            p.find(".//" + t_tag).text = line
            tc.append(p)


def _rfonts(rpr: Any) -> None:
    """Point an rPr's <w:rFonts> at the Latin and East Asian faces, dropping the theme fonts
    that would otherwise win."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _default_fonts(word: Document, lang: str) -> None:
    """Document defaults: the two faces, and proofing languages (the report's, and Chinese
    for East Asian text)."""
    defaults = word.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    rpr = rpr_default.find(qn("w:rPr")) if rpr_default is not None else None
    if rpr is None:
        return
    _rfonts(rpr)
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)
    language.set(qn("w:val"), _language_tag(lang))
    language.set(qn("w:eastAsia"), "zh-CN")


def _language_tag(lang: str) -> str:
    return "vi-VN" if lang == "vi" else "en-GB"


def _xml_safe(value: Any) -> Any:
    """`value` with the control characters XML cannot hold removed from every string in it
    (scraped titles may carry them, and Word files cannot)."""
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, Mapping):
        return {k: _xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(v) for v in value]
    return value
