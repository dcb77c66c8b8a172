"""Times of the events calendar: IANA zones, parsing of dates and times, RFC 5545 rules
expanded in the event's own zone (DST-correct), the period asked about, and the occurrences of
an event in it. Pure functions over stored rows; `hoasen.registers.events` builds on them."""

from __future__ import annotations

import calendar as calendars
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from hoasen.errors import UsageError
from hoasen.store.events import EventRow

MAX_OCCURRENCES = 5000  # per event and query: a FREQ=MINUTELY rule cannot run away
When = date | datetime | str  # a date, an instant, or either as ISO text


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone called `name`; UsageError when there is none."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"unknown time zone {name!r} (use an IANA name like Asia/Ho_Chi_Minh)"
        ) from exc


def parse_when(value: When, name: str) -> date | datetime:
    """A date (all day) or a datetime (naive: wall time in the event's zone) from ISO text."""
    if isinstance(value, date):
        return value
    text = value.strip().replace(" ", "T", 1)
    try:
        if "T" not in text:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"{name} must be a date (2026-03-01) or a time (2026-03-01T09:00), not {value!r}"
        ) from exc


def rule_for(text: str, dtstart: datetime) -> rrule:
    """The dateutil rule of an RRULE value from `dtstart` (aware for timed events, naive local
    midnight for all-day ones); UNTIL is brought to the form dateutil wants for that start (UTC
    for an aware start, local wall time for a naive one). UsageError when it cannot be one."""
    parts = []
    for part in text.strip().removeprefix("RRULE:").split(";"):
        key, _, value = part.partition("=")
        if key.strip().upper() == "UNTIL" and value:
            value = _until(value.strip(), dtstart)
        parts.append(f"{key.strip().upper()}={value.strip()}")
    try:
        found = rrulestr(";".join(parts), dtstart=dtstart)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"not an RFC 5545 RRULE: {text!r} ({exc})") from exc
    if not isinstance(found, rrule):
        raise UsageError(f"not a single RRULE: {text!r}")
    return found


def _until(value: str, dtstart: datetime) -> str:
    try:
        if len(value) == 8:
            until = datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59)
        else:
            until = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
            if value.endswith("Z"):
                until = until.replace(tzinfo=UTC)
    except ValueError as exc:
        raise UsageError(f"RRULE UNTIL {value!r} is not a date or a date-time") from exc
    if dtstart.tzinfo is not None:
        if until.tzinfo is None:
            until = until.replace(tzinfo=dtstart.tzinfo)
        return until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if until.tzinfo is not None:
        until = until.replace(tzinfo=None)  # an all-day rule: the UTC date is near enough
    return until.strftime("%Y%m%dT%H%M%S")


@dataclass(frozen=True)
class Window:
    """A period asked about: its instants [start, end) and its days [first, last]. Timed
    occurrences are matched by instant, all-day ones by day."""

    start: datetime
    end: datetime
    first: date
    last: date

    @classmethod
    def of(cls, begin: date | datetime, end: date | datetime, office: ZoneInfo) -> Window:
        """A window from two days (both included, midnight in the office's zone) or two
        instants (end excluded; naive ones in the office's zone)."""
        if not isinstance(begin, datetime) and not isinstance(end, datetime):
            start = datetime.combine(begin, time(), office)
            stop = datetime.combine(end + timedelta(days=1), time(), office)
            return cls(start.astimezone(UTC), stop.astimezone(UTC), begin, end)
        a = aware(begin, office)
        b = aware(end, office)
        last = (b - timedelta(microseconds=1)).date() if b > a else a.date()
        return cls(a.astimezone(UTC), b.astimezone(UTC), a.date(), last)


def aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), zone)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def period_days(
    year: int, quarter: int | None = None, month: int | None = None
) -> tuple[date, date]:
    """First and last day of a year, a quarter or a month."""
    if month is not None:
        if not 1 <= month <= 12:
            raise UsageError(f"a month is 1 to 12, not {month}")
        return date(year, month, 1), date(year, month, calendars.monthrange(year, month)[1])
    if quarter is not None:
        if not 1 <= quarter <= 4:
            raise UsageError(f"a quarter is 1 to 4, not {quarter}")
        first = 3 * quarter - 2
        return date(year, first, 1), date(year, first + 2, calendars.monthrange(year, first + 2)[1])
    return date(year, 1, 1), date(year, 12, 31)


@dataclass(frozen=True)
class Occurrence:
    """One time an event happens: start and end in the event's zone (all-day: local midnights,
    end excluded)."""

    event: EventRow
    start: datetime
    end: datetime

    @property
    def first_day(self) -> date:
        """The (local) day it starts."""
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The (local) day it ends, included."""
        if self.event.all_day or self.end > self.start:
            return (self.end - timedelta(microseconds=1)).date()
        return self.start.date()

    def within(self, window: Window) -> bool:
        """Whether it touches the window (all-day by days, timed by instants)."""
        if self.event.all_day:
            return self.first_day <= window.last and self.last_day >= window.first
        if self.end == self.start:
            return window.start <= self.start < window.end
        return self.start < window.end and self.end > window.start

    def as_json(self) -> dict[str, Any]:
        """The occurrence: all-day ones as dates (last day included), timed ones with offset."""
        e = self.event
        if e.all_day:
            start, end = self.first_day.isoformat(), self.last_day.isoformat()
        else:
            start, end = self.start.isoformat(), self.end.isoformat()
        return {
            "id": e.id,
            "uid": e.uid,
            "title": e.title,
            "kind": e.kind,
            "all_day": e.all_day,
            "start": start,
            "end": end,
            "timezone": e.timezone,
            "place": e.place,
            "status": e.status,
        }


def local_days(event: EventRow) -> tuple[date, date]:
    """An all-day event's first and last day (included), in its own zone."""
    zone = zone_of(event.timezone)
    first = event.starts.astimezone(zone).date()
    end = (event.ends or event.starts + timedelta(days=1)).astimezone(zone)
    return first, max(first, (end - timedelta(microseconds=1)).date())


def occurrences_of(event: EventRow, window: Window) -> list[Occurrence]:
    """The occurrences of one event touching the window, expanded in the event's zone."""
    zone = zone_of(event.timezone)
    if event.all_day:
        first, last = local_days(event)
        span = timedelta(days=(last - first).days + 1)
        if not event.rrule:
            starts: Iterable[datetime] = [datetime.combine(first, time())]
        else:
            rule = rule_for(event.rrule, datetime.combine(first, time()))
            lo = datetime.combine(window.first, time()) - span - timedelta(days=1)
            hi = datetime.combine(window.last, time()) + timedelta(days=1)
            starts = rule.xafter(lo, count=MAX_OCCURRENCES, inc=True)
            starts = (s for s in starts if s <= hi)
        out = []
        for naive in starts:
            day_one = naive.date()
            occ = Occurrence(
                event,
                datetime.combine(day_one, time(), zone),
                datetime.combine(day_one + span, time(), zone),
            )
            if occ.within(window):
                out.append(occ)
        return out
    local = event.starts.astimezone(zone)
    length = (event.ends - event.starts) if event.ends else timedelta(0)
    if not event.rrule:
        timed: Iterable[datetime] = [local]
    else:
        rule = rule_for(event.rrule, local)
        lo = window.start - length - timedelta(days=1)
        hi = window.end + timedelta(days=1)
        timed = (s for s in rule.xafter(lo, count=MAX_OCCURRENCES, inc=True) if s <= hi)
    found = []
    for start in timed:
        end = (start.astimezone(UTC) + length).astimezone(zone)
        occ = Occurrence(event, start.astimezone(zone), end)
        if occ.within(window):
            found.append(occ)
    return found
