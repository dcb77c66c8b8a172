"""The Markdown report: same sections and numbers as the document, escaped untrusted text."""

from __future__ import annotations

from hoasen.reports import i18n
from hoasen.reports.markdown import md_text, render_markdown
from test_report_html import empty_doc, load_doc


def test_sections_and_numbers() -> None:
    doc = load_doc()
    text = render_markdown(doc)
    assert text.startswith("# Báo cáo tuần: 02/11/2026 – 08/11/2026\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Số liệu chính",
        "## Số lượng tin, bài theo thời gian",
        "## Phân loại",
        "## Sự kiện nổi bật",
        "## Đối tượng được nhắc đến nhiều nhất",
        "## Số liệu đáng chú ý",
        "## Sự kiện tăng đột biến",
        "## Phụ lục: danh sách bài viết",
    ]
    assert "| Bài viết | 5 | 2 | +3 (+150%) |" in text
    for code, count in doc["by_language"].items():
        assert f"| {i18n.language_name(code, 'vi')} | {count} |" in text
    for article in doc["articles"]:
        assert f"<{article['url']}>" in text
    assert "越南广宁省会见广西代表团" in text and "广西 (zh)" in text


def test_untrusted_text_cannot_make_markup() -> None:
    doc = load_doc()
    doc["articles"][0]["title"] = "A | B [x](javascript:y) *z*\n# H"
    doc["articles"][1]["url"] = "javascript:alert(1)"
    text = render_markdown(doc)
    assert r"A \| B \[x\](javascript:y) \*z\* \# H" in text
    assert "<javascript:" not in text
    assert md_text("<b>_x_</b>") == r"\<b\>\_x\_\</b\>"


def test_empty_report() -> None:
    text = render_markdown(empty_doc())
    assert "**Không có tin, bài nào trong kỳ này.**" in text
    assert "Phụ lục" not in text


def test_english_report() -> None:
    doc = load_doc()
    doc["language"] = "en"
    text = render_markdown(doc)
    assert text.startswith("# Weekly report: 2 Nov 2026 – 8 Nov 2026\n")
    assert "## Top stories" in text and "| Chinese | 1 |" in text
