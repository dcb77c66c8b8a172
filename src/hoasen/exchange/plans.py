"""What an exchange plan may say, checked before it is stored: its schedule (and when it is due
next, in the office's time zone), its selection, languages, format and transport.

Pure: no database. Schedules are wall-clock times in the office's zone computed with zoneinfo,
so "every week on MON at 09:00" stays 09:00 across a daylight-saving change; a time that falls
in a spring-forward gap runs just after it, and an ambiguous autumn time runs at its first
occurrence.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hoasen.errors import UsageError

DIRECTIONS = ("out", "in")
OUT_FORMATS = ("ninjs", "ninjs2", "newsml", "newsml-package", "atom", "jsonfeed", "html", "docx")
"""What a package can be written as: ninjs 3.0 (ninjs2: 2.2), NewsML-G2 newsItems or one
newsMessage with a packageItem, Atom, JSON Feed, and a human-readable digest (HTML, DOCX)."""
IN_FORMATS = ("auto", "ninjs", "ninjs2", "newsml", "atom", "rss", "jsonfeed")
IN_TRANSPORTS = ("inbox", "folder", "feed", "email", "sftp", "http")
"""How a partner sends to the office (an "in" plan only records it; the inbox reads it)."""
ORIGINAL = "original"
DEFAULT_MAX = 50
DEFAULT_SINCE_DAYS = 14
MAX_ITEMS = 500

_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_AT = r"at\s+(?P<hh>\d{1,2}):(?P<mm>\d{2})"
_EVERY_DAYS = re.compile(r"every\s+(?:(?P<n>\d+)\s+days?|day)\s+" + _AT)
_EVERY_WEEKS = re.compile(r"every\s+(?:(?P<n>\d+)\s+weeks?|week)\s+on\s+(?P<day>[a-z]+)\s+" + _AT)
_MONTHLY = re.compile(r"monthly\s+on\s+(?P<d>\d{1,2})\s+" + _AT)
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_SECRET = re.compile(r"[A-Za-z0-9_.-]{1,120}")
_SFTP_TARGET = re.compile(
    r"(?:sftp://)?(?:(?P<user>[^@/]+)@)?(?P<host>[^:/@]+)(?::(?P<port>\d+))?(?P<path>/.*)?"
)
_PLAN_NAME = re.compile(r"\S(?:.{0,118}\S)?")
SCHEDULE_FORMS = (
    '"" (on demand)',
    '"every N days at HH:MM"',
    '"every week on MON at HH:MM"',
    '"every N weeks on MON at HH:MM"',
    '"monthly on D at HH:MM"',
)


@dataclass(frozen=True)
class Schedule:
    """When a plan runs: every `step` days (weekly ones on `weekday`), or monthly on `day`,
    at `at` in the office's time zone. `text` is empty for a plan run on demand."""

    text: str
    kind: str = "none"  # none / days / weeks / monthly
    step: int = 1
    weekday: int | None = None  # 0 = Monday
    day: int | None = None  # day of the month; a shorter month runs on its last day
    at: time = time(0, 0)

    def next_due(
        self, after: datetime, tz: ZoneInfo, anchor: datetime | None = None
    ) -> datetime | None:
        """The first run strictly after `after` (UTC), or None on demand. Runs every N days
        or weeks count from the first one at or after `anchor` (the plan's creation), so a
        fortnightly plan keeps its rhythm whenever it is asked."""
        if self.kind == "none":
            return None
        after = _aware(after)
        if self.kind == "monthly":
            return self._monthly(after, tz)
        first = self._first(_aware(anchor) if anchor is not None else after, tz)
        if first > after:
            return first
        period = self.step * (7 if self.kind == "weeks" else 1)
        local_after = after.astimezone(tz).date()
        gap = (local_after - first.astimezone(tz).date()).days
        day = first.astimezone(tz).date() + timedelta(days=(gap // period) * period)
        while True:
            candidate = _at(day, self.at, tz)
            if candidate > after:
                return candidate
            day += timedelta(days=period)

    def _first(self, start: datetime, tz: ZoneInfo) -> datetime:
        """The first slot (right weekday for weekly plans, at `at`) at or after `start`."""
        day = start.astimezone(tz).date()
        while True:
            if self.weekday is None or day.weekday() == self.weekday:
                candidate = _at(day, self.at, tz)
                if candidate >= start:
                    return candidate
            day += timedelta(days=1)

    def _monthly(self, after: datetime, tz: ZoneInfo) -> datetime:
        assert self.day is not None
        local = after.astimezone(tz)
        year, month = local.year, local.month
        while True:
            last = calendar.monthrange(year, month)[1]
            candidate = _at(date(year, month, min(self.day, last)), self.at, tz)
            if candidate > after:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _aware(value: datetime) -> datetime:
    return value if value.utcoffset() is not None else value.replace(tzinfo=UTC)


def _at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `tz`, in UTC (a gap time is moved past the gap)."""
    # A time in a spring-forward gap is read with the offset before the change (fold=0),
    # which lands just after the gap; an ambiguous autumn time is its first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def parse_schedule(text: str | None) -> Schedule:
    """A schedule from its words; UsageError listing the accepted forms otherwise."""
    words = " ".join((text or "").lower().split())
    if not words or words in ("on demand", "manual", "none"):
        return Schedule("")
    if m := _EVERY_DAYS.fullmatch(words):
        step = _step(m.group("n"), words)
        at = _time(m, words)
        return Schedule(_days_text(step, at), "days", step, at=at)
    if m := _EVERY_WEEKS.fullmatch(words):
        step = _step(m.group("n"), words)
        weekday = _weekday(m.group("day"), words)
        at = _time(m, words)
        every = "every week" if step == 1 else f"every {step} weeks"
        return Schedule(f"{every} on {_DAYS[weekday]} at {at:%H:%M}", "weeks", step, weekday, at=at)
    if m := _MONTHLY.fullmatch(words):
        day = int(m.group("d"))
        if not 1 <= day <= 31:
            raise UsageError(f"schedule {text!r}: the day of the month must be 1 to 31")
        at = _time(m, words)
        return Schedule(f"monthly on {day} at {at:%H:%M}", "monthly", day=day, at=at)
    raise UsageError(
        f"cannot read the schedule {text!r}; write one of: {', '.join(SCHEDULE_FORMS)}"
    )


def _days_text(step: int, at: time) -> str:
    return f"every {'day' if step == 1 else f'{step} days'} at {at:%H:%M}"


def _step(raw: str | None, words: str) -> int:
    step = int(raw) if raw else 1
    if not 1 <= step <= 366:
        raise UsageError(f"schedule {words!r}: the interval must be 1 to 366")
    return step


def _time(m: re.Match[str], words: str) -> time:
    hh, mm = int(m.group("hh")), int(m.group("mm"))
    if hh > 23 or mm > 59:
        raise UsageError(f"schedule {words!r}: {hh}:{mm:02d} is not a time of day")
    return time(hh, mm)


def _weekday(word: str, words: str) -> int:
    for number, short in enumerate(_DAYS):
        if word in (short.lower(), calendar.day_name[number].lower()):
            return number
    raise UsageError(f"schedule {words!r}: {word!r} is not a day (MON, TUE ... SUN)")


# ------------------------------------------------------------------------------ selection


@dataclass(frozen=True)
class Selection:
    """Which articles a plan sends: editors' picks first, then the articles of the period that
    match every criterion given (any of the listed topics, entities, sources), newest first."""

    query: str = ""
    topics: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()  # gazetteer ids
    sources: tuple[str, ...] = ()  # the office's own sources, by name
    since_days: int | None = None  # None: since the last package, else DEFAULT_SINCE_DAYS
    min: int = 1
    max: int = DEFAULT_MAX
    picks: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The stored selection document."""
        return {
            "query": self.query,
            "topics": list(self.topics),
            "entities": list(self.entities),
            "sources": list(self.sources),
            "since_days": self.since_days,
            "min": self.min,
            "max": self.max,
            "picks": list(self.picks),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Selection:
        """A selection from its document (unknown keys are refused)."""
        known = {"query", "topics", "entities", "sources", "since_days", "min", "max", "picks"}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise UsageError(
                f"unknown selection key {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        since = doc.get("since_days")
        return cls(
            query=str(doc.get("query") or "").strip(),
            topics=_texts(doc.get("topics"), "topics"),
            entities=_texts(doc.get("entities"), "entities"),
            sources=_texts(doc.get("sources"), "sources"),
            since_days=None if since in (None, "") else _int(since, "since_days", 1, 3660),
            min=_int(doc.get("min", 1), "min", 0, MAX_ITEMS),
            max=_int(doc.get("max", DEFAULT_MAX), "max", 1, MAX_ITEMS),
            picks=tuple(_int(p, "picks", 1, 2**62) for p in doc.get("picks") or ()),
        ).checked()

    def checked(self) -> Selection:
        """The selection if its numbers agree with each other; UsageError otherwise."""
        if self.min > self.max:
            raise UsageError(f"selection: min ({self.min}) is more than max ({self.max})")
        if len(self.picks) > self.max:
            raise UsageError(f"selection: {len(self.picks)} picks but max is {self.max}")
        return self


def _texts(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise UsageError(f"selection: {key} must be a list")
    return tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))


def _int(value: Any, key: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"selection: {key} must be a whole number, not {value!r}") from exc
    if isinstance(value, bool) or not low <= number <= high:
        raise UsageError(f"selection: {key} must be between {low} and {high}, not {value!r}")
    return number


# ------------------------------------------------------------------------------ the rest


def check_direction(direction: str) -> str:
    """out or in."""
    value = direction.strip().lower()
    if value not in DIRECTIONS:
        raise UsageError(f"direction must be out or in, not {direction!r}")
    return value


def check_name(name: str) -> str:
    """A plan's name: one line, not a bare number (numbers name packages on the CLI)."""
    value = " ".join(name.split())
    if not value or not _PLAN_NAME.fullmatch(value):
        raise UsageError("a plan needs a name of at most 120 characters")
    if value.isdigit():
        raise UsageError(f"a plan's name cannot be a bare number ({value!r}): numbers are packages")
    return value


def check_languages(languages: Sequence[str] | str) -> tuple[str, ...]:
    """`original` and/or language codes (vi, zh, zh-Hant...), in order, without repeats."""
    items = languages.split(",") if isinstance(languages, str) else list(languages)
    out = tuple(dict.fromkeys(x.strip() for x in items if x.strip()))
    if not out:
        return (ORIGINAL,)
    for code in out:
        if code != ORIGINAL and not _LANGUAGE.fullmatch(code):
            raise UsageError(f"unknown language {code!r}: use original or a code like vi, zh, en")
    return out


def check_format(fmt: str, direction: str) -> str:
    """A format the direction knows."""
    value = fmt.strip().lower()
    known = OUT_FORMATS if direction == "out" else IN_FORMATS
    if value not in known:
        raise UsageError(f"unknown format {fmt!r} (known: {', '.join(known)})")
    return value


def check_secret(name: str) -> str:
    """The name of a secret in exchange_secrets (the value never goes in a plan)."""
    value = name.strip()
    if value and not _SECRET.fullmatch(value):
        raise UsageError(
            f"a secret is given by its name in exchange_secrets (letters, digits, _.-), "
            f"not {value[:3]}…"
        )
    return value


@dataclass(frozen=True)
class TransportChoice:
    """A transport name and its config as given (checked later by the transport itself)."""

    name: str
    config: dict[str, Any] = field(default_factory=dict)


def transport_config(
    transport: str, to: Sequence[str] = (), pairs: Sequence[str] = ()
) -> TransportChoice:
    """The config of a transport from the CLI's `--to` (a folder, addresses, a URL or
    sftp://user@host:port/path) and `--config KEY=VALUE` items (which win)."""
    name = transport.strip().lower()
    config: dict[str, Any] = {}
    targets = [t.strip() for t in to if t.strip()]
    if targets:
        if name == "email":
            config["to"] = targets
        elif len(targets) > 1:
            raise UsageError(f"the {name} transport takes one --to")
        elif name in ("folder", "inbox"):
            config["path"] = targets[0]
        elif name in ("http", "feed"):
            config["url"] = targets[0]
        elif name == "sftp":
            config.update(_sftp(targets[0]))
        else:
            config["to"] = targets[0]
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--config takes KEY=VALUE, not {pair!r}")
        key = key.strip()
        if key in ("to", "cc") and name == "email":
            config[key] = [v.strip() for v in value.split(",") if v.strip()]
        elif key == "port" and value.strip().isdigit():
            config[key] = int(value)
        else:
            config[key] = value.strip()
    return TransportChoice(name, config)


def _sftp(target: str) -> dict[str, Any]:
    m = _SFTP_TARGET.fullmatch(target)
    if m is None:
        raise UsageError(f"--to for sftp is sftp://user@host:port/path, not {target!r}")
    out: dict[str, Any] = {"host": m.group("host")}
    if m.group("user"):
        out["user"] = m.group("user")
    if m.group("port"):
        out["port"] = int(m.group("port"))
    if m.group("path"):
        out["path"] = m.group("path")
    return out
