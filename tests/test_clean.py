"""Aggregator junk removal, source-URL capture and learned per-source boilerplate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.analyze.clean import boilerplate_key, clean_text, is_junk_line, strip_learned

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SENTENCE = "The two provinces agreed to exchange news every two weeks and to co-produce programmes."


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "junk",
    [
        "PREV The man died because he walked on the subsidence road",
        "NEXT The first multi-sensory art exhibition in Vietnam",
        "Comment (0)",
        "Comments",
        "Kommentar (0)",
        "Bình luận (0)",
        "3 comments",
        "No comments yet",
        "[annons_2]",
        "[annons]",
        "[Advertisement]",
        "Advertisement",
        "Tags: Spreading Quang Ninh values",
        "Từ khóa: Quảng Ninh, hợp tác",
        "标签：广西",
        "Other news",
        "Tin khác",
        "Related news",
        "Read more: Ha Long Bay welcomes first cruise ship",
        "Xem thêm: Vịnh Hạ Long đón tàu du lịch",
        "The article is in Vietnamese",
        "Lượt xem: 12",
        "Views: 1,234",
        "12 views",
        "Share",
        "Share this article",
        "Facebook | Twitter | Email",
        "Print",
        "Back to top",
        "Chia sẻ",
        "Photo: Xuan Hoa",
        "Follow us on Facebook",
        "Copyright © 2024 Báo Quảng Ninh",
        "Home | News | Politics | Economy | Culture",
        "| | |",
        "* * *",
    ],
)
def test_junk_line_is_removed(junk: str) -> None:
    text = f"{SENTENCE}\n{junk}\n{SENTENCE.replace('two weeks', 'month')}"
    cleaned = clean_text(text)
    assert junk.strip() not in cleaned.text.split("\n")
    assert SENTENCE in cleaned.text and "every month" in cleaned.text


@pytest.mark.parametrize(
    "sentence",
    [
        "Officials said the source of most shared stories is the provincial portal.",
        "Source: officials at the provincial media centre, who asked not to be named.",
        "Nguồn: Báo Quảng Ninh",
        "Next year the two sides plan a bilingual podcast and a joint festival.",
        "Comments from readers in Guangxi were mostly positive, the editor said.",
        "Share prices in Hong Kong rose 2% after the border reopened.",
        "Print runs of the special edition reached 10,000 copies.",
        "Tags on the new shipping containers list both Vietnamese and Chinese ports.",
        "Copyright law reform was debated in the National Assembly on Tuesday.",
        "Views differ on how fast the border trade will recover.",
        "Vietnam - China relations",
    ],
)
def test_real_sentences_are_kept(sentence: str) -> None:
    cleaned = clean_text(f"{SENTENCE}\n{sentence}")
    assert sentence in cleaned.text.split("\n")
    assert cleaned.source_url is None


@pytest.mark.parametrize(
    "line",
    [
        "Source: https://baoquangninh.vn/thuc-day-hoi-nhap-3388666.html",
        "Källa: https://baoquangninh.vn/thuc-day-hoi-nhap-3388666.html",
        "Nguồn: https://baoquangninh.vn/thuc-day-hoi-nhap-3388666.html",
        "来源：https://baoquangninh.vn/thuc-day-hoi-nhap-3388666.html",
        "(Source: https://baoquangninh.vn/thuc-day-hoi-nhap-3388666.html)",
    ],
)
def test_source_url_is_captured_not_kept_in_text(line: str) -> None:
    cleaned = clean_text(f"{SENTENCE}\n{line}\n\n\nComment (0)")
    assert cleaned.source_url == "https://baoquangninh.vn/thuc-day-hoi-nhap-3388666.html"
    assert cleaned.text == SENTENCE


def test_view_counter_is_cut_from_a_dateline() -> None:
    cleaned = clean_text("Title\nPublish date 04-10-2023 16:01, Lượt xem: 12\n" + SENTENCE)
    assert cleaned.text.split("\n")[1] == "Publish date 04-10-2023 16:01"


def test_navigation_block_after_other_news_is_cut() -> None:
    text = fixture("seedlike_en.txt")
    cleaned = clean_text(text)
    assert "Ha Long Bay welcomes first cruise ship of the year" not in cleaned.text
    assert "Van Don airport" not in cleaned.text
    assert cleaned.text.endswith("about 1,000 articles a year in Chinese.")


def test_other_news_followed_by_a_paragraph_keeps_the_paragraph() -> None:
    paragraph = (
        "After the meeting, the delegation visited Ha Long Bay and the Van Don economic zone, "
        "where investors presented projects worth more than 2 billion USD to the guests."
    )
    cleaned = clean_text(f"{SENTENCE}\nOther news\nShort headline\n{paragraph}")
    assert paragraph in cleaned.text and "Short headline" in cleaned.text
    assert "Other news" not in cleaned.text


def test_seedlike_english_copy() -> None:
    cleaned = clean_text(fixture("seedlike_en.txt"))
    lines = cleaned.text.split("\n")
    assert lines[0] == "Investment News"
    assert "Publish date 12-03-2024 09:30" in lines
    assert cleaned.source_url == "https://example.org/news/quang-ninh-guangxi-exchange-plan.html"
    for junk in (
        "Share",
        "[annons]",
        "Views",
        "Tags:",
        "Comment (0)",
        "PREV",
        "NEXT",
        "Vietnamese",
    ):
        assert junk not in cleaned.text
    # the repeated paragraph (aggregators copy captions and paragraphs twice) appears once
    assert cleaned.text.count("The plan continues cooperation") == 1
    assert "\n\n\n" not in cleaned.text


def test_seedlike_swedish_copy() -> None:
    cleaned = clean_text(fixture("seedlike_sv.txt"))
    assert cleaned.source_url == "https://example.org/nyheter/samarbete-radio-tv-2024.htm"
    assert cleaned.text.endswith("delade med sig av resultaten.")
    assert "[annons_2]" in cleaned.removed and "Kommentar (0)" in cleaned.removed


def test_seedlike_vietnamese_copy() -> None:
    cleaned = clean_text(fixture("seedlike_vi.txt"))
    assert cleaned.source_url == "https://example.org/tin-tuc/quang-ninh-quang-tay.html"
    for junk in ("Lượt xem", "Chia sẻ", "Từ khóa", "Bình luận", "Tin khác", "Vịnh Hạ Long"):
        assert junk not in cleaned.text
    assert cleaned.text.split("\n")[-1].startswith("Theo đó, hai bên")


def test_table_rows_lose_empty_cells_but_stay_tables() -> None:
    cleaned = clean_text("| | Author: Nguyen Van An | |\n| Name | Age | City | Country |")
    assert cleaned.text == "Author: Nguyen Van An\n| Name | Age | City | Country |"


def test_blank_runs_are_collapsed_and_ends_trimmed() -> None:
    cleaned = clean_text(f"\n\n{SENTENCE}\n\n\n\n{SENTENCE[:20]}\n\n\n  \n")
    assert cleaned.text == f"{SENTENCE}\n\n{SENTENCE[:20]}"


def test_boilerplate_key_is_stable_and_normalised() -> None:
    key = boilerplate_key("Follow Báo Quảng Ninh on Zalo   (12 posts)")
    assert key is not None and re.fullmatch(r"[0-9a-f]{16}", key)
    assert boilerplate_key("follow báo quảng ninh on zalo (99 posts)") == key
    assert boilerplate_key("Another line entirely") != key
    assert boilerplate_key("x" * 201) is None
    assert boilerplate_key("   ") is None


def test_strip_learned_drops_only_lines_seen_often_enough() -> None:
    footer = "Báo Quảng Ninh - Cơ quan của Đảng bộ tỉnh Quảng Ninh"
    rare = "Đường dây nóng: 0203 123 456"
    text = f"{SENTENCE}\n{footer}\n{rare}"
    counts = {boilerplate_key(footer) or "": 4, boilerplate_key(rare) or "": 3}
    assert strip_learned(text, counts, min_docs=4) == f"{SENTENCE}\n{rare}"
    assert strip_learned(text, {}, min_docs=4) == text


def test_strip_learned_never_drops_long_paragraphs() -> None:
    long_line = SENTENCE * 3
    counts = {"0" * 16: 100}
    assert strip_learned(long_line, counts, min_docs=1) == long_line


_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "",
                "Comment (0)",
                "Other news",
                "PREV Headline",
                "Source: https://example.org/a",
                "| a | | b |",
                "| Name | Age | City | Country |",
                "| x - y | | z - w |",
                "Home | News | Sport | Business",
                "Lượt xem: 3",
                SENTENCE,
                "Short line",
            ]
        ),
        st.text(max_size=80),
    ),
    max_size=15,
)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_clean_text_is_idempotent(lines: list[str]) -> None:
    once = clean_text("\n".join(lines))
    twice = clean_text(once.text)
    assert twice.text == once.text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=500))
def test_clean_text_never_raises(text: str) -> None:
    cleaned = clean_text(text)
    assert not cleaned.text.endswith("\n") and "\n\n\n" not in cleaned.text
    assert all(not is_junk_line(line) for line in cleaned.text.split("\n") if line)
