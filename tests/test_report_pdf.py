"""The PDF report: Vietnamese diacritics, Chinese and numbers survive as extractable text, the
bundled CJK faces are embedded per language, and large or empty reports render."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

from hoasen.reports.pdf import render_pdf
from hoasen.reports.view import build_view
from test_report_html import empty_doc, load_doc


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    """The parsed PDF and the text of all its pages."""
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> set[str]:
    """Base names of the fonts the PDF embeds (subset prefixes removed)."""
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def big_document(n: int) -> dict[str, Any]:
    """The fixture with its articles repeated to `n` appendix rows (a benchmark-sized report)."""
    doc = load_doc()
    base = doc["articles"]
    articles = []
    for i in range(n):
        art = dict(base[i % len(base)])
        art["id"] = i + 1
        art["url"] = f"{art['url']}-{i + 1}"
        articles.append(art)
    doc["articles"] = articles
    doc["totals"]["articles"] = n
    return doc


def test_text_is_extractable_with_diacritics_and_chinese() -> None:
    doc = load_doc()
    pdf = render_pdf(doc)
    reader, text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-") and len(reader.pages) >= 2
    flowing = " ".join(text.split())  # table cells wrap lines
    for expected in (
        "Quảng Ninh",
        "Hạ Long",
        "广西",
        "越南广宁省会见广西代表团",
        "42亿美元",
        "4,2 tỷ USD",
        "30.000 lượt khách",
        "Văn hóa & giao lưu nhân dân",
        "Báo cáo tuần: 02/11/2026 – 08/11/2026",
        "+3 (+150%)",
    ):
        assert expected in flowing, expected
    assert f"1 / {len(reader.pages)}" in text  # page numbers in the footer
    assert "12/BC-TTTT-T" in reader.pages[-1].extract_text()  # the number in every footer


def test_bundled_faces_are_embedded_per_language() -> None:
    doc = load_doc()
    doc["articles"][3]["title"] = "北海道フェスティバルがハロンで開幕"
    doc["articles"][3]["language"] = "ja"
    reader, text = pdf_text(render_pdf(doc))
    fonts = embedded_fonts(reader)
    assert "Noto-Sans-CJK-SC" in fonts and "Noto-Sans-CJK-JP" in fonts
    assert "北海道フェスティバルがハロンで開幕" in text


def test_empty_report() -> None:
    reader, text = pdf_text(render_pdf(empty_doc()))
    assert "Không có tin, bài nào trong kỳ này." in text
    assert len(reader.pages) == 1


def test_english_and_large_appendix() -> None:
    doc = big_document(300)
    doc["language"] = "en"
    reader, text = pdf_text(render_pdf(doc))
    assert "Appendix: articles" in text
    assert "-300" in text.replace("\n", "")  # the last article's link
    assert len(reader.pages) > 5


def test_monthly_appendix_lists_every_article_with_its_link() -> None:
    """The print appendix (plain lines, links added after layout) keeps every article with
    every field, in order, and each web link as a link annotation."""
    doc = big_document(120)
    doc["kind"] = "monthly"
    doc["articles"][5]["title_translated"] = "Bản dịch của tiêu đề"
    doc["articles"][7]["url"] = "file:///etc/passwd"  # shown, never a link
    view = build_view(doc)
    reader, text = pdf_text(render_pdf(doc))
    appendix = text[text.index(view.gettext("Appendix: articles")) :]
    appendix = re.sub(r"12/BC-TTTT-T \d+ / \d+", " ", appendix)  # footers between pages
    flowing = " ".join(appendix.split())
    compact = "".join(appendix.split())  # URLs may wrap anywhere
    at = 0
    for a in view.articles:
        entry = f"{a.id}. {a.title}" + (f" ({a.translated})" if a.translated else "")
        found = flowing.find(f"{entry} · {a.source} · {a.date} · {a.language}", at)
        assert found >= at, entry
        at = found
        assert a.url.replace(" ", "") in compact
    links = {
        str(annot.get_object()["/A"]["/URI"])
        for page in reader.pages
        for annot in page.get("/Annots") or []
    }
    assert links == {a.href for a in view.articles if a.href}
    assert "file:///etc/passwd" not in links and "(Bản dịch của tiêu đề)" in flowing
