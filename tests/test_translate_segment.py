"""Sentence splitting for translation: where sentences end in each script, what does not end one
(abbreviations, initials, decimals, quotes and brackets), and that the pieces always join back
into the text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.translate.segment import Sentence, split_paragraphs, split_sentences


def squeeze(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "zh",
            "广西壮族自治区主席孙业礼会见了越南客人。双方同意加强合作！真的吗？好",
            ["广西壮族自治区主席孙业礼会见了越南客人。", "双方同意加强合作！", "真的吗？", "好"],
        ),
        (
            "zh",
            "他说：“我们来了。你们好。”随后离开。",
            ["他说：“我们来了。你们好。”", "随后离开。"],
        ),
        ("zh", "收入3.5亿元。增长12.5%。", ["收入3.5亿元。", "增长12.5%。"]),
        ("ja", "日本語です。これはペンです!次です", ["日本語です。", "これはペンです!", "次です"]),
        (
            "en",
            "Mr. Smith met the U.S. envoy at 3.5 p.m. on Monday. They talked. Dr. Lee joined.",
            [
                "Mr. Smith met the U.S. envoy at 3.5 p.m. on Monday.",
                "They talked.",
                "Dr. Lee joined.",
            ],
        ),
        (
            "en",
            'He said "Go. Now." Then he left (see p. 4. Or not.) quickly.',
            ['He said "Go. Now."', "Then he left (see p. 4. Or not.) quickly."],
        ),
        (
            "en",
            "It grew 3.66 million in 2023. Next year?",
            ["It grew 3.66 million in 2023.", "Next year?"],
        ),
        ("en", "Visit baoquangninh.vn today. Thanks!", ["Visit baoquangninh.vn today.", "Thanks!"]),
        (
            "en",
            "J. R. R. Tolkien wrote it. e.g. this one.",
            ["J. R. R. Tolkien wrote it. e.g. this one."],
        ),
        (
            "vi",
            "Đoàn đến TP.HCM. Ông Nguyễn Văn A. phát biểu. PGS.TS. Trần Văn B dự. Doanh thu đạt "
            "48.362 tỷ đồng, tăng 3,5%.",
            [
                "Đoàn đến TP.HCM.",
                "Ông Nguyễn Văn A. phát biểu.",
                "PGS.TS. Trần Văn B dự.",
                "Doanh thu đạt 48.362 tỷ đồng, tăng 3,5%.",
            ],
        ),
        ("vi", "Tại TP. Hồ Chí Minh, v.v. Hết.", ["Tại TP. Hồ Chí Minh, v.v. Hết."]),
        (
            "de",
            "Er kam am 3. Oktober. Dann ging er z.B. heim.",
            ["Er kam am 3. Oktober.", "Dann ging er z.B. heim."],
        ),
        (
            "fr",
            "M. Dupont est venu. Mme Martin aussi.",
            ["M. Dupont est venu.", "Mme Martin aussi."],
        ),
        (
            "ru",
            "В 2023 г. Москва выросла. Т.е. больше.",
            ["В 2023 г. Москва выросла.", "Т.е. больше."],
        ),
        (
            "ko",
            "그는 말했다. 우리는 간다. 3.5%였다.",
            ["그는 말했다.", "우리는 간다.", "3.5%였다."],
        ),
        (
            "es",
            "¿Qué pasó? El Sr. López llegó. ¡Bien!",
            ["¿Qué pasó?", "El Sr. López llegó.", "¡Bien!"],
        ),
        ("th", "ประโยคแรก ประโยคที่สอง", ["ประโยคแรก ประโยคที่สอง"]),
        ("en", "", []),
        ("en", "   \n ", []),
    ],
)
def test_split_sentences(lang: str, text: str, expected: list[str]) -> None:
    assert split_sentences(text, lang) == expected


def test_blank_lines_end_sentences_and_paragraphs_keep_their_index() -> None:
    assert split_sentences("Title without stop\n\nBody starts here. And ends.", "en") == [
        "Title without stop",
        "Body starts here.",
        "And ends.",
    ]
    text = "Para one. Second sentence.\n\n  \nPara two!\n第三段。第四句。"
    assert split_paragraphs(text, "en") == [
        Sentence(0, "Para one."),
        Sentence(0, "Second sentence."),
        Sentence(1, "Para two!"),
        Sentence(2, "第三段。"),
        Sentence(2, "第四句。"),
    ]


def test_unmatched_quotes_do_not_stop_splitting() -> None:
    text = "“Unclosed quote. Second sentence. Third one."
    assert len(split_sentences(text, "en")) == 3
    long_quote = "“" + "这是一句很长的话。" * 60 + "”"
    assert len(split_sentences(long_quote, "zh")) == 60  # too long to be one quotation


ALPHABET = st.sampled_from(
    [
        *"abcXYZ 12.,!?。！？…\"'“”‘’「」（）()[]《》\n\t 广西越南TPHCMUS Mr Dr ",
        *["Mr.", "U.S.", "3.5", "TP.HCM", " ", "\n\n", "。”", ". A", "e.g."],
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(ALPHABET, max_size=60).map("".join),
    st.sampled_from(["en", "vi", "zh", "ja", "de", "th", ""]),
)
def test_pieces_join_back_into_the_text(text: str, lang: str) -> None:
    pieces = split_sentences(text, lang)
    assert all(p and p == p.strip() for p in pieces)
    assert squeeze("".join(pieces)) == squeeze(text)
    sentences = split_paragraphs(text, lang)
    assert squeeze("".join(s.text for s in sentences)) == squeeze(text)
    indexes = [s.paragraph for s in sentences]
    assert indexes == sorted(indexes)
