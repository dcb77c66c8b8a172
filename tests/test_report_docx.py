"""The Word report: real headings and tables, inline PNG charts, fonts for Vietnamese and CJK,
numbers and titles as in the document, empty and English reports."""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docx import Document as open_docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from PIL import Image

from hoasen.reports import i18n, render
from hoasen.reports.docx import EAST_ASIAN_FONT, LATIN_FONT, render_docx

FIXTURE = Path(__file__).parent / "fixtures" / "reports" / "weekly_vi.json"
SECTIONS = (
    "Headline numbers",
    "Volume over time",
    "Breakdowns",
    "Top stories",
    "Most-mentioned entities",
    "Key figures",
    "Spiking stories",
    "Appendix: articles",
)


@pytest.fixture
def doc() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _open(data: bytes) -> Document:
    return open_docx(io.BytesIO(data))


def _headings(word: Document, style: str) -> list[str]:
    return [p.text for p in word.paragraphs if p.style is not None and p.style.name == style]


def _texts(word: Document) -> str:
    """Every piece of text in the body, tables included."""
    return "\n".join(t.text or "" for t in word.element.body.iter(qn("w:t")))


def _rows(table: Table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _table_with_header(word: Document, first: str) -> Table:
    return next(t for t in word.tables if t.rows and t.rows[0].cells[0].text == first)


def test_headings_follow_the_report_order(doc: dict[str, Any]) -> None:
    word = _open(render_docx(doc))
    _ = i18n.translations("vi").gettext
    assert _headings(word, "Title") == [
        _("{kind}: {period}").format(
            kind=i18n.kind_name("weekly", "vi"), period="02/11/2026 – 08/11/2026"
        )
    ]
    assert _headings(word, "Heading 1") == [_(s) for s in SECTIONS]
    stories = [f"{i}. {s['title']}" for i, s in enumerate(doc["top_stories"], 1)]
    assert set(stories) <= set(_headings(word, "Heading 2"))
    assert "Quảng Ninh đón đoàn đại biểu" in stories[0]


def test_vietnamese_and_english_reports_differ_in_language(doc: dict[str, Any]) -> None:
    vi = _headings(_open(render_docx(doc)), "Heading 1")
    doc["language"] = "en"
    en = _headings(_open(render_docx(doc)), "Heading 1")
    assert en == list(SECTIONS)
    assert vi != en  # the Vietnamese catalog is applied


def test_tables_hold_the_documents_numbers(doc: dict[str, Any]) -> None:
    word = _open(render_docx(doc))
    _ = i18n.translations("vi").gettext
    headline = _rows(_table_with_header(word, _("Indicator")))
    assert headline[1] == [_("Articles"), "5", "2", "+3 (+150%)"]
    assert len(headline) == 1 + 5
    languages = _rows(_table_with_header(word, _("Language")))
    shown = {row[0]: row[1] for row in languages[1:]}
    for code, count in doc["by_language"].items():
        assert shown[i18n.language_name(code, "vi")] == i18n.fmt_number(count, "vi")
    countries = _rows(_table_with_header(word, _("Country")))
    assert [r[1] for r in countries[1:]] == ["3", "1", "1"]
    assert countries[1][2] == "60%"
    topics = {r[0]: r[1] for r in _rows(_table_with_header(word, _("Topic")))[1:]}
    assert topics["Ngoại giao & đoàn công tác"] == "3"
    text = _texts(word)
    assert "广宁省 (zh)" in text  # an entity's Chinese name
    assert "42亿美元" in text and "4,2 tỷ USD" in text  # figures in their own languages
    assert doc["number"] in text and doc["office"]["name"].upper() in text


def test_every_table_has_a_repeating_header_row(doc: dict[str, Any]) -> None:
    word = _open(render_docx(doc))
    tables = word.tables[1:]  # the first is the report's particulars, without a header
    assert len(tables) >= 10
    for table in tables:
        first = table._tbl.tr_lst[0]
        assert first.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
        assert all(
            r.find(qn("w:trPr")).find(qn("w:tblHeader")) is None for r in table._tbl.tr_lst[1:]
        )


def test_appendix_lists_every_article_with_its_link(doc: dict[str, Any]) -> None:
    data = render_docx(doc)
    word = _open(data)
    _ = i18n.translations("vi").gettext
    appendix = _rows(_table_with_header(word, _("No.")))
    assert len(appendix) == 1 + len(doc["articles"])
    for row, article in zip(appendix[1:], doc["articles"], strict=True):
        assert row[0] == str(article["id"])
        assert row[1] == article["title"]
        assert row[2] == article["source"]
        assert row[5] == article["url"]
    assert appendix[3][1] == "越南广宁省会见广西代表团"
    assert appendix[1][3] == "02/11/2026"
    links = {
        rel.target_ref for rel in word.part.rels.values() if rel.reltype.endswith("/hyperlink")
    }
    assert links == {a["url"] for a in doc["articles"]}


def test_a_link_that_is_not_a_web_address_stays_text(doc: dict[str, Any]) -> None:
    doc["articles"][0]["url"] = "javascript:alert(1)"
    word = _open(render_docx(doc))
    links = [r.target_ref for r in word.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert "javascript:alert(1)" not in links and len(links) == len(doc["articles"]) - 1
    assert "javascript:alert(1)" in _texts(word)


def test_charts_are_inline_png_images(doc: dict[str, Any]) -> None:
    word = _open(render_docx(doc))
    # volume, then every breakdown with rows except domestic/foreign
    assert len(word.inline_shapes) == 1 + 5
    images = [p for p in word.part.package.parts if p.content_type == "image/png"]
    assert len(images) == 6
    for part in images:
        image = Image.open(io.BytesIO(part.blob))
        assert image.format == "PNG" and image.width >= 1000
        assert len(image.convert("L").getcolors(65536) or []) > 2  # bars and text, not blank


def test_fonts_cover_vietnamese_and_east_asian_text(doc: dict[str, Any]) -> None:
    word = _open(render_docx(doc))
    for name in ("Normal", "Heading 1", "Heading 2", "Title"):
        fonts = word.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:ascii")) == LATIN_FONT
        assert fonts.get(qn("w:hAnsi")) == LATIN_FONT
        assert fonts.get(qn("w:eastAsia")) == EAST_ASIAN_FONT
        assert fonts.get(qn("w:asciiTheme")) is None
    defaults = word.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    lang = defaults.find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "vi-VN" and lang.get(qn("w:eastAsia")) == "zh-CN"


def _empty(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["totals"] = {k: 0 for k in doc["totals"]}
    for key, change in doc["change"].items():
        change.update(current=0, delta=-change["previous"], percent=-100.0)
        doc["totals"][key] = 0
    for key in ("by_language", "by_country", "by_origin", "by_topic", "by_partner", "by_source"):
        doc[key] = {}
    for key in ("top_stories", "entities", "figures", "spikes", "articles"):
        doc[key] = []
    doc["volume"] = [{**v, "articles": 0} for v in doc["volume"]]
    return doc


def test_an_empty_report_says_so(doc: dict[str, Any]) -> None:
    word = _open(render_docx(_empty(doc)))
    _ = i18n.translations("vi").gettext
    assert _("No coverage in this period.") in _texts(word)
    assert _headings(word, "Heading 1") == [_("Headline numbers")]
    assert len(word.inline_shapes) == 0
    headline = _rows(_table_with_header(word, _("Indicator")))
    assert headline[1] == [_("Articles"), "0", "2", "-2 (-100%)"]


def test_a_one_article_report(doc: dict[str, Any]) -> None:
    doc["articles"] = [a for a in doc["articles"] if a["id"] == 3]
    doc["totals"]["articles"] = 1
    doc["by_language"] = {"zh": 1}
    word = _open(render_docx(doc))
    _ = i18n.translations("vi").gettext
    assert len(_rows(_table_with_header(word, _("No.")))) == 2
    assert "越南广宁省会见广西代表团" in _texts(word)


def test_english_report_formats_numbers_and_dates_in_english(doc: dict[str, Any]) -> None:
    doc["language"] = "en"
    doc["change"]["articles"].update(previous=1234, delta=-1229, percent=-99.6)
    word = _open(render_docx(doc))
    headline = _rows(_table_with_header(word, "Indicator"))
    assert headline[1] == ["Articles", "5", "1,234", "-1,229 (-99.6%)"]
    assert _headings(word, "Title") == ["Weekly report: 2 Nov 2026 – 8 Nov 2026"]
    assert _rows(_table_with_header(word, "No."))[1][3] == "2 Nov 2026"
    vi = dict(doc, language="vi")
    vi_headline = _rows(
        _table_with_header(_open(render_docx(vi)), i18n.translations("vi").gettext("Indicator"))
    )
    assert vi_headline[1][2:] == ["1.234", "-1.229 (-99,6%)"]


def test_a_given_title_and_translated_titles_are_shown(doc: dict[str, Any]) -> None:
    doc["title"] = "Báo cáo chuyên đề: Quảng Tây – 广西"
    doc["articles"][2]["title_translated"] = "Tỉnh Quảng Ninh (Việt Nam) tiếp đoàn Quảng Tây"
    word = _open(render_docx(doc))
    assert _headings(word, "Title") == ["Báo cáo chuyên đề: Quảng Tây – 广西"]
    assert word.core_properties.title == "Báo cáo chuyên đề: Quảng Tây – 广西"
    _ = i18n.translations("vi").gettext
    row = _rows(_table_with_header(word, _("No.")))[3]
    assert row[1] == "越南广宁省会见广西代表团\nTỉnh Quảng Ninh (Việt Nam) tiếp đoàn Quảng Tây"


def test_control_characters_in_titles_do_not_break_the_file(doc: dict[str, Any]) -> None:
    doc["articles"][0]["title"] = "Quảng\x0bNinh\x00 đón đoàn"
    word = _open(render(doc, "docx"))
    assert "QuảngNinh đón đoàn" in _texts(word)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is missing")
def test_libreoffice_opens_the_report(doc: dict[str, Any], tmp_path: Path) -> None:
    """A real word processor reads the .docx: LibreOffice converts it to PDF, and the
    Vietnamese and Chinese text, the numbers and the appendix come back out."""
    source = tmp_path / "weekly.docx"
    source.write_bytes(render_docx(doc))
    profile = (tmp_path / "profile").as_uri()  # its own profile: no clash with a running one
    assert SOFFICE is not None
    command = [SOFFICE, f"-env:UserInstallation={profile}", "--headless"]
    command += ["--convert-to", "pdf", "--outdir", str(tmp_path), str(source)]
    done = subprocess.run(
        command,
        capture_output=True,
        timeout=240,
        check=False,
    )
    converted = tmp_path / "weekly.pdf"
    assert converted.is_file(), done.stderr.decode(errors="replace")
    text = subprocess.run(
        ["pdftotext", "-layout", str(converted), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert i18n.translations("vi").gettext("Appendix: articles") in text
    assert doc["number"] in text
    for article in doc["articles"][:3] + doc["articles"][-3:]:
        assert " ".join(article["title"].split()[:3]) in " ".join(text.split())
