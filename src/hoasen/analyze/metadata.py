"""Article metadata from loose text: publication dates, datelines and author bylines.

Numeric dates are read by regular expressions (day-first when ambiguous, as in Vietnam and most
of the world); dates with month names go to dateparser, restricted to the desk's languages so a
miss stays cheap. Times without a zone are taken as UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone

import dateparser

from hoasen.settings import DEFAULT_LANGUAGES

_TIME = re.compile(
    r"(?<!\d)([01]?\d|2[0-3])\s*[:hg]\s*([0-5]\d)(?::([0-5]\d))?(?:\.\d+)?"
    r"(?:\s*([AaPp])\.?[Mm]\.?)?(?!\d)"
)
_TZ = re.compile(
    r"(?:(?<![A-Za-z])(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?)"
    r"|(?:(?<=\d)\s*([+-])(\d{2}):?(\d{2})(?!\d))"
    r"|(?:(?<=\d)Z\b)"
    r"|(?:(?<![A-Za-z])(?:GMT|UTC)(?![A-Za-z]))"
)
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_CJK = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일号]?")
_VI = re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:,|năm)?\s*(\d{4})", re.I)
_WORDY = re.compile(
    r"(?<!\d)\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:de\s+)?[^\W\d_]{3,}\.?,?\s+(?:de\s+)?\d{4}(?!\d)"
    r"|[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}(?!\d)"
)
_DATEPARSER_SETTINGS = {
    "RETURN_AS_TIMEZONE_AWARE": False,
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
    "REQUIRE_PARTS": ["day", "month", "year"],
}
_MAX_DATELINE = 160

_LABELS = re.compile(
    r"\b(?:publish(?:ed)?|posted|updated?|last|modified|date|time|on|at|created|"
    r"ngày|đăng|lúc|cập|nhật|xuất|bản|thời|gian|lượt|xem|views?|thứ|hai|ba|tư|năm|sáu|bảy|"
    r"chủ|nhật|publicerad|uppdaterad|veröffentlicht|aktualisiert|am|um|publié|mis|jour|le|à|"
    r"publicado|actualizado|el|diterbitkan|dipublikasikan|pukul|wib|gmt|utc|ict|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\b",
    re.I,
)
_CJK_LABEL = re.compile(
    r"发布时间|發佈時間|发布日期|更新时间|更新|时间|時間|日期|发表于|發表於|发表评论|發表評論|评论|評論|"
    r"星期.|[：:|/]"
)
# "来源：千龙新闻网", "Source: Reuters", a bare URL: the outlet named beside a date.
_SOURCE_PART = re.compile(
    r"(?:来源|來源|出处|source|nguồn|quelle|källa|fuente|sumber)\s*[:：]\s*\S+|https?://\S+|www\.\S+",
    re.I,
)

_AUTHOR_PREFIX = re.compile(
    r"^\s*(?:by|from|written by|text(?: and photos?)?|author|authors|reporter|posted by|"
    r"bởi|tác giả|theo|phóng viên|pv|bài(?: và ảnh)?|av|von|par|por|автор|oleh|作者|记者|記者|文)"
    r"\s*[:：/]?\s+",
    re.I,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")


def parse_date(text: str, language: str | None = None) -> datetime | None:
    """A date (and time) written in `text`, as an aware UTC datetime; None when there is none.

    Numeric dates are day-first when ambiguous (04-10-2023 is 4 October).
    """
    if not text or len(text) > 400:
        return None
    found = _find_date(text, language)
    if found is None:
        return None
    day, span = found
    rest = text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]
    hour = minute = second = 0
    clock = _TIME.search(rest)
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        ampm = (clock.group(4) or "").lower()
        if ampm == "p" and hour < 12:
            hour += 12
        elif ampm == "a" and hour == 12:
            hour = 0
    zone = _zone(rest)
    try:
        local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None
    return local.astimezone(UTC)


def find_dateline(lines: Sequence[str], language: str | None = None) -> tuple[int, datetime] | None:
    """The first line that is only a dateline ("Publish date 04-10-2023 16:01", "Thứ Hai,
    4/10/2023"), as (index, date); None when no line is. Sentences that mention a date are not."""
    for index, line in enumerate(lines):
        text = line.strip()
        if not text or len(text) > _MAX_DATELINE:
            continue
        # The date found below is one of these spans: when none leaves a bare line, the line
        # is no dateline, and no month name is sent to dateparser (~1-3 ms a call).
        if not any(_only_date(text, span) for span in _date_spans(text)):
            continue
        found = _find_date(text, language)
        if found is None or not _only_date(text, found[1]):
            continue
        when = parse_date(text, language)
        if when is not None:
            return index, when
    return None


def _only_date(text: str, span: tuple[int, int]) -> bool:
    """True when `text` without the date at `span` holds at most two words besides labels,
    times, zones and a named source: a dateline, not a sentence that mentions a date."""
    start, end = span
    rest = _SOURCE_PART.sub(" ", text[:start] + " " + text[end:])
    rest = _TZ.sub(" ", _TIME.sub(" ", rest))
    rest = _CJK_LABEL.sub(" ", _LABELS.sub(" ", rest))
    words = re.findall(r"[^\W\d_]+", rest)
    cjk = sum(1 for w in words for ch in w if _is_cjk(ch))
    return len([w for w in words if not _is_cjk(w[0])]) + cjk / 4 <= 2


def _date_spans(text: str) -> Iterator[tuple[int, int]]:
    """Every span `_find_date` could return for `text` (its patterns' matches), found with
    regular expressions alone."""
    for pattern in (_ISO, _CJK, _VI, _DMY, _WORDY):
        for match in pattern.finditer(text):
            yield match.span()


def clean_author(text: str | None) -> str | None:
    """A tidy author name from a byline ("By Jane Roe | Reuters" -> "Jane Roe"); None when the
    byline holds no name (empty, a URL, a date, or far too long)."""
    if not text:
        return None
    name = _URL.sub(" ", _EMAIL.sub(" ", text))
    name = re.sub(r"\s+", " ", name).strip(" \t\n-–—|,;:·•()[]")
    previous = None
    while previous != name:
        previous = name
        name = _AUTHOR_PREFIX.sub("", name).strip(" -–—|,;:·•")
    name = re.split(r"\s+[|•·]\s+", name)[0]
    name = name.strip(" -–—|,;:·•()[]")
    if not name or len(name) > 100 or not re.search(r"[^\W\d_]", name):
        return None
    if _find_date(name, None) is not None:
        return None
    return name


def writes_day(text: str, day: datetime) -> bool:
    """True when `text` (a page's HTML, its URL) writes this calendar day in full, with its day
    of the month: '2025-03-01', '01/03/2025', '2025年3月1日', '1 tháng 3 năm 2025', 'March 1,
    2025', '20250301'. A bare year or month ('năm 2025', 'tháng 3/2025') is not a day."""
    want = (day.year, day.month, day.day)
    if f"{day.year}{day.month:02d}{day.day:02d}" in text:
        return True
    for pattern, order in ((_ISO, "ymd"), (_CJK, "ymd"), (_VI, "dmy"), (_DMY, "dmy")):
        for match in pattern.finditer(text):
            a, b, c = (int(g) for g in match.groups())
            if order == "ymd" and (a, b, c) == want:
                return True
            # day-first or month-first: either order names the day
            if order == "dmy" and c == day.year and {(b, a), (a, b)} & {want[1:]}:
                return True
    year = str(day.year)
    for match in _WORDY.finditer(text):
        found = match.group(0)
        if year in found and re.search(rf"(?<!\d)0?{day.day}(?!\d)", found):
            parsed = _wordy(found, None)
            if parsed is not None and (parsed.year, parsed.month, parsed.day) == want:
                return True
    return False


def _find_date(text: str, language: str | None) -> tuple[datetime, tuple[int, int]] | None:
    """The first plausible calendar date in text, with its character span."""
    for pattern, order in ((_ISO, "ymd"), (_CJK, "ymd"), (_VI, "dmy"), (_DMY, "dmy")):
        for match in pattern.finditer(text):
            a, b, c = (int(g) for g in match.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            if order == "dmy" and month > 12 >= day:
                month, day = day, month
            found = _plausible(year, month, day)
            if found is not None:
                return found, match.span()
    for match in _WORDY.finditer(text):
        found = _wordy(match.group(0), language)
        if found is not None:
            return found, match.span()
    return None


def _wordy(text: str, language: str | None) -> datetime | None:
    """A date written with a month name, read by dateparser in the desk's languages."""
    languages = [language] if language else list(DEFAULT_LANGUAGES)
    try:
        parsed = dateparser.parse(text, languages=languages, settings=_DATEPARSER_SETTINGS)
    except (ValueError, TypeError, OverflowError):
        return None
    if parsed is None:
        return None
    return _plausible(parsed.year, parsed.month, parsed.day)


def _plausible(year: int, month: int, day: int) -> datetime | None:
    if not 1970 <= year <= datetime.now(UTC).year + 1:
        return None
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def _zone(text: str) -> timezone:
    """The UTC offset written in text (GMT+7, +07:00, Z); UTC when none is."""
    match = _TZ.search(text)
    if match is None:
        return UTC
    if match.group(1):
        sign, hours, minutes = match.group(1), match.group(2), match.group(3)
    elif match.group(4):
        sign, hours, minutes = match.group(4), match.group(5), match.group(6)
    else:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        return UTC
    return timezone(-offset if sign == "-" else offset)


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff"
