"""The HTML report: content and numbers from the document, report language, escaping of
untrusted text, nothing loaded from outside, and the i18n helpers it stands on."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from hoasen.reports import charts, i18n
from hoasen.reports.html import render_html

FIXTURE = Path(__file__).parent / "fixtures" / "reports" / "weekly_vi.json"


def load_doc() -> dict[str, Any]:
    """The fixture report document (a fresh copy each time)."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def empty_doc() -> dict[str, Any]:
    """The fixture emptied: no articles, stories or anything else in the period."""
    doc = load_doc()
    for key in ("top_stories", "entities", "figures", "spikes", "articles"):
        doc[key] = []
    for key in ("by_language", "by_country", "by_origin", "by_topic", "by_partner", "by_source"):
        doc[key] = {}
    doc["totals"] = {k: 0 for k in doc["totals"]}
    doc["change"] = {
        k: {"current": 0, "previous": 0, "delta": 0, "percent": None} for k in doc["change"]
    }
    doc["volume"] = [{"date": v["date"], "articles": 0} for v in doc["volume"]]
    return doc


class _Refs(HTMLParser):
    """Collects every tag and every attribute that could load or point at something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
                self.refs.append((tag, name, value or ""))


def test_sections_in_order_with_vietnamese_labels() -> None:
    page = render_html(load_doc())
    body = page[page.index("<body") :]
    order = [
        "Trung tâm Truyền thông tỉnh Quảng Ninh",
        "12/BC-TTTT-T",
        "Báo cáo tuần: 02/11/2026 – 08/11/2026",
        "Số liệu chính",
        "Số lượng tin, bài theo thời gian",
        "Theo ngôn ngữ",
        "Sự kiện nổi bật",
        "Đối tượng được nhắc đến nhiều nhất",
        "Số liệu đáng chú ý",
        "Sự kiện tăng đột biến",
        "Phụ lục: danh sách bài viết",
    ]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)
    assert '<html lang="vi">' in page


def test_numbers_agree_with_the_document() -> None:
    doc = load_doc()
    page = render_html(doc)
    assert "+3 (+150%)" in page  # articles against the previous period
    for code, count in doc["by_language"].items():
        name = i18n.language_name(code, "vi")
        assert re.search(rf"<td>{name}</td><td class=\"num\">{count}</td>", page), name
    for code, count in doc["by_country"].items():
        assert f'<td>{i18n.country_name(code, "vi")}</td><td class="num">{count}</td>' in page
    for key, name in doc["topic_names"].items():
        count = doc["by_topic"][key]
        assert f'<td>{name.replace("&", "&amp;")}</td><td class="num">{count}</td>' in page
    appendix = page[page.index('class="appendix"') :]
    assert appendix.count("<li>") == len(doc["articles"])


def test_stories_entities_figures_and_original_titles() -> None:
    doc = load_doc()
    doc["articles"][2]["title_translated"] = "Quảng Ninh tiếp đoàn Quảng Tây (bản dịch)"
    page = render_html(doc)
    assert "越南广宁省会见广西代表团" in page
    assert "Quảng Ninh tiếp đoàn Quảng Tây (bản dịch)" in page
    assert doc["top_stories"][0]["why"] in page
    assert "广西广播电视台" in page and "Guangxi Radio and Television" in page
    assert "42亿美元" in page and "4,2 tỷ USD" in page


def test_nothing_is_loaded_from_outside() -> None:
    doc = load_doc()
    parser = _Refs()
    parser.feed(render_html(doc))
    urls = {a["url"] for a in doc["articles"]}
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parser.tags)
    assert parser.refs and all(tag == "a" and name == "href" for tag, name, _ in parser.refs)
    assert {value for _, _, value in parser.refs} <= urls
    assert "url(" not in render_html(doc) and "@import" not in render_html(doc)


def test_untrusted_text_is_escaped() -> None:
    doc = load_doc()
    doc["articles"][0]["title"] = '<script>alert("x")</script> & <b>bold</b>'
    doc["articles"][1]["url"] = "javascript:alert(1)"
    doc["top_stories"][0]["summary"] = "<img src=x onerror=alert(1)>"
    doc["by_source"] = {"<i>Evil</i>": 1}
    page = render_html(doc)
    assert "<script>" not in page and "<img" not in page and "<i>Evil" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert 'href="javascript:' not in page


def test_empty_report_says_so() -> None:
    page = render_html(empty_doc())
    assert "Không có tin, bài nào trong kỳ này." in page
    assert "Phụ lục" not in page


def test_one_article_and_missing_title_translation() -> None:
    doc = load_doc()
    doc["articles"] = doc["articles"][:1]
    doc["top_stories"] = doc["top_stories"][:1]
    page = render_html(doc)
    assert doc["articles"][0]["url"] in page


def test_english_report() -> None:
    doc = load_doc()
    doc["language"] = "en"
    doc["title"] = "Guangxi & Quang Ninh"
    doc["by_source"] = {"Báo Quảng Ninh": 1234}
    page = render_html(doc)
    assert '<h1 class="report-title">Guangxi &amp; Quang Ninh</h1>' in page
    assert "Top stories" in page and "Sự kiện nổi bật" not in page
    assert "1,234" in page and "2 Nov 2026 – 8 Nov 2026" in page
    assert "Chinese" in page and "China" in page


def test_charts_are_accessible_svg() -> None:
    page = render_html(load_doc())
    assert page.count("<svg") >= 5
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        chart_id = re.search(r'id="([^"]+)"', svg)
        assert chart_id and f'aria-labelledby="{chart_id[1]}-title {chart_id[1]}-desc"' in svg
        assert "<title" in svg and "<desc" in svg


def test_bar_chart_escapes_labels_and_scales_bars() -> None:
    svg = charts.bar_chart([("<a>", 10), ("b", 5)], "t & t", "d")
    assert "&lt;a&gt;" in svg and "t &amp; t" in svg
    widths = [float(w) for w in re.findall(r'<rect[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_volume_chart_axis_reaches_the_peak() -> None:
    svg = charts.volume_chart([("a", 0), ("b", 13)], "t", "d")
    assert ">16</text>" in svg  # 4 steps of 4 cover 13
    assert svg.count("<rect") == 2


@pytest.mark.parametrize(
    ("lang", "number", "fraction", "day", "percent"),
    [
        ("vi", "1.234", "1.234,5", "02/11/2026", "-33,3%"),
        ("en", "1,234", "1,234.5", "2 Nov 2026", "-33.3%"),
    ],
)
def test_locale_formats(lang: str, number: str, fraction: str, day: str, percent: str) -> None:
    assert i18n.fmt_number(1234, lang) == number
    assert i18n.fmt_number(1234.5, lang) == fraction
    assert i18n.fmt_date("2026-11-02", lang) == day
    assert i18n.fmt_date("2026-11-01T18:00:00+00:00", lang, "Asia/Ho_Chi_Minh") == day
    assert i18n.fmt_percent(-33.333, lang) == percent


def test_catalogs_translate_every_message() -> None:
    vi = i18n.translations("vi")
    en = i18n.translations("en")
    folder = i18n.LOCALE_DIR / "en" / "LC_MESSAGES"
    msgids = re.findall(r'^msgid "(.+)"$', (folder / "report.po").read_text("utf-8"), re.M)
    assert len(msgids) > 50
    untranslated = [m for m in msgids if vi.gettext(m) == m and "{" not in m]
    assert untranslated == []
    assert en.gettext("Top stories") == "Top stories"
    assert i18n.kind_name("monthly", "vi") == "Báo cáo tháng"
    assert i18n.language_name("xx-unknown", "vi") == "xx-unknown"
    assert i18n.country_name("", "vi") == ""


def test_catalogs_agree_where_they_share_a_message() -> None:
    """The web desk and the reports share catalogs (merged per language): a message both
    use must read the same in both, or one of them silently shows the other's wording."""
    from babel.messages.pofile import read_po

    for lang in i18n.LANGUAGES:
        seen: dict[str, tuple[str, str]] = {}
        conflicts = []
        for path in sorted((i18n.LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as fh:
                for message in read_po(fh, locale=lang):
                    if not message.id or not isinstance(message.id, str):
                        continue
                    before = seen.setdefault(message.id, (path.name, str(message.string)))
                    if before[1] != message.string:
                        conflicts.append((lang, message.id, before, path.name, message.string))
        assert conflicts == []


def test_catalogs_merge_every_po_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "vi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "a.po").write_text('msgid "One"\nmsgstr "Một"\n', encoding="utf-8")
    (folder / "b.po").write_text(
        'msgid "Two"\nmsgstr "Hai"\n\n#, fuzzy\nmsgid "Three"\nmsgstr "Ba?"\n', encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    vi = i18n.translations("vi")
    assert (vi.gettext("One"), vi.gettext("Two")) == ("Một", "Hai")
    assert vi.gettext("Three") == "Three"  # fuzzy entries are not trusted
    assert i18n.translations("fr").gettext("One") == "One"
