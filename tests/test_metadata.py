"""Dates, datelines and bylines read from loose article text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.analyze import metadata
from hoasen.analyze.metadata import clean_author, find_dateline, parse_date, writes_day


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Publish date 04-10-2023 16:01", None, utc(2023, 10, 4, 16, 1)),
        ("Thứ Hai, 4/10/2023 16:01 (GMT+7)", "vi", utc(2023, 10, 4, 9, 1)),
        ("ngày 4 tháng 10 năm 2023", "vi", utc(2023, 10, 4)),
        ("2023-10-04T16:01:00+07:00", None, utc(2023, 10, 4, 9, 1)),
        ("2023-10-04T16:01:00Z", None, utc(2023, 10, 4, 16, 1)),
        ("2023年10月4日 16:01", "zh", utc(2023, 10, 4, 16, 1)),
        ("2023년 10월 4일", "ko", utc(2023, 10, 4)),
        ("October 4, 2023", "en", utc(2023, 10, 4)),
        ("4 oktober 2023", "sv", utc(2023, 10, 4)),
        ("4. Oktober 2023", None, utc(2023, 10, 4)),
        ("Posted 10/25/2023 3:05 pm", "en", utc(2023, 10, 25, 15, 5)),
        ("Cập nhật 16h30 ngày 04/10/2023", "vi", utc(2023, 10, 4, 16, 30)),
    ],
)
def test_parse_date(text: str, language: str | None, expected: datetime) -> None:
    assert parse_date(text, language) == expected


@pytest.mark.parametrize(
    "text",
    ["", "12 views", "On September 22, Mr. Quang met the delegation", "31/02/2023", "1850-01-01"],
)
def test_parse_date_finds_nothing(text: str) -> None:
    assert parse_date(text) is None


def test_find_dateline_skips_sentences_with_dates() -> None:
    lines = [
        "On 4 October 2023 the two provinces signed a cooperation agreement in Ha Long.",
        "Publish date 04-10-2023 16:01",
        "Body text.",
    ]
    assert find_dateline(lines) == (1, utc(2023, 10, 4, 16, 1))


@pytest.mark.parametrize(
    "line",
    [
        "Thứ Hai, 04/03/2024 16:01 (GMT+7)",
        "Posted on March 4, 2024",
        "2005-04-27 14:32更新 来源：千龙新闻网 | 发表评论",
        "发布时间：2024-03-04 16:01",
        "Publicerad 4 mars 2024",
    ],
)
def test_find_dateline_recognises_datelines(line: str) -> None:
    found = find_dateline(["Headline", line])
    assert found is not None and found[0] == 1


def test_find_dateline_none_without_dates() -> None:
    assert find_dateline(["Headline", "Body without any date at all."]) is None


def _dateline_by_parsing_every_line(lines: list[str]) -> tuple[int, datetime] | None:
    """`find_dateline` without its cheap pre-check: every date is parsed, then judged."""
    for index, line in enumerate(lines):
        text = line.strip()
        if not text or len(text) > metadata._MAX_DATELINE:
            continue
        found = metadata._find_date(text, None)
        if found is not None and metadata._only_date(text, found[1]):
            when = parse_date(text)
            if when is not None:
                return index, when
    return None


_PIECES = [
    "Posted on", "March 4, 2024", "4 mars 2024", "Marchx 4, 2024", "2024-03-04", "04/03/2024",
    "16:01", "GMT+7", "by", "Jane Roe", "the delegation met", "Thứ Hai,", "ngày", "2024年3月4日",
    "Source: Reuters", "Updated", "Monday", "the", "visit", "31/02/2024", "Septembre 31, 2023",
    "updated 12 Foo 2023", "|", "·", "on", "of", "province", "and 5 April 2023 too",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=7).map(" ".join), max_size=6))
def test_find_dateline_precheck_changes_nothing(lines: list[str]) -> None:
    assert find_dateline(lines) == _dateline_by_parsing_every_line(lines)


def test_find_dateline_sends_no_sentence_to_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = metadata._wordy
    monkeypatch.setattr(metadata, "_wordy", lambda t, lang: calls.append(t) or real(t, lang))
    sentence = "On 4 October 2023 the two provinces signed a cooperation agreement in Ha Long."
    assert find_dateline([sentence, "Body text."]) is None
    assert calls == []
    assert find_dateline(["Posted on March 4, 2024"]) is not None and calls


@pytest.mark.parametrize(
    ("byline", "name"),
    [
        ("By Jane Roe | Reuters", "Jane Roe"),
        ("Bởi Nguyễn Văn A", "Nguyễn Văn A"),
        ("Tác giả: Trần Thị B", "Trần Thị B"),
        ("  Nguyen Van An  ", "Nguyen Van An"),
        ("Jane Roe (jane@example.org)", "Jane Roe"),
        ("https://example.org/authors/jane", None),
        ("04/10/2023", None),
        ("", None),
        (None, None),
        ("x" * 150, None),
    ],
)
def test_clean_author(byline: str | None, name: str | None) -> None:
    assert clean_author(byline) == name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parse_date_is_none_or_aware_utc(text: str) -> None:
    found = parse_date(text)
    assert found is None or found.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cập nhật 01/03/2025 08:00", True),
        ("2025-03-01T00:00:00+07:00", True),
        ("2025年3月1日", True),
        ("ngày 1 tháng 3 năm 2025", True),
        ("March 1, 2025", True),
        ("/2025/03/01/bai-viet.html", True),
        ("/20250301/bai-viet.html", True),
        ("trong năm 2025", False),
        ("tháng 3/2025", False),
        ("© 2025 Báo Quảng Ninh", False),
        ("March 2025", False),
        ("11/03/2025", False),
    ],
)
def test_writes_day(text: str, expected: bool) -> None:
    assert writes_day(text, datetime(2025, 3, 1)) is expected
