"""When a report schedule is due: its instants (daily, weekly on a weekday, monthly on a day, at
HH:MM in the office time zone) as UTC times, and the report period each instant covers.

Wall-clock times are turned into instants with zoneinfo, so a schedule keeps its local time
across daylight-saving changes. A time skipped by a spring-forward gap is read with the offset
before the change (02:30 on a night 02:00 -> 03:00 happens at 03:30); a time that happens twice
in an autumn fall-back is read the first time. Either way each date has exactly one instant.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hoasen.errors import UsageError

SCHEDULE_KINDS = ("daily", "weekly", "monthly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAY = 28  # every month has it
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_at(value: str) -> str:
    """A time of day as HH:MM ("7:30" -> "07:30"); UsageError when it is not one."""
    found = _HHMM.match(str(value).strip())
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise UsageError(f"the time must be HH:MM (00:00 to 23:59), not {value!r}")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def parse_weekday(value: int | str) -> int:
    """A weekday as 0 (Monday) to 6, from a number or a name (mon, Monday, tue...)."""
    text = str(value).strip().lower()
    if text.isdigit() and int(text) < 7:
        return int(text)
    if len(text) >= 3 and text[:3] in WEEKDAYS:
        return WEEKDAYS.index(text[:3])
    raise UsageError(f"the weekday must be mon..sun or 0 (Monday) to 6, not {value!r}")


def parse_day(value: int | str) -> int:
    """A day of the month from 1 to 28 (so every month has it)."""
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAY:
        raise UsageError(f"the day of the month must be 1 to {MAX_DAY}, not {value!r}")
    return int(text)


def aware(value: datetime, what: str = "the time") -> datetime:
    """`value` in UTC; UsageError for a time without a zone (it would be read ambiguously)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(f"{what} needs a time zone, e.g. 2026-05-04T07:30:00+07:00")
    return value.astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _anchor(kind: str, today: date, weekday: int | None, day: int | None) -> date:
    """The latest scheduled date on or before `today` (times of day aside)."""
    if kind == "daily":
        return today
    if kind == "weekly":
        return today - timedelta(days=(today.weekday() - (weekday or 0)) % 7)
    if kind == "monthly":
        wanted = day or 1
        month = today if today.day >= wanted else _add_months(today.replace(day=1), -1)
        return month.replace(day=wanted)
    raise UsageError(f"unknown schedule kind {kind!r}; kinds: {', '.join(SCHEDULE_KINDS)}")


def _step(kind: str, day: date, steps: int) -> date:
    if kind == "daily":
        return day + timedelta(days=steps)
    if kind == "weekly":
        return day + timedelta(days=7 * steps)
    return _add_months(day, steps)


def instant(day: date, at: str, tz: ZoneInfo) -> datetime:
    """HH:MM on `day` in `tz`, as a UTC time (see the module's note on DST gaps and folds)."""
    hours, minutes = (int(x) for x in parse_at(at).split(":"))
    return datetime.combine(day, time(hours, minutes), tz).astimezone(UTC)


def latest(
    kind: str,
    at: str,
    now: datetime,
    tz: ZoneInfo,
    weekday: int | None = None,
    day: int | None = None,
) -> datetime:
    """The latest scheduled instant at or before `now`, in UTC."""
    now = aware(now)
    on = _anchor(kind, now.astimezone(tz).date(), weekday, day)
    when = instant(on, at, tz)
    if when > now:
        when = instant(_step(kind, on, -1), at, tz)
    return when


def following(
    kind: str,
    at: str,
    now: datetime,
    tz: ZoneInfo,
    weekday: int | None = None,
    day: int | None = None,
) -> datetime:
    """The first scheduled instant after `now`, in UTC."""
    last = latest(kind, at, now, tz, weekday, day)
    return instant(_step(kind, last.astimezone(tz).date(), 1), at, tz)


def period_day(kind: str, due: datetime, tz: ZoneInfo) -> date:
    """A day of the period the report due at `due` covers (the `on` of `period_for`): the
    office-time day before the due date (daily), the ISO week before (weekly) or the calendar
    month before (monthly): a report is built once its period is over."""
    local = aware(due).astimezone(tz).date()
    if kind == "daily":
        return local - timedelta(days=1)
    if kind == "weekly":
        return local - timedelta(days=7)
    if kind == "monthly":
        return local.replace(day=1) - timedelta(days=1)
    raise UsageError(f"unknown schedule kind {kind!r}; kinds: {', '.join(SCHEDULE_KINDS)}")
