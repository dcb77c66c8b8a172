"""The PDF report: Vietnamese diacritics, Chinese and numbers survive as extractable text, the
bundled CJK faces are embedded per language, and large or empty reports render."""

from __future__ import annotations

import io
import logging
import re
import threading
from typing import Any

import pytest
from pypdf import PdfReader

from hoasen.reports import pdf_split
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


def split_big_document(monkeypatch: pytest.MonkeyPatch, n: int = 150) -> dict[str, Any]:
    """A monthly document with `n` articles, long enough to have its appendix rendered by a
    second process (the threshold lowered to keep the test short)."""
    monkeypatch.setattr(pdf_split, "SPLIT_MIN_ARTICLES", 100)
    monkeypatch.setattr(pdf_split, "_cpus", lambda: 2)
    doc = big_document(n)
    doc["kind"] = "monthly"
    return doc


def single_process(doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The PDF of `doc` rendered in this process alone."""
    with monkeypatch.context() as m:
        m.setattr(pdf_split.AppendixWorker, "start_for", classmethod(lambda cls, doc: None))
        return render_pdf(doc)


def pages_and_links(pdf: bytes) -> tuple[list[str], list[list[str]], list[str]]:
    """Each page's text, each page's link targets and the top-level bookmarks."""
    reader = PdfReader(io.BytesIO(pdf))
    texts = [page.extract_text() for page in reader.pages]
    links = [
        [str(a.get_object()["/A"]["/URI"]) for a in page.get("/Annots") or []]
        for page in reader.pages
    ]
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    return texts, links, outline


def test_appendix_in_a_second_process_gives_the_same_pages(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A long appendix is rendered by a second process: the joined PDF has the pages, footers
    (page numbers running on across the parts), links and bookmarks of a single rendering."""
    doc = split_big_document(monkeypatch)
    started = []
    start_for = pdf_split.AppendixWorker.start_for
    monkeypatch.setattr(
        pdf_split.AppendixWorker,
        "start_for",
        classmethod(lambda cls, d: started.append(start_for(d)) or started[-1]),
    )
    with caplog.at_level(logging.WARNING):
        split = render_pdf(doc)
    assert started and started[0] is not None and started[0].proc.returncode == 0
    assert not [r for r in caplog.records if "one process" in r.getMessage()]
    single = single_process(doc, monkeypatch)
    texts, links, outline = pages_and_links(split)
    assert (texts, links, outline) == pages_and_links(single)
    total = len(texts)
    for number, text in enumerate(texts, start=1):
        assert f"{number} / {total}" in text
        assert "12/BC-TTTT-T" in text
    appendix_first = next(i for i, t in enumerate(texts) if "Phụ lục" in t)
    assert 0 < appendix_first < total - 1 and "1. " in texts[appendix_first]
    hrefs = {a.href for a in build_view(doc).articles if a.href}
    assert {href for page in links for href in page} == hrefs and len(hrefs) == 150
    assert outline[-1].startswith("Phụ lục")


def test_second_process_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Report jobs run in worker threads: the second process works from one too."""
    doc = split_big_document(monkeypatch, 110)
    out: list[bytes] = []
    worker = threading.Thread(target=lambda: out.append(render_pdf(doc)), daemon=True)
    worker.start()
    worker.join(300)
    assert out
    texts, links, _outline = pages_and_links(out[0])
    assert f"1 / {len(texts)}" in texts[0] and f"{len(texts)} / {len(texts)}" in texts[-1]
    assert len({href for page in links for href in page}) == 110


@pytest.mark.parametrize(
    "child",
    [
        ("-c", "import sys; sys.exit(3)"),  # dies at once
        ("-c", "import sys; sys.stdin.buffer.read(); print('no frames')"),  # answers garbage
        ("-c", "import time; time.sleep(60)"),  # never answers
    ],
)
def test_falls_back_to_one_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, child: tuple[str, ...]
) -> None:
    """A second process that fails, answers nonsense or stalls is stopped, and the PDF is
    rendered in this process, to the same pages."""
    doc = split_big_document(monkeypatch, 110)
    monkeypatch.setattr(pdf_split, "CHILD_ARGS", child)
    monkeypatch.setattr(pdf_split, "TIMEOUT_S", 5.0)
    workers: list[pdf_split.AppendixWorker | None] = []
    start_for = pdf_split.AppendixWorker.start_for
    monkeypatch.setattr(
        pdf_split.AppendixWorker,
        "start_for",
        classmethod(lambda cls, d: workers.append(start_for(d)) or workers[-1]),
    )
    with caplog.at_level(logging.WARNING):
        pdf = render_pdf(doc)
    assert [r for r in caplog.records if "one process" in r.getMessage()]
    worker = workers[0]
    assert worker is not None and worker.proc.returncode is not None  # stopped, not left running
    assert pages_and_links(pdf) == pages_and_links(single_process(doc, monkeypatch))


def test_no_second_process_to_be_had(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no process can be started, the PDF is rendered here."""
    doc = split_big_document(monkeypatch, 110)
    monkeypatch.setattr(pdf_split.sys, "executable", "/nonexistent/python")
    assert pdf_split.AppendixWorker.start_for(doc) is None
    texts, links, _outline = pages_and_links(render_pdf(doc))
    assert f"1 / {len(texts)}" in texts[0] and len({h for p in links for h in p}) == 110


def test_split_page_and_css_string() -> None:
    page = (
        '<html><head></head><body><p>a</p><section id="appendix"><h2>x</h2></section></body></html>'
    )
    body, appendix = pdf_split.split_page(page) or ("", "")
    assert body == "<html><head></head><body><p>a</p></body></html>"
    assert (
        appendix
        == '<html><head></head><body><section id="appendix"><h2>x</h2></section></body></html>'
    )
    assert pdf_split.split_page("<html><body></body></html>") is None
    assert pdf_split.css_string('12/BC "x"\\') == '"12/BC \\22 x\\22 \\5c "'
