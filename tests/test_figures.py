"""Key-figure extraction: values, units, scales and subjects in vi/en/zh; what is not a figure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.analyze.figures import Figure, FigureExtractor

FX = FigureExtractor()


def one(text: str, language: str | None) -> Figure:
    """The single figure in `text` (fails when there are none or several)."""
    figures = FX.extract(text, language)
    assert len(figures) == 1, figures
    return figures[0]


def values(text: str, language: str | None) -> list[float]:
    return [f.value for f in FX.extract(text, language)]


@pytest.mark.parametrize(
    ("text", "language", "value", "unit", "scale"),
    [
        ("48.362 tỷ đồng", "vi", 48_362_000_000_000, "VND", "tỷ"),
        ("48.362 tỷ đồng", None, 48_362_000_000_000, "VND", "tỷ"),
        ("48,362 billion VND", "en", 48_362_000_000_000, "VND", "billion"),
        ("48,362 billion VND", None, 48_362_000_000_000, "VND", "billion"),
        ("1,218 million USD", "en", 1_218_000_000, "USD", "million"),
        ("1,218 million USD", None, 1_218_000_000, "USD", "million"),
        ("10.28%", "en", 10.28, "percent", None),
        ("10,28%", "vi", 10.28, "percent", None),
        ("1.2亿元", "zh", 120_000_000, "CNY", "亿"),
        ("1.2亿元", None, 120_000_000, "CNY", "亿"),
        ("$1.13bn", "en", 1_130_000_000, "USD", "bn"),
        ("£600m", "en", 600_000_000, "GBP", "m"),
        ("US$2.5 billion", "en", 2_500_000_000, "USD", "billion"),
        ("USD 500,000", "en", 500_000, "USD", None),
        ("USD 500,000", "vi", 500_000, "USD", None),
        ("500.000 USD", None, 500_000, "USD", None),
        ("500.000 USD", "vi", 500_000, "USD", None),
        ("2,5 triệu USD", "vi", 2_500_000, "USD", "triệu"),
        ("2,5 triệu USD", None, 2_500_000, "USD", "triệu"),
        ("28,387.5 billion VND", "en", 28_387_500_000_000, "VND", "billion"),
        ("28.387,5 tỷ đồng", "vi", 28_387_500_000_000, "VND", "tỷ"),
        ("một tỷ đồng", "vi", 1_000_000_000, "VND", "tỷ"),
        ("hai triệu USD", "vi", 2_000_000, "USD", "triệu"),
        ("37.5万美元", "zh", 375_000, "USD", "万"),
        ("20 亿美元", "zh", 2_000_000_000, "USD", "亿"),
        ("1亿欧元", "zh", 100_000_000, "EUR", "亿"),
        ("¥300", "ja", 300, "JPY", None),
        ("人民币1.2亿元", "zh", 120_000_000, "CNY", "亿"),
        ("€100 million", "en", 100_000_000, "EUR", "million"),
        ("100 triệu €", "vi", 100_000_000, "EUR", "triệu"),
        ("2 tỷ đô la", "vi", 2_000_000_000, "USD", "tỷ"),
        ("500.000đ", "vi", 500_000, "VND", None),
    ],
)
def test_money_and_percent(
    text: str, language: str | None, value: float, unit: str, scale: str | None
) -> None:
    fig = one(text, language)
    assert (fig.value, fig.unit, fig.scale) == (value, unit, scale)
    assert fig.text == text


def test_vietnamese_visitors_keep_unit_text_and_subject() -> None:
    fig = one("18,43 triệu lượt khách", "vi")
    assert fig.as_json() == {
        "text": "18,43 triệu lượt khách",
        "value": 18_430_000,
        "unit": "visitors",
        "scale": "triệu",
        "subject": "lượt khách",
    }


@pytest.mark.parametrize(
    ("text", "value", "unit", "subject"),
    [
        ("3万人次", 30_000, "person-times", None),
        ("接待游客1843万人次", 18_430_000, "visitors", "游客"),
        ("其中国际游客366万人次", 3_660_000, "visitors", "国际游客"),
        ("一千八百万", 18_000_000, None, None),
        ("两万人", 20_000, "people", None),
        ("三十个国家", 30, "countries", "国家"),
        ("百分之百", 100, "percent", None),
        ("百分之四十", 40, "percent", None),
        ("增长6.6%", 6.6, "percent", None),
        ("超过 2000 万人收看", 20_000_000, "people", None),
        ("死亡率5%", 5, "percent", "死亡率"),
        ("25000多人", 25_000, "people", None),
        ("39个代表团", 39, "delegations", "代表团"),
        ("24 座避难中心。", 24, "避难中心", None),
        ("节省能耗2．8％", 2.8, "percent", None),
    ],
)
def test_chinese(text: str, value: float, unit: str | None, subject: str | None) -> None:
    fig = one(text, "zh")
    assert (fig.value, fig.unit, fig.subject) == (value, unit, subject)
    assert text[fig.start : fig.end] == fig.text


@pytest.mark.parametrize(
    ("text", "value", "unit", "scale", "subject"),
    [
        (
            "3.66 million international visitors",
            3_660_000,
            "visitors",
            "million",
            "international visitors",
        ),
        ("over 14,500 cadres and Party members", 14_500, "cadres", None, "cadres"),
        ("with over 30 central press agencies.", 30, "agencies", None, "central press agencies"),
        ("averaging about 5 news items per day", 5, "articles", None, "news items"),
        (
            "reaches nearly one million individual Zalo accounts following the account",
            1_000_000,
            "accounts",
            "million",
            "individual Zalo accounts",
        ),
        ("540 people were injured", 540, "people", None, "people"),
        ("Six people were arrested", 6, "people", None, "people"),
        ("Fifty-eight percent of likely voters", 58, "percent", None, "likely voters"),
        ("food down three per cent.", 3, "percent", None, None),
        ("at least $190bn of bad debt", 190_000_000_000, "USD", "bn", "bad debt"),
        ("a 7.5 magnitude earthquake", 7.5, "magnitude", None, None),
        ("2.6 times higher", 2.6, "times", None, None),
        ("300 km north of Palu", 300, "km", None, None),
        ("20,000 workers lost their jobs", 20_000, "workers", None, "workers"),
    ],
)
def test_english(
    text: str, value: float, unit: str, scale: str | None, subject: str | None
) -> None:
    fig = one(text, "en")
    assert (fig.value, fig.unit, fig.scale, fig.subject) == (value, unit, scale, subject)


@pytest.mark.parametrize(
    ("text", "value", "unit", "subject"),
    [
        ("tiếp đón 39 đoàn với 1.011 đại biểu", 39, "delegations", "đoàn"),
        ("hơn 14.500 cán bộ, đảng viên", 14_500, "cán bộ", "cán bộ"),
        ("142 triệu người theo dõi vài giờ sau", 142_000_000, "followers", "người theo dõi"),
        ("giảm 3% so với cùng kỳ", 3, "percent", None),
        ("Tổng số 68 phần trăm học sinh", 68, "percent", "học sinh"),
        ("gần 20 độ giữa hai thành phố", 20, "degrees", None),
        ("500 ha đất nông nghiệp", 500, "ha", "đất nông nghiệp"),
        ("khoảng 16,700 người đã được sơ tán", 16_700, "people", "người"),
        ("có 10,000 người bên ngoài", 10_000, "people", "người bên ngoài"),
    ],
)
def test_vietnamese(text: str, value: float, unit: str, subject: str | None) -> None:
    figures = FX.extract(text, "vi")
    assert (figures[0].value, figures[0].unit, figures[0].subject) == (value, unit, subject)


def test_several_currencies_in_one_sentence() -> None:
    got = FX.extract(
        "Novartis shares rose 1% to 57.85 Swiss francs; it paid $7.4bn (£3.9bn).", "en"
    )
    assert [(f.text, f.value, f.unit) for f in got] == [
        ("1%", 1, "percent"),
        ("57.85 Swiss francs", 57.85, "CHF"),
        ("$7.4bn", 7_400_000_000, "USD"),
        ("£3.9bn", 3_900_000_000, "GBP"),
    ]


def test_negative_figures_keep_their_sign() -> None:
    assert [(f.text, f.value) for f in FX.extract("GDP grew -0.5% (−1,2% in Q2)", None)] == [
        ("-0.5%", -0.5),
        ("−1,2%", -1.2),
    ]
    assert FX.extract("during the Covid-19 epidemic", "en") == []


def test_separator_convention_follows_language() -> None:
    # In Vietnamese a lone comma is decimal; in English it groups thousands.
    assert values("1,218 tấn", "vi") == [1.218]
    assert values("1,218 tons", "en") == [1218]
    assert values("1.218 tấn", "vi") == [1218]
    assert values("1.218 tons", "en") == [1.218]
    # A scale word decides over the declared language: the text is quoted Vietnamese.
    assert values("Báo cáo ghi 48.362 tỷ đồng.", "en") == [48_362_000_000_000]
    # Whole people cannot be fractional, whatever the convention.
    assert values("1,011 đại biểu quốc tế", "vi") == [1011]


def test_unknown_language_is_inferred_from_the_text() -> None:
    vi = "Tỉnh đón 3,66 triệu lượt khách quốc tế và thu về 1,218 triệu USD trong năm."
    assert values(vi, None) == [3_660_000, 1_218_000]
    en = "The province earned 1,218 million USD from 3.66 million international visitors."
    assert values(en, None) == [1_218_000_000, 3_660_000]


def test_ranges_take_the_low_value_and_cover_the_whole_text() -> None:
    fig = one("dự kiến đón 3-4 triệu lượt khách", "vi")
    assert (fig.text, fig.value, fig.unit, fig.scale) == (
        "3-4 triệu lượt khách",
        3_000_000,
        "visitors",
        "triệu",
    )
    assert one("1 to 4 inches of rain", "en").text == "1 to 4 inches"
    assert one("từ 2 đến 4 inch", "vi").value == 2
    assert one("15-18万元", "zh").value == 150_000
    # "from 3 to 4 million" is a change, not a range: only the end point is a figure.
    assert values("grew from 3 to 4 million users", "en") == [4_000_000]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("In 2025, the province celebrated.", "en"),
        ("Trong năm 2025, tỉnh đã tổ chức nhiều sự kiện.", "vi"),
        ("2025年10月4日", "zh"),
        ("the 50th anniversary of diplomatic relations", "en"),
        ("the 7th consecutive year", "en"),
        ("lần thứ 17 diễn ra", "vi"),
        ("第17届大会", "zh"),
        ("Resolution No. 59-NQ/TW dated January 24, 2025", "en"),
        ("Nghị quyết số 59-NQ/TW ngày 24/1/2025", "vi"),
        ("Decision No. 2013/QD-TTg (November 30, 2021)", "en"),
        ("Publish date 04-10-2023 16:01, Lượt xem: 12", "en"),
        ("lúc 8h30 sáng", "vi"),
        ("at 4.40 am Thursday", "en"),
        ("call 0800 555 111 quoting log 247", "en"),
        ("Hotline: 0912345678", "vi"),
        ("during the Covid-19 epidemic", "en"),
        ("In the first 10 months of 2025", "en"),
        ("Trong 10 tháng đầu năm", "vi"),
        ("for 5 consecutive years (2016-2021)", "en"),
        ("今年前十个月", "zh"),
        ("Ronaldo, 33, slammed the reports", "en"),
        ("Ronaldo, 33 tuổi", "vi"),
        ("Livingston won 1-0 over Rangers", "en"),
        ("hàng nghìn người", "vi"),
        ("hundreds of people and thousands of visitors", "en"),
        ("数十座村庄", "zh"),
        ("七八十万", "zh"),
        ("SEA Games 31 in Hanoi", "en"),
        ("5G networks and A4 paper", "en"),
        ("https://baoquangninh.vn/thuc-day-3388666.html", None),
        ("năm 2025 tỷ lệ tăng", "vi"),
        ("as in figure 41 shown", "en"),
        ("如图41所示", "zh"),
        ("the Six Nations clash at Lansdowne Road", "en"),
        ("bãi có giấy phép của quận 1 cấp", "vi"),
        ("nhắn tin 6 tiếng mỗi ngày", "vi"),
    ],
)
def test_not_figures(text: str, language: str | None) -> None:
    assert FX.extract(text, language) == []


def test_real_style_vietnamese_sentence() -> None:
    text = (
        "Trong 10 tháng đầu năm 2025, tỉnh đón 18,43 triệu lượt khách, trong đó có 3,66 triệu "
        "lượt khách quốc tế, tổng thu ước đạt 48.362 tỷ đồng."
    )
    got = [f.as_json() for f in FX.extract(text, "vi")]
    assert got == [
        {
            "text": "18,43 triệu lượt khách",
            "value": 18_430_000,
            "unit": "visitors",
            "scale": "triệu",
            "subject": "lượt khách",
        },
        {
            "text": "3,66 triệu lượt khách quốc tế",
            "value": 3_660_000,
            "unit": "visitors",
            "scale": "triệu",
            "subject": "lượt khách quốc tế",
        },
        {
            "text": "48.362 tỷ đồng",
            "value": 48_362_000_000_000,
            "unit": "VND",
            "scale": "tỷ",
            "subject": None,
        },
    ]
    assert FX.extract(text, None) == FX.extract(text, "vi")


def test_real_style_english_sentence() -> None:
    text = (
        "In the first 10 months of 2025, the province welcomed 18.43 million tourists, including "
        "3.66 million international visitors, with tourism revenue estimated at 48,362 billion VND."
    )
    got = [(f.text, f.value, f.unit, f.subject) for f in FX.extract(text, "en")]
    assert got == [
        ("18.43 million tourists", 18_430_000, "visitors", "tourists"),
        ("3.66 million international visitors", 3_660_000, "visitors", "international visitors"),
        ("48,362 billion VND", 48_362_000_000_000, "VND", None),
    ]
    assert FX.extract(text, None) == FX.extract(text, "en")


def test_real_style_chinese_sentence() -> None:
    text = (
        "今年前十个月广宁省接待游客1843万人次，其中国际游客366万人次，旅游总收入约48362亿越南盾。"
    )
    got = [(f.text, f.value, f.unit, f.scale, f.subject) for f in FX.extract(text, None)]
    assert got == [
        ("1843万人次", 18_430_000, "visitors", "万", "游客"),
        ("366万人次", 3_660_000, "visitors", "万", "国际游客"),
        ("48362亿越南盾", 4_836_200_000_000, "VND", "亿", "旅游总收入"),
    ]


def test_real_style_report_paragraph() -> None:
    text = (
        "In 2025, Quang Ninh hosted 39 delegations with 1,011 international delegates, and "
        "received 14 delegations of foreign journalists (92 journalists in total). Attracting "
        "investment reached about 28,387.5 billion VND, equivalent to about 1,218 million USD, "
        "of which FDI capital was about 592.5 million USD, 2.6 times higher compared to 2019. "
        "The growth rate reached 10.28%, the 7th consecutive year (2016-2022) of double-digit "
        "growth."
    )
    got = [(f.value, f.unit) for f in FX.extract(text, "en")]
    assert got == [
        (39, "delegations"),
        (1011, "delegates"),
        (14, "delegations"),
        (92, "journalists"),
        (28_387_500_000_000, "VND"),
        (1_218_000_000, "USD"),
        (592_500_000, "USD"),
        (2.6, "times"),
        (10.28, "percent"),
    ]


def test_language_tags_are_normalised() -> None:
    assert FX.extract("1,5 triệu người", "vi-VN") == FX.extract("1,5 triệu người", "vi")
    assert values("3万人", "zh-Hans") == [30_000]


def test_version_names_the_rules() -> None:
    assert FigureExtractor.version.startswith("figures-rules-")


_ALPHABET = st.sampled_from(
    [
        *"0123456789.,-/: %$£€¥元万亿千百十一二三人次年月",
        "tỷ",
        "triệu",
        "nghìn",
        "đồng",
        "million",
        "billion",
        "USD",
        "VND",
        "người",
        "lượt khách",
        "people",
        "percent",
        " to ",
        "thứ ",
        "No. ",
        "năm ",
        "第",
        "\n",
        "\u00a0",
        "ſ",
        "K",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join), st.sampled_from(["vi", "en", "zh", None]))
def test_extract_never_raises_and_spans_index_the_text(text: str, language: str | None) -> None:
    for fig in FX.extract(text, language):
        assert text[fig.start : fig.end] == fig.text
        assert fig.text.strip() == fig.text and fig.text
        assert (fig.value < 0) == (fig.text[0] in "-−")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["vi", "en", "zh", "ja", None]))
def test_arbitrary_text_never_raises(text: str, language: str | None) -> None:
    previous_end = 0
    for fig in FX.extract(text, language):
        assert text[fig.start : fig.end] == fig.text
        assert fig.start >= previous_end
        previous_end = fig.end
