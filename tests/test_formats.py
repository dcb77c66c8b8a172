"""Format detection, JSON/JSONL splitting and parsing of HTML, text and JSON items."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.utils import load_html

from hoasen.errors import InputRejected
from hoasen.ingest.extract import link_texts, second_opinion, trim_to_agreement
from hoasen.ingest.formats import detect_format, parse, split_items
from hoasen.models import ItemError, RawInput

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
PARAGRAPHS = [
    "Sáng nay, Trung tâm Truyền thông tỉnh Quảng Ninh và Đài Phát thanh Truyền hình Quảng Tây "
    "đã ký kết chương trình hợp tác giai đoạn mới, mở rộng trao đổi tin bài và chương trình.",
    "Theo đó, hai bên sẽ trao đổi tin bài định kỳ hai tuần một lần, phối hợp sản xuất bốn "
    "chương trình phát thanh và xuất bản đặc san Hoa Sen song ngữ Việt - Trung.",
    "Lãnh đạo hai đơn vị cho biết sẽ tổ chức hội thảo trực tuyến kỷ niệm mười năm phát hành "
    "đặc san vào tháng 11 và cuộc thi hát tiếng Trung vào tháng 12 năm nay.",
]


def raw(name: str, fmt: str, data: bytes | None = None, **kw: object) -> RawInput:
    if data is None:
        data = (FIXTURES / name).read_bytes()
    return RawInput(origin=name, data=data, fmt=fmt, **kw)  # type: ignore[arg-type]


# --- detect_format ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.html", "html"),
        ("A.HTM", "html"),
        ("a.html.gz", "html"),
        ("notes.txt", "txt"),
        ("batch.jsonl", "json"),
        ("batch.json.gz", "json"),
        ("feed.xml", "feed"),
        ("news.rss", "feed"),
        ("news.atom", "feed"),
    ],
)
def test_detect_format_by_name(name: str, fmt: str) -> None:
    assert detect_format(name, None, b"anything") == fmt


@pytest.mark.parametrize("name", ["report.pdf", "photo.JPG", "deck.pptx", "archive.zip.gz"])
def test_detect_format_rejects_unsupported_files(name: str) -> None:
    with pytest.raises(InputRejected, match="unsupported file type"):
        detect_format(name, None, b"x")


@pytest.mark.parametrize(
    ("content_type", "fmt"),
    [
        ("text/html; charset=utf-8", "html"),
        ("application/xhtml+xml", "html"),
        ("text/plain", "txt"),
        ("application/json", "json"),
        ("application/x-ndjson", "json"),
        ("application/rss+xml", "feed"),
        ("application/atom+xml; charset=utf-8", "feed"),
    ],
)
def test_detect_format_by_content_type(content_type: str, fmt: str) -> None:
    assert detect_format("/news/story-123", content_type, b"x") == fmt


def test_detect_format_rejects_pdf_content_type() -> None:
    with pytest.raises(InputRejected, match="application/pdf"):
        detect_format("/download", "application/pdf", b"%PDF-1.4")


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b'  {"title": "x", "text": "y"}', "json"),
        (b'[{"title": "x"}]', "json"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', "feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "feed"),
        (b"<!DOCTYPE html><html><body><p>x</p></body></html>", "html"),
        (b"\xef\xbb\xbf<html><head><title>x</title></head></html>", "html"),
        (b"Headline\n\nPlain text body.", "txt"),
    ],
)
def test_detect_format_by_sniffing(data: bytes, fmt: str) -> None:
    assert detect_format("inbox/item", None, data) == fmt


def test_detect_format_sniffing_refuses_binary() -> None:
    with pytest.raises(InputRejected, match="unsupported file type"):
        detect_format("inbox/item", "application/octet-stream", b"\x89PNG\r\n\x1a\n\x00\x00")


# --- split_items ------------------------------------------------------------------------------


def test_jsonl_with_a_broken_line_goes_on() -> None:
    items = list(split_items(raw("batch.jsonl", "json")))
    assert [i.origin if isinstance(i, RawInput) else i.input for i in items] == [
        "batch.jsonl#1",
        "batch.jsonl#2",
        "batch.jsonl#3",
    ]
    error = items[1]
    assert isinstance(error, ItemError) and "line 2 is not valid JSON" in error.reason
    first = items[0]
    assert isinstance(first, RawInput) and first.fmt == "json"
    assert json.loads(first.data)["title"] == "First story"


def test_json_array_items_are_numbered_and_non_objects_reported() -> None:
    data = json.dumps([{"title": "A", "text": "a"}, 42, {"title": "B", "text": "b"}]).encode()
    items = list(split_items(raw("list.json", "json", data)))
    assert isinstance(items[0], RawInput) and items[0].origin == "list.json#1"
    assert isinstance(items[1], ItemError) and items[1].input == "list.json#2"
    assert isinstance(items[2], RawInput) and json.loads(items[2].data)["title"] == "B"


def test_single_json_object_keeps_its_origin() -> None:
    data = json.dumps({"title": "A", "text": "a"}).encode()
    (item,) = split_items(raw("one.json", "json", data, source_name="Desk"))
    assert isinstance(item, RawInput) and item.origin == "one.json" and item.source_name == "Desk"


def test_wrapped_article_list_is_split() -> None:
    data = json.dumps({"articles": [{"title": "A", "text": "a"}, {"title": "B", "text": "b"}]})
    items = list(split_items(raw("export.json", "json", data.encode())))
    assert [i.origin for i in items if isinstance(i, RawInput)] == [
        "export.json#1",
        "export.json#2",
    ]


def test_broken_json_document_is_rejected_whole() -> None:
    data = b'{\n  "title": "A",\n  "text": "unterminated\n}\n'
    with pytest.raises(InputRejected, match="not valid JSON"):
        list(split_items(raw("bad.json", "json", data)))


def test_other_formats_pass_through_split_items() -> None:
    item = raw("a.html", "html", b"<html></html>")
    assert list(split_items(item)) == [item]


# --- parse: rejections ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "txt", "json"])
@pytest.mark.parametrize("data", [b"", b"   \n\t\n"])
def test_empty_file_is_rejected(fmt: str, data: bytes) -> None:
    with pytest.raises(InputRejected, match="empty file"):
        parse(raw("empty", fmt, data))


@pytest.mark.parametrize("fmt", ["html", "txt"])
def test_binary_file_is_rejected(fmt: str) -> None:
    with pytest.raises(InputRejected, match="binary file, not text"):
        parse(raw("x", fmt, b"%PDF-1.7\n\x00\x01\x02binary"))


def test_html_without_main_text_is_rejected() -> None:
    data = b"<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>"
    with pytest.raises(InputRejected, match="no main text"):
        parse(raw("nav.html", "html", data))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[1, 2]", "JSON list"),
        (b'"just a string"', "not an object"),
        (b'{"title": "No body"}', "no 'text' or 'html'"),
        (b'{"title": "x", "text": "  "}', "no 'text' or 'html'"),
        (b"{broken", "not valid JSON"),
    ],
)
def test_bad_json_items_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(InputRejected, match=reason):
        parse(raw("item.json", "json", data))


def test_feed_documents_are_not_articles() -> None:
    with pytest.raises(InputRejected, match="news feed"):
        parse(raw("feed.xml", "feed", b"<rss></rss>"))


# --- parse: HTML ------------------------------------------------------------------------------


def test_html_article_main_text_and_metadata() -> None:
    article = parse(raw("article.html", "html", url="https://news.example.org/story?utm=x"))
    assert article.title == "Provincial media centre opens Chinese-language desk"
    assert "staffed by six editors" in article.text
    assert "tenth anniversary of the Hoa Sen special edition" in article.text
    for junk in ("Politics", "Related news", "Van Don airport", "Great initiative", "Copyright"):
        assert junk not in article.text
    assert article.canonical_url == "https://news.example.org/media-centre-chinese-desk-123.html"
    assert article.url == "https://news.example.org/story?utm=x"
    assert article.author == "Nguyen Van An"
    assert article.published == datetime(2024, 3, 12, 2, 30, tzinfo=UTC)
    assert article.language is None  # <html lang> is left to the language detector


def test_gbk_html_page_has_no_mojibake() -> None:
    body = "".join(f"<p>{p}</p>" for p in _CHINESE)
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"<title>广宁与广西加强媒体合作</title></head><body><article>{body}</article></body></html>"
    )
    article = parse(raw("zh.html", "html", html.encode("gbk")))
    assert _CHINESE[0] in article.text and "\ufffd" not in article.text
    assert article.title == "广宁与广西加强媒体合作"


def test_big5_html_page_without_label() -> None:
    body = "".join(f"<p>{p}</p>" for p in _TRADITIONAL)
    html = f"<html><head><title>廣寧與廣西</title></head><body><article>{body}</article>"
    article = parse(raw("zh-hant.html", "html", html.encode("big5")))
    assert _TRADITIONAL[1] in article.text


def test_feed_hints_win_over_page_guesses() -> None:
    item = raw(
        "article.html",
        "html",
        hints={"title": "Feed headline", "published": "2024-03-13T08:00:00+00:00"},
    )
    article = parse(item)
    assert article.title == "Feed headline"
    assert article.published == datetime(2024, 3, 13, 8, 0, tzinfo=UTC)
    assert article.author == "Nguyen Van An"


# --- parse: plain text ------------------------------------------------------------------------


def test_txt_section_label_is_skipped_and_dateline_read() -> None:
    article = parse(raw("seedlike_en.txt", "txt"))
    assert article.title == "Quang Ninh and Guangxi media agencies sign new exchange plan"
    assert article.published == datetime(2024, 3, 12, 9, 30, tzinfo=UTC)
    assert article.text.startswith("Media agencies of Quang Ninh province")
    assert "Publish date" not in article.text and "Investment News" not in article.text
    assert article.source_url == "https://example.org/news/quang-ninh-guangxi-exchange-plan.html"
    assert article.language is None


def test_txt_vietnamese_dateline_with_zone() -> None:
    article = parse(raw("seedlike_vi.txt", "txt"))
    assert article.title == "Quảng Ninh tăng cường hợp tác truyền thông với Quảng Tây"
    assert article.published == datetime(2024, 3, 4, 9, 1, tzinfo=UTC)
    assert article.text.startswith("Sáng nay")


def test_txt_short_first_line_is_the_title() -> None:
    article = parse(raw("seedlike_sv.txt", "txt"))
    assert article.title == "Samarbete inom radio och tv fördjupas"
    assert article.text.startswith("Vid mötet")


def test_txt_starting_with_a_paragraph_keeps_it_and_derives_a_title() -> None:
    text = "\n\n".join(PARAGRAPHS)
    article = parse(raw("untitled.txt", "txt", text.encode("utf-8")))
    assert article.text.startswith(PARAGRAPHS[0])
    assert len(article.title) <= 151 and PARAGRAPHS[0].startswith(article.title.rstrip("…"))


def test_txt_headline_alone_is_a_brief_not_a_refusal() -> None:
    article = parse(raw("t.txt", "txt", b"Just a headline\n\nComment (0)\n"))
    assert (article.title, article.text) == ("Just a headline", "Just a headline")


def test_txt_furniture_alone_is_rejected() -> None:
    with pytest.raises(InputRejected, match="no article text"):
        parse(raw("t.txt", "txt", b"Comment (0)\n\nShare\n"))


@pytest.mark.parametrize(
    "item",
    [
        {"text": "Quang Ninh hosts the ASEAN tourism forum in Ha Long"},
        {"text": "Quảng Ninh đón 1,2 triệu lượt khách quốc tế trong 11 tháng"},
        {"text": "广西与广宁省签署新闻合作协议"},
        {"title": "Ha Long Bay welcomes cruise ships", "text": "Ha Long Bay welcomes cruise ships"},
        {"title": "Flash", "text": "Flash\nVân Đồn airport reopens the Seoul route"},
    ],
)
def test_json_one_line_items_are_kept(item: dict[str, str]) -> None:
    article = parse(raw("b.json", "json", json.dumps(item).encode()))
    assert article.text.strip()
    assert article.text.split("\n")[-1] in item["text"]


# --- parse: JSON ------------------------------------------------------------------------------


def test_json_text_item() -> None:
    (item, _, _) = split_items(raw("batch.jsonl", "json"))
    assert isinstance(item, RawInput)
    article = parse(item)
    assert article.title == "First story"
    assert article.language == "en"
    assert article.author == "Jane Roe"
    assert article.url == "https://example.org/a1"
    assert article.published == datetime(2024, 3, 12, 2, 30, tzinfo=UTC)


def test_json_html_item_is_extracted_like_a_page() -> None:
    (_, _, item) = split_items(raw("batch.jsonl", "json"))
    assert isinstance(item, RawInput)
    article = parse(item)
    assert article.title == "Bài thứ ba"
    assert "Hai bên cũng thống nhất" in article.text and "<p>" not in article.text
    assert article.language == "vi"
    assert article.source_name == "Báo Quảng Ninh" and article.source_url is None


@pytest.mark.parametrize(
    ("language", "expected"), [("vi-VN", "vi"), ("ZH_cn", "zh"), ("vie", "vi"), ("??", None)]
)
def test_json_language_codes(language: str, expected: str | None) -> None:
    data = json.dumps({"title": "T", "text": PARAGRAPHS[0], "language": language}).encode()
    assert parse(raw("i.json", "json", data)).language == expected


def test_json_author_shapes() -> None:
    data = json.dumps(
        {"title": "T", "text": PARAGRAPHS[0], "author": [{"name": "Jane Roe"}, 7, "An Nguyen"]}
    ).encode()
    assert parse(raw("i.json", "json", data)).author == "Jane Roe, An Nguyen"


def test_json_source_url_and_epoch_date() -> None:
    data = json.dumps(
        {
            "title": "T",
            "text": PARAGRAPHS[0] + "\nSource: https://baoquangninh.vn/a-1.html",
            "source": "https://mic.gov.vn/b-2.htm",
            "published": 1710210600,
        }
    ).encode()
    article = parse(raw("i.json", "json", data))
    assert article.source_url == "https://mic.gov.vn/b-2.htm"
    assert article.published == datetime(2024, 3, 12, 2, 30, tzinfo=UTC)
    assert "Source:" not in article.text


_CHINESE = [
    "越南广宁省与中国广西壮族自治区在媒体合作方面取得了重要成果，双方同意继续加强新闻交流，"
    "共同出版特刊，促进两国人民的相互了解和友谊。",
    "据统计，今年前九个月，双方共同制作了四个广播节目，每周交换新闻稿件，并在网站上开设了中文专栏。",
    "广宁省媒体中心主任表示，中国读者希望了解投资政策和旅游线路方面的可靠信息，中心将继续扩大合作。",
]
_TRADITIONAL = [
    "香港特別行政區政府今日宣布，將會加強與越南廣寧省在旅遊、貿易及文化方面的合作。",
    "雙方代表在會議上簽署了諒解備忘錄，並同意每年舉行一次交流活動，以促進兩地人民的友誼。",
    "廣寧省媒體中心主任表示，香港讀者希望了解投資政策和旅遊路線方面的可靠資訊，中心將繼續擴大合作。",
]


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8")),
        st.dictionaries(
            st.sampled_from(["title", "text", "html", "language", "published", "author", "url"]),
            st.one_of(
                st.text(max_size=80),
                st.integers(),
                st.floats(),
                st.none(),
                st.lists(
                    st.one_of(st.text(), st.integers(), st.dictionaries(st.text(), st.text()))
                ),
            ),
        ).map(lambda d: json.dumps(d).encode("utf-8")),
    ),
    st.sampled_from(["txt", "json", "html"]),
)
def test_parse_and_split_raise_only_input_rejected(data: bytes, fmt: str) -> None:
    try:
        for item in split_items(raw("fuzz", fmt, data)):
            if isinstance(item, RawInput):
                article = parse(item)
                assert article.text.strip() and isinstance(article.title, str)
    except InputRejected as exc:
        assert exc.reason


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        (
            "Quảng Ninh đón khách Hàn Quốc | Báo Quảng Ninh",
            "Báo Quảng Ninh",
            "Quảng Ninh đón khách Hàn Quốc",
        ),
        (
            "15 Jahre rete-mirabile.net — rete-mirabile.net",
            "rete-mirabile.net",
            "15 Jahre rete-mirabile.net",
        ),
        (
            "Windows 10 Netzwerk langsam | IT-Learner.de",
            "it-learner.de",
            "Windows 10 Netzwerk langsam",
        ),
        (
            "武汉的声音：有英勇的你，才有英雄的城！-新华网",
            "新华网",
            "武汉的声音：有英勇的你，才有英雄的城！",
        ),
        (
            "Quang Ninh - Ha Long: a new bridge",
            "vnexpress.net",
            "Quang Ninh - Ha Long: a new bridge",
        ),
        ("Ha Long Bay - Vietnam", "vnexpress.net", "Ha Long Bay - Vietnam"),
    ],
)
def test_the_site_name_is_cut_from_the_title(title: str, site: str, expected: str) -> None:
    from hoasen.ingest.formats import _strip_site

    assert _strip_site(title, (site, None)) == expected


def _page(title: str, *headings: str) -> bytes:
    body = "".join(f"<h1>{h}</h1>" for h in headings)
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<html><head><meta property="og:title" content="{title}"></head>'
        f"<body><article>{body}{paragraphs}"
        "</article></body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("title", "headings", "expected"),
    [
        # the page's one h1 inside a longer metadata title: the h1 is the headline
        (
            "Tin tức - Hợp tác báo chí Việt - Trung mở rộng - Báo Quảng Ninh",
            ["Hợp tác báo chí Việt - Trung mở rộng"],
            "Hợp tác báo chí Việt - Trung mở rộng",
        ),
        # a short h1 (a section name), two h1s, or an h1 the title does not hold: the title
        # (the page's og:title, which trafilatura prefers to an h1)
        (
            "Hợp tác báo chí Việt - Trung mở rộng",
            ["Tin tức"],
            "Hợp tác báo chí Việt - Trung mở rộng",
        ),
        (
            "Hợp tác mở rộng, trao đổi tin bài",
            ["Hợp tác mở rộng", "Khác nữa đây"],
            "Hợp tác mở rộng, trao đổi tin bài",
        ),
        ("Hợp tác báo chí mở rộng", ["Một tiêu đề hoàn toàn khác"], "Hợp tác báo chí mở rộng"),
    ],
)
def test_the_one_h1_wins_when_the_title_wraps_it(
    title: str, headings: list[str], expected: str
) -> None:
    article = parse(raw("page.html", "html", _page(title, *headings)))
    assert article.title == expected


# --- publication dates: never from a bare year or month ------------------------------------------


def _dated_page(body: str, head: str = "") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head><title>Quảng Ninh thu hút đầu tư</title>{head}</head><body><article>"
        f"<h1>Quảng Ninh thu hút đầu tư</h1>{paragraphs}{body}</article></body></html>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        "<p>Trong năm 2025, tỉnh thu hút thêm dự án.</p><footer>© 2024 Báo Quảng Ninh</footer>",
        "<p>Dự án khởi công vào tháng 3/2025 và hoàn thành trong năm 2026.</p>",
        "<p>Plans for 2026 include a new cruise port, officials said.</p>",
    ],
)
def test_page_date_never_comes_from_a_year_or_month_alone(body: str) -> None:
    article = parse(
        raw("p.html", "html", _dated_page(body), url="https://baoquangninh.vn/dau-tu.html")
    )
    assert article.published is None and article.published_source is None


@pytest.mark.parametrize(
    ("head", "url"),
    [
        ('<meta property="article:published_time" content="2025-03-01">', "https://x.vn/a.html"),
        ("", "https://x.vn/2025/03/01/dau-tu.html"),
    ],
)
def test_a_real_first_of_the_month_stays(head: str, url: str) -> None:
    article = parse(raw("p.html", "html", _dated_page("", head), url=url))
    assert article.published == datetime(2025, 3, 1, tzinfo=UTC)
    assert article.published_source == "page"


def test_where_the_date_came_from() -> None:
    page = _dated_page("")
    modified = datetime(2026, 11, 30, 8, tzinfo=UTC)
    from_http = parse(raw("p.html", "html", page, last_modified=modified))
    assert (from_http.published, from_http.published_source) == (modified, "http")
    hinted = parse(raw("p.html", "html", page, hints={"published": "2026-11-29T10:00:00+07:00"}))
    assert hinted.published_source == "feed" and hinted.published == datetime(
        2026, 11, 29, 3, tzinfo=UTC
    )
    item = {"text": "Vân Đồn đón chuyến bay đầu tiên từ Seoul.", "published": "2026-11-28"}
    given_ = parse(raw("b.json", "json", json.dumps(item).encode()))
    assert given_.published_source == "input"
    dated = "Ngày 27/11/2026\n\n" + "\n\n".join(PARAGRAPHS)
    from_text = parse(raw("a.txt", "txt", dated.encode()))
    assert from_text.published_source == "page" and from_text.published.day == 27


# --- HTML: readability's second opinion ---------------------------------------------------------


def test_portal_page_loses_menus_and_link_rows_around_the_article() -> None:
    article = parse(raw("portal_zh.html", "html"))
    assert "双方将在新闻交换、节目联合制作和人员培训等方面开展长期合作" in article.text
    assert article.text.rstrip().endswith("欢迎两地青年积极参加。")
    for junk in (
        "首页",
        "今日推荐",
        "明星盘点年度十大红毯造型",
        "新闻排行榜",
        "春运火车票",
        "网站地图",
    ):
        assert junk not in article.text


ARTICLE_LINES = [
    "The two provinces agreed to exchange news every two weeks and to co-produce programmes.",
    "- four radio programmes a year",
    "A bilingual special edition will be published in the autumn of this year.",
]
SECOND = "".join(line.removeprefix("- ") for line in ARTICLE_LINES).replace(" ", "").casefold()


def test_trim_drops_short_and_link_lines_outside_readabilitys_article() -> None:
    related = "Ten destinations for a winter holiday by the sea and in the mountains"
    text = "\n".join(
        ["Home | News | Sport", "Provinces sign a media deal", *ARTICLE_LINES, "Most read", related]
    )
    links = frozenset({"home", "news", "tendestinationsforawinterholidaybytheseaandinthemountains"})
    assert trim_to_agreement(text, SECOND, links) == "\n".join(ARTICLE_LINES)


def test_trim_keeps_outside_prose_and_its_subheadings() -> None:
    lead = "Officials from both sides met in Nanning on Tuesday to sign the agreement."
    text = "\n".join([lead, "The deal", *ARTICLE_LINES, "Contact: press office, +84 203 000"])
    kept = trim_to_agreement(text, SECOND, frozenset())
    assert kept.split("\n") == [lead, "The deal", *ARTICLE_LINES]


def test_trim_leaves_text_alone_when_readability_disagrees() -> None:
    text = "\n".join(["Menu", *ARTICLE_LINES, "Footer"])
    elsewhere = "somethingelseentirely" * 5
    assert trim_to_agreement(text, elsewhere, frozenset()) == text
    assert trim_to_agreement(text, "", frozenset()) == text  # readability found nothing


def test_second_opinion_and_link_texts_read_a_tree_without_changing_it() -> None:
    html = (
        "<html><body><nav><a href='/'>Home page</a></nav><div id='main'>"
        + "".join(f"<p>{line}</p>" for line in ARTICLE_LINES)
        + "<p style='display:none'>hidden</p></div></body></html>"
    )
    tree = load_html(html)
    before = etree.tostring(tree)
    assert second_opinion(tree).startswith("thetwoprovincesagreed")
    assert link_texts(tree) == frozenset({"homepage"})
    assert etree.tostring(tree) == before


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab é广宁省한국 .,\n-"), max_size=40),
    st.integers(min_value=1, max_value=8),
)
def test_enough_words_counts_as_a_full_count_would(text: str, minimum: int) -> None:
    from hoasen.ingest import formats

    full = sum(sum(1 for ch in w if formats._is_cjk(ch)) or 1 for w in formats._WORD.findall(text))
    assert formats._has_words(text, minimum) == (full >= minimum)


def test_date_tables_loaded_up_front_leave_dates_as_they_were() -> None:
    """`load_date_tables` builds dateparser's locale tables that the page date search uses
    (otherwise built on the first page with a worded date); dates read the same after."""
    from htmldate.extractors import get_external_parser

    from hoasen.ingest.extract import load_date_tables

    load_date_tables()
    assert get_external_parser.cache_info().currsize == 1
    parsed = get_external_parser().get_date_data("3 April 2023")["date_obj"]
    assert (parsed.year, parsed.month, parsed.day) == (2023, 4, 3)
    page = (
        "<html><body><article><h1>Delegation visits Ha Long</h1><p>Published 12 March 2024</p>"
        + "<p>The delegation from Guangxi met provincial leaders to discuss trade. </p>" * 8
        + "</article></body></html>"
    )
    article = parse(RawInput(origin="p.html", data=page.encode(), fmt="html"))
    assert article.published == datetime(2024, 3, 12, tzinfo=UTC)
