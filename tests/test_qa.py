"""Translation QA: numbers read per language, termbase names, untranslated and wrong-language
targets, length, markup, document alignment; injected faults flagged, untouched human
translations (news lines written for these tests) left alone."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from hoasen.analyze.language import LanguageGuess
from hoasen.translate.qa import QA, check_document, check_segment, fold, is_flagged
from hoasen.translate.qa_numbers import compare_numbers, extract_numbers, parse_kanji
from hoasen.translate.types import Flag, Glossary, GlossaryEntry


class FixedDetector:
    """A language detector that always answers the same (no models to load)."""

    name = "fixed"

    def __init__(self, language: str | None, confidence: float = 0.95) -> None:
        self.guess = LanguageGuess(language, confidence)

    def detect(self, text: str) -> LanguageGuess:
        return self.guess


def qa(language: str | None = None) -> QA:
    return QA(detector=FixedDetector(language))


def number_flags(source: str, target: str, src: str, tgt: str) -> list[Flag]:
    return [f for f in qa().check_segment(source, target, src, tgt) if f.check == "numbers"]


def values(text: str, lang: str) -> list[set[Decimal]]:
    return [set(n.values) for n in extract_numbers(text, lang) if n.hard]


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("366万", "zh", 3_660_000),
        ("3.66 million", "en", 3_660_000),
        ("3,66 triệu", "vi", 3_660_000),
        ("3.660.000", "vi", 3_660_000),
        ("48.362 tỷ đồng", "vi", 48_362_000_000_000),
        ("48,362 billion VND", "en", 48_362_000_000_000),
        ("48.362 trillion", "en", 48_362_000_000_000),
        ("1.2亿元", "zh", 120_000_000),
        ("28億ポンド", "ja", 2_800_000_000),
        ("1억 2500만 파운드", "ko", 125_000_000),
        ("1억 4천 2백만 명", "ko", 142_000_000),
        ("37만 5,000달러", "ko", 375_000),
        ("1億2,500万ポンド", "ja", 125_000_000),
        ("£125m", "en", 125_000_000),
        ("$1.13bn", "en", 1_130_000_000),
        ("三百六十六万", "zh", 3_660_000),
        ("5千人", "ja", 5000),
        ("3천 명", "ko", 3000),
        ("hai triệu người", "vi", 2_000_000),
        ("three million people", "en", 3_000_000),
        ("a million people", "en", 1_000_000),
        ("12,5%", "vi", Decimal("12.5")),
        ("百分之五十", "zh", 50),
    ],
)
def test_numbers_are_read_per_language(text: str, lang: str, value: Decimal | int) -> None:
    assert any(Decimal(value) in v for v in values(text, lang)), values(text, lang)


def test_parse_kanji() -> None:
    assert parse_kanji("三百六十六") == 366
    assert parse_kanji("一千八百万") == 18_000_000
    assert parse_kanji("二〇一九") == 2019
    assert parse_kanji("两") == 2
    assert parse_kanji("十二") == 12


@pytest.mark.parametrize(
    ("source", "target", "src", "tgt"),
    [
        ("Quảng Ninh đón 366 nghìn lượt khách.", "广宁接待游客36.6万人次。", "vi", "zh"),
        ("The province welcomed 3.66 million visitors.", "全省接待游客366万人次。", "en", "zh"),
        (
            "Tỉnh đón 3,66 triệu lượt khách.",
            "The province welcomed 3.66 million visitors.",
            "vi",
            "en",
        ),
        ("Tổng cộng 3.660.000 lượt khách.", "A total of 3.66 million visitors.", "vi", "en"),
        ("Thu ngân sách đạt 48.362 tỷ đồng.", "Revenue reached 48,362 billion VND.", "vi", "en"),
        ("Thu ngân sách đạt 48.362 tỷ đồng.", "Revenue reached VND48.362 trillion.", "vi", "en"),
        ("Xuất khẩu tăng 12,5%.", "Exports rose 12.5 percent.", "vi", "en"),
        ("Xuất khẩu tăng 50 phần trăm.", "出口增长百分之五十。", "vi", "zh"),
        ("Năm 2025, tỉnh đạt kết quả tốt.", "2025年，该省取得良好成绩。", "vi", "zh"),
        ("The talks were held on December 3.", "会谈于12月3日举行。", "en", "zh"),
        ("The talks were held on December 3.", "Cuộc hội đàm diễn ra ngày 3 tháng 12.", "en", "vi"),
        ("The talks were held on December 3.", "Cuộc hội đàm diễn ra ngày 3/12.", "en", "vi"),
        ("회담은 12월 3일 열렸다.", "The talks were held on December 3.", "ko", "en"),
        ("It was built in the 19th century.", "Nó được xây dựng vào thế kỷ XIX.", "en", "vi"),
        ("It was built in the 19th century.", "它建于19世纪。", "en", "zh"),
        ("The congregation moved out in the 1930s.", "会众在20世纪30年代撤出。", "en", "zh"),
        ("三百六十六名代表出席。", "366 delegates attended.", "zh", "en"),
        ("两国领导人会面。", "The two leaders met.", "zh", "en"),
        ("Three people were injured.", "3 người bị thương.", "en", "vi"),
        ("3 people were injured.", "Ba người bị thương.", "en", "vi"),
        ("3 people were injured.", "세 명이 다쳤다.", "en", "ko"),
        ("3 people were injured.", "三人受伤。", "en", "zh"),
        ("Temperatures of 10-15C are expected.", "Nhiệt độ dự kiến từ 10 đến 15 độ C.", "en", "vi"),
        ("Prices rose 10-15%.", "价格上涨10%-15%。", "en", "zh"),
        ("The rally starts at 4pm.", "Cuộc mít tinh bắt đầu lúc 16:00.", "en", "vi"),
        ("The rally starts at 4pm.", "集会于下午4点开始。", "en", "zh"),
        ("He was found at 7.55am on Friday.", "午前7時55分に発見された。", "en", "ja"),
        ("The 2019-20 season ended.", "Mùa giải 2019-2020 đã kết thúc.", "en", "vi"),
        ("A week later, a decade after the war...", "1週間後、戦争の10年後…", "en", "ja"),
        ("About 300 km (180 miles) of coastline.", "Khoảng 300 km bờ biển.", "en", "vi"),
        ("G20 leaders met on COVID-19.", "二十国集团领导人就新冠肺炎举行会议。", "en", "zh"),
        ("He is 100 percent certain.", "Anh ấy hoàn toàn chắc chắn.", "en", "vi"),
        ("Kim met Trump on the 12th.", "김 위원장은 12일 트럼프 대통령을 만났다.", "en", "ko"),
        ("경찰은 3일 성명을 냈다.", "Police issued a statement on Thursday.", "ko", "en"),
    ],
)
def test_numbers_that_agree_raise_nothing(source: str, target: str, src: str, tgt: str) -> None:
    assert [f for f in number_flags(source, target, src, tgt) if f.severity != "info"] == []


@pytest.mark.parametrize(
    ("source", "target", "src", "tgt", "shown"),
    [
        (
            "全省接待游客366万人次。",
            "The province welcomed 3.36 million visitors.",
            "zh",
            "en",
            "366万",
        ),
        ("The province welcomed 366 visitors.", "Tỉnh đón 367 lượt khách.", "en", "vi", "366"),
        (
            "Tỉnh đón 3,66 triệu khách.",
            "The province welcomed 3.76 million visitors.",
            "vi",
            "en",
            "3,66",
        ),
        ("全省接待游客366万人次。", "全省接待游客366亿人次。", "zh", "zh", "366万"),
        (
            "Revenue reached 48.362 tỷ đồng.",
            "Revenue reached 48,362 million VND.",
            "vi",
            "en",
            "48.362",
        ),
        ("He won 4-1 in February.", "Anh ấy thắng 1-1 vào tháng 2.", "en", "vi", "4"),
        ("At 2pm two police vans arrived.", "午後2時、パトカーが1台到着した。", "en", "ja", "two"),
        (
            "Since 2014 ratings doubled.",
            "Từ năm 2016 tỷ suất người xem tăng gấp đôi.",
            "en",
            "vi",
            "2014",
        ),
        ("Exports rose 17 percent.", "Xuất khẩu tăng mạnh.", "en", "vi", "17"),
    ],
)
def test_changed_or_missing_numbers_are_errors(
    source: str, target: str, src: str, tgt: str, shown: str
) -> None:
    flags = number_flags(source, target, src, tgt)
    assert any(f.severity == "error" and shown in f.message for f in flags), flags


def test_rounding_is_a_warning_and_new_numbers_too() -> None:
    (flag,) = number_flags(
        "Tỉnh đón 3,66 triệu khách.", "It welcomed 3.7 million visitors.", "vi", "en"
    )
    assert flag.severity == "warning" and "rounded" in flag.message
    (extra,) = number_flags(
        "The budget was approved.", "Ngân sách 500 tỷ đồng đã được duyệt.", "en", "vi"
    )
    assert extra.severity == "warning" and "500" in extra.message
    # a small count or an article made explicit is no fault: "another van" -> もう1台
    assert number_flags("another van stood outside", "もう1台が外にあった", "en", "ja") == []


def test_compare_numbers_directly() -> None:
    issues = compare_numbers(extract_numbers("366万", "zh"), extract_numbers("367万", "zh"))
    assert [(i.kind, i.severity) for i in issues] == [("changed", "error")]
    assert "366万" in issues[0].message() and "367万" in issues[0].message()


# ------------------------------------------------------------------ names

GLOSSARY = Glossary(
    "zh",
    "vi",
    (
        GlossaryEntry("per.sun-yeli", ("孙业礼",), "Tôn Nghiệp Lễ", ("Ton Nghiep Le",), (), "PER"),
        GlossaryEntry(
            "cn.fujian",
            ("福建省", "福建"),
            "Phúc Kiến",
            ("Phuc Kien", "Phuc province Kien"),
            ("tỉnh Phúc Kiến",),
            "LOC",
        ),
        GlossaryEntry("cn.guangxi", ("广西",), "Quảng Tây", ("Quang Tay",), (), "LOC"),
    ),
)
EN_VI = Glossary(
    "en",
    "vi",
    (
        GlossaryEntry("vn.quang-ninh", ("Quang Ninh",), "Quảng Ninh", ("Quang Ninh",), (), "LOC"),
        GlossaryEntry(
            "per.sun-yeli", ("Sun Yeli",), "Tôn Nghiệp Lễ", ("Ton Nghiep Le",), (), "PER"
        ),
        GlossaryEntry(
            "term.special", ("Hoa Sen special issue",), "Đặc san Hoa Sen", (), (), "TERM"
        ),
        GlossaryEntry("country.jo", ("Jordan",), "Jordan", ("Jordanie",), (), "LOC"),
    ),
)


def name_flags(
    source: str, target: str, glossary: Glossary, src: str = "zh", tgt: str = "vi"
) -> list[Flag]:
    return [
        f
        for f in qa().check_segment(source, target, src, tgt, glossary)
        if f.check in ("names", "forbidden")
    ]


def test_forbidden_variant_is_an_error() -> None:
    flags = name_flags(
        "广西壮族自治区主席孙业礼会见代表团。", "Chủ tịch Ton Nghiep Le tiếp đoàn.", GLOSSARY
    )
    assert ("forbidden", "error") in {(f.check, f.severity) for f in flags}
    assert any("Tôn Nghiệp Lễ" in f.message for f in flags)
    # forbidden anywhere in the target, named in the source or not
    (only,) = name_flags("代表团访问。", "Đoàn thăm Phuc province Kien.", GLOSSARY)
    assert only.severity == "error" and "Phuc province Kien" in only.message


def test_diacritics_stripped_is_forbidden_but_the_right_form_is_not() -> None:
    assert name_flags("福建", "Tỉnh Phúc Kiến phát triển.", GLOSSARY) == []
    flags = name_flags("福建", "Tinh Phuc Kien phat trien.", GLOSSARY)
    assert [(f.check, f.severity) for f in flags] == [("names", "info"), ("forbidden", "error")]
    # source matching ignores case and diacritics for Latin script
    assert (
        name_flags("Quang Ninh and QUẢNG NINH grow.", "Quảng Ninh phát triển.", EN_VI, "en") == []
    )
    (bad,) = [
        f
        for f in name_flags("Quang Ninh grows.", "Quang Ninh phát triển.", EN_VI, "en")
        if f.severity == "error"
    ]
    assert bad.check == "forbidden"
    # tone marks placed the old way are the same name
    hoa = Glossary(
        "en", "vi", (GlossaryEntry("vn.hoa-binh", ("Hoa Binh",), "Hòa Bình", (), (), "PER"),)
    )
    assert name_flags("Hoa Binh", "Ông Hoà Bình nói.", hoa, "en") == []


def test_missing_preferred_term() -> None:
    (per,) = name_flags("孙业礼会见代表团。", "Chủ tịch tiếp đoàn.", GLOSSARY)
    assert per.severity == "warning" and "Tôn Nghiệp Lễ" in per.message
    (term,) = name_flags("The Hoa Sen special issue is out.", "Số đặc biệt đã ra.", EN_VI, "en")
    assert term.severity == "warning"
    (loc,) = name_flags("广西代表团", "Đoàn đại biểu tỉnh bạn", GLOSSARY)
    assert loc.severity == "info"  # places go by short forms and metonyms: a hint only
    assert name_flags("福建省", "tỉnh Phúc Kiến", GLOSSARY) == []  # an admitted term will do
    assert (
        name_flags("Sun Yeli spoke.", "Sun Yeli phát biểu.", EN_VI, "en") == []
    )  # kept as written


def test_cjk_names_match_exactly_and_latin_names_by_word() -> None:
    assert name_flags("福建人", "Người Phúc Kiến", GLOSSARY) == []
    assert name_flags("孫業禮", "Ông ấy", GLOSSARY) == []  # traditional characters: another name
    # a name inside a longer run of capitalised words is another name: Jordan Spieth
    assert name_flags("Jordan Spieth said so.", "Jordan Spieth nói vậy.", EN_VI, "en") == []
    assert name_flags("jordan almonds", "hạnh nhân", EN_VI, "en") == []
    katakana = Glossary(
        "en", "ja", (GlossaryEntry("my.kuching", ("Kuching",), "クチン", ("チンク",), (), "LOC"),)
    )
    q = qa()
    assert q.check_names("A vaccine.", "ワクチンを打つ。", katakana) == []


def test_forbidden_inside_an_allowed_term_is_no_fault() -> None:
    glossary = Glossary(
        "en",
        "vi",
        (GlossaryEntry("cn.fujian", ("Fujian",), "Phúc Kiến", ("Kiến",), (), "LOC"),),
    )
    assert name_flags("Fujian", "Phúc Kiến", glossary, "en") == []
    (flag,) = name_flags("Fujian", "Phúc Kiến và Kiến", glossary, "en")
    assert flag.check == "forbidden"


def test_matcher_is_built_once_per_glossary_object() -> None:
    q = qa()
    assert q.matcher(GLOSSARY) is q.matcher(GLOSSARY)
    copy = Glossary(GLOSSARY.source_lang, GLOSSARY.target_lang, GLOSSARY.entries)
    assert q.matcher(copy) is not q.matcher(GLOSSARY)
    assert fold("Quảng  Ninh") == "quang  ninh"


# ------------------------------------------------------------------ language, length, markup


def test_empty_untranslated_and_wrong_language() -> None:
    q = qa("en")
    assert q.check_segment("Ông ấy nói vậy.", " ", "vi", "en") == [
        Flag("empty", "error", "the target is empty")
    ]
    same = "Quảng Ninh đón đoàn đại biểu tỉnh Quảng Tây sáng nay."
    (flag,) = q.check_segment(same, same, "vi", "en")
    assert flag.check == "untranslated" and flag.severity == "error"
    assert q.check_segment("BBC News", "BBC News", "en", "vi") == []  # a name stays as it is
    (latin,) = q.check_segment(
        "该省今年接待了大量游客。", "The province welcomed many visitors this year.", "zh", "zh"
    )
    assert latin.check == "language" and latin.severity == "error"
    (chinese,) = q.check_segment("Hello there.", "你好，欢迎来到广宁省参观访问。", "en", "vi")
    assert chinese.check == "language"
    (ja,) = q.check_segment(
        "The province received many visitors.",
        "该省今年接待了大量国内外游客和商务代表团进行参观访问。",
        "en",
        "ja",
    )
    assert ja.severity == "warning" and "Chinese" in ja.message


def test_detector_judges_latin_targets() -> None:
    vi_text = (
        "Tinh Quang Ninh don tiep doan dai bieu cua tinh Quang Tay trong chuyen tham chinh thuc."
    )
    (flag,) = QA(detector=FixedDetector("vi")).check_segment(
        "广宁省接待了广西代表团。", vi_text, "zh", "en"
    )
    assert flag.check == "language" and "Vietnamese" in flag.message
    assert (
        QA(detector=FixedDetector("en")).check_segment(
            "广宁省接待了广西代表团。", vi_text, "zh", "en"
        )
        == []
    )
    assert QA(languages=False).check_segment("广宁省接待了广西代表团。", vi_text, "zh", "en") == []
    quote = "Il faut bien le faire, disait le ministre."
    assert QA(detector=FixedDetector("fr")).check_segment(quote, quote, "en", "ko") == []


def test_length_outliers() -> None:
    long_source = (
        "The province welcomed a record number of international visitors this year, "
        "officials said on Friday."
    )
    (flag,) = qa().check_segment(long_source, "Tỉnh đón khách.", "en", "vi")
    assert flag.check == "length" and "short" in flag.message
    assert qa().check_segment("And I did.", "然后我就在电话里和她道别了。", "en", "zh") == []
    assert (
        qa().check_segment(
            long_source, "该省今年接待的国际游客人数创下纪录，官员周五表示。", "en", "zh"
        )
        == []
    )


@pytest.mark.parametrize(
    ("source", "target", "severity", "word"),
    [
        ("Click <b>here</b> now", "Bấm vào đây ngay</b>", "error", "tag <b>"),
        ("Hello {name}, you have %d messages", "Xin chào, bạn có %d tin nhắn", "error", "{name}"),
        ("See https://hoasen.example/a?b=1 for more", "Xem thêm tại trang web.", "error", "link"),
        ("Write to desk@hoasen.example today", "请写信给办公室", "error", "e-mail"),
        ("Follow #QuangNinh and @baoquangninh", "Theo dõi @baoquangninh", "warning", "#QuangNinh"),
        ("The plan (phase one) starts", "Kế hoạch (giai đoạn một bắt đầu", "warning", "brackets"),
    ],
)
def test_markup_and_placeholders(source: str, target: str, severity: str, word: str) -> None:
    flags = [f for f in qa().check_segment(source, target, "en", "vi") if f.check == "markup"]
    assert any(f.severity == severity and word in f.message for f in flags), flags


def test_unpaired_quotes_are_a_hint() -> None:
    flags = qa().check_segment('He said "yes" today.', "他今天说“是。", "en", "zh")
    assert [(f.check, f.severity) for f in flags] == [("markup", "info")]
    assert qa().check_segment('He said "yes" today.', "他今天说“是”。", "en", "zh") == []
    # a quotation left open in the source may stay open in the target
    assert qa().check_segment('"Yes, he said.', "「はい、と彼は言った。", "en", "ja") == []


def test_markup_next_to_cjk_text() -> None:
    source = "Email jo@samaritans.org or DM @MerPolCC"
    target = "jo@samaritans.orgへメールするか、@MerPolCCにDMしてください"
    assert [f for f in qa().check_segment(source, target, "en", "ja") if f.check == "markup"] == []


def test_document_alignment() -> None:
    flags = check_document(["Một.", "Hai."], ["One."], "vi", "en")
    assert len(flags) == 2 and flags[1][0].check == "missing" and flags[1][0].severity == "error"
    flags = check_document(["Một."], ["One.", "Two."], "vi", "en")
    assert len(flags) == 2 and flags[1][0].check == "extra"
    assert check_segment("Một.", "One.", "vi", "en") == []
    assert is_flagged([Flag("numbers", "warning", "x")]) and not is_flagged(
        [Flag("names", "info", "x")]
    )


# ------------------------------------------------------------------ human translations

HUMAN = [
    (
        "en",
        "vi",
        "Seoul says more than 30,000 North Koreans have crossed the border since 1953.",
        "Seoul cho biết hơn 30.000 người Triều Tiên đã vượt biên kể từ năm 1953.",
    ),
    (
        "en",
        "zh",
        "Fox News led all networks with an average of 5.69 million viewers, Nielsen said.",
        "尼尔森表示，福克斯新闻以平均569万观众领先所有电视网。",
    ),
    (
        "en",
        "ja",
        "Sainsbury's sold its 281-store pharmacy business for £125m three years ago.",
        "セインズベリーは3年前に281店舗の薬局事業を1億2,500万ポンドで売却した。",
    ),
    (
        "en",
        "ko",
        "The beauty market is worth £2.8bn and will be tested in 11 stores.",
        "28억 파운드 규모의 뷰티 시장은 11개 매장에서 시범 운영된다.",
    ),
    (
        "en",
        "ko",
        "Ronaldo, 33, has 142 million followers.",
        "호날두(33세)는 1억 4천 2백만 명의 팔로워를 보유하고 있다.",
    ),
    (
        "en",
        "vi",
        "A total of 68 per cent of pupils achieved a Higher grade A.",
        "Tổng cộng 68% học sinh đạt điểm A.",
    ),
    (
        "en",
        "zh",
        "The original congregation moved out in the 1930s.",
        "原先的会众在 20 世纪 30 年代撤出。",
    ),
    (
        "en",
        "ja",
        "Tensions remain high a year after the October 1 referendum.",
        "10月1日の住民投票から1年後、緊張は依然として高い。",
    ),
    (
        "en",
        "vi",
        "City battles Hoffenheim at 12:55 p.m. on Tuesday.",
        "City đối đầu Hoffenheim lúc 12 giờ 55 trưa thứ Ba.",
    ),
    (
        "en",
        "zh",
        "Three teenage boys and a 20-year-old man have been arrested.",
        "三名十几岁的男孩和一名20岁的男子被捕。",
    ),
    (
        "en",
        "ko",
        "He travelled with his cousin to sell 15 pigs at the market.",
        "그는 사촌과 함께 돼지 열 다섯 마리를 시장에 팔러 갔다.",
    ),
    (
        "en",
        "vi",
        "Rosa will bring up to 10 inches of rain in parts of Mexico on Monday.",
        "Bão Rosa sẽ gây mưa lên tới 10 inch ở một số vùng của Mexico vào thứ Hai.",
    ),
    (
        "zh",
        "en",
        "李勇浩表示，朝鲜在过去一年采取了重大善意措施。",
        "Ri Yong Ho said North Korea had taken significant goodwill measures in the past year.",
    ),
    (
        "ko",
        "en",
        "김정은 위원장은 6월 싱가포르에서 첫 회담을 가졌다.",
        "Kim held their first summit in Singapore in June.",
    ),
    (
        "vi",
        "en",
        "Quảng Ninh đón 15,2 triệu lượt khách trong năm 2023, tăng 28%.",
        "Quang Ninh welcomed 15.2 million visitors in 2023, up 28 percent.",
    ),
]


@pytest.mark.parametrize(("src", "tgt", "source", "target"), HUMAN)
def test_untouched_human_translations_are_not_flagged(
    src: str, tgt: str, source: str, target: str
) -> None:
    flags = QA(languages=False).check_segment(source, target, src, tgt)
    assert not is_flagged(flags), flags


def test_ten_thousand_pairs_in_seconds() -> None:
    q = QA(languages=False)
    pairs = [(s, t, a, b) for a, b, s, t in HUMAN] * 200  # 3,000 pairs
    started = time.perf_counter()
    for source, target, src, tgt in pairs:
        q.check_segment(source, target, src, tgt, GLOSSARY)
    per_pair = (time.perf_counter() - started) / len(pairs)
    assert per_pair < 0.002  # 10,000 pairs well under 20 s even on a busy test machine
