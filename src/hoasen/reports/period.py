"""Report periods: calendar days, ISO weeks and months in the office's time zone, or custom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hoasen.errors import UsageError

KINDS = ("daily", "weekly", "monthly", "thematic")
KIND_CODES = {"daily": "N", "weekly": "T", "monthly": "TH", "thematic": "CD", "custom": "K"}


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and the calendar days it covers in the office's time zone."""

    first_day: date
    last_day: date  # inclusive
    start: datetime
    end: datetime

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        days = (self.last_day - self.first_day).days + 1
        return Period(
            self.first_day - timedelta(days=days),
            self.first_day - timedelta(days=1),
            self.start - (self.end - self.start),
            self.start,
        )

    def as_json(self) -> dict[str, str]:
        """{"from", "to"} as calendar dates, plus the exact UTC bounds."""
        return {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def zone(name: str) -> ZoneInfo:
    """The office's time zone, or a clear error for a bad setting."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"unknown time zone {name!r} (setting office_timezone)") from exc


def days(first: date, last: date, tz: ZoneInfo) -> Period:
    """The calendar days first..last (inclusive) in `tz`."""
    if last < first:
        raise UsageError(f"the period ends ({last}) before it starts ({first})")
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return Period(first, last, start, end)


def period_for(
    kind: str,
    tz: ZoneInfo,
    on: date | None = None,
    first: date | None = None,
    last: date | None = None,
    today: date | None = None,
) -> Period:
    """The period of a report: `--from/--to` when given (any kind), else the day, ISO week or
    calendar month holding `on` (default today). A thematic report without dates covers the
    last 30 days."""
    if (first is None) != (last is None):
        raise UsageError("give both --from and --to, or neither")
    if first is not None and last is not None:
        if on is not None:
            raise UsageError("give either --date or --from/--to, not both")
        return days(first, last, tz)
    today = today or datetime.now(tz).date()
    day = on or today
    if kind == "daily":
        return days(day, day, tz)
    if kind == "weekly":
        monday = day - timedelta(days=day.weekday())
        return days(monday, monday + timedelta(days=6), tz)
    if kind == "monthly":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return days(start, following - timedelta(days=1), tz)
    if kind == "thematic":
        return days(day - timedelta(days=29), day, tz)
    raise UsageError(f"unknown report kind {kind!r}; kinds: {', '.join(KINDS)}")
