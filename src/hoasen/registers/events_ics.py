"""iCalendar (RFC 5545) for the events calendar: one feed per calendar out, any calendar
application's file in.

Export writes a VCALENDAR with PRODID and VERSION:2.0, a VTIMEZONE for every zone used and one
VEVENT per event (UID, DTSTAMP, DTSTART/DTEND with TZID or VALUE=DATE, RRULE, SUMMARY,
LOCATION, DESCRIPTION, CATEGORIES = kind, SEQUENCE, STATUS); what iCalendar has no property for
(other names, organisers, partners, participants, the office status and an all-day event's
zone) travels in X-HOASEN-* properties so a round trip loses nothing. Lines are folded at 75
octets and end in CRLF (icalendar does both).

Import reads the same: a known UID updates its event, a new one is added; a component that
cannot be read is reported with its reason and the others still go in. Floating times (no
TZID, no Z) are wall time in the office's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur, vText

from hoasen import __version__
from hoasen.errors import HoasenError, UsageError
from hoasen.store.events import EventRow

if TYPE_CHECKING:
    from hoasen.registers.events import EventDesk

PRODID = f"-//hoasen//events {__version__}//EN"
_TO_ICS_STATUS = {
    "planned": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "held": "CONFIRMED",
    "cancelled": "CANCELLED",
}
_FROM_ICS_STATUS = {"TENTATIVE": "planned", "CONFIRMED": "confirmed", "CANCELLED": "cancelled"}


@dataclass
class IcsImport:
    """What an import did (or, in a dry run, would do)."""

    calendar: str
    dry_run: bool
    added: list[str] = field(default_factory=list)  # UIDs
    updated: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (component, reason)

    def as_json(self) -> dict[str, Any]:
        """The `hoasen register events import --json` document."""
        return {
            "calendar": self.calendar,
            "dry_run": self.dry_run,
            "added": len(self.added),
            "updated": len(self.updated),
            "uids": {"added": self.added, "updated": self.updated},
            "errors": [{"component": c, "reason": r} for c, r in self.errors],
        }


# ---------------------------------------------------------------- export


def to_ics(events: list[EventRow], calendar: str) -> bytes:
    """A VCALENDAR for these events (of one calendar)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar)
    for event in events:
        cal.add_component(_vevent(event))
    cal.add_missing_timezones()
    return cal.to_ical()


def _vevent(e: EventRow) -> Event:
    zone = ZoneInfo(e.timezone)
    v = Event()
    v.add("uid", e.uid)
    v.add("dtstamp", e.updated.astimezone(UTC))
    if e.all_day:
        first = e.starts.astimezone(zone).date()
        end = (e.ends or e.starts + timedelta(days=1)).astimezone(zone).date()
        v.add("dtstart", first)
        v.add("dtend", max(end, first + timedelta(days=1)))
        v.add("x-hoasen-timezone", e.timezone)
    else:
        v.add("dtstart", e.starts.astimezone(zone))
        if e.ends is not None:
            v.add("dtend", e.ends.astimezone(zone))
    if e.rrule:
        v.add("rrule", vRecur.from_ical(e.rrule))
    v.add("summary", e.title)
    if e.place:
        v.add("location", e.place)
    if e.description:
        v.add("description", e.description)
    if e.kind:
        v.add("categories", [e.kind])
    v.add("sequence", e.sequence)
    v.add("status", _TO_ICS_STATUS.get(e.status, "CONFIRMED"))
    v.add("x-hoasen-status", e.status)
    v.add("created", e.created.astimezone(UTC))
    v.add("last-modified", e.updated.astimezone(UTC))
    for name, value in (
        ("x-hoasen-organisers", e.organisers),
        ("x-hoasen-partners", e.partners),
        ("x-hoasen-names", "\n".join(e.names)),
    ):
        if value:
            v.add(name, vText(value))
    for name, number in (("x-hoasen-expected", e.expected), ("x-hoasen-actual", e.actual)):
        if number is not None:
            v.add(name, str(number))
    return v


# ---------------------------------------------------------------- import


def import_into(desk: EventDesk, data: bytes, calendar: str, dry_run: bool) -> IcsImport:
    """Read `data` into `calendar` through the event desk (see the module docstring)."""
    report = IcsImport(calendar=calendar, dry_run=dry_run)
    office = desk.desk.settings.office_timezone
    seen: set[str] = set()
    for where, vevent in _vevents(data):
        try:
            values = event_values(vevent, office)
        except (UsageError, ValueError, TypeError, KeyError, AttributeError) as exc:
            report.errors.append((where, str(exc) or type(exc).__name__))
            continue
        uid = values["uid"]
        if uid in seen:
            report.errors.append((where, f"UID {uid} appears twice in the file"))
            continue
        seen.add(uid)
        old = desk.rows.by_uid(uid)
        if old is not None and old.calendar != calendar:
            report.errors.append((where, f"UID {uid} belongs to calendar {old.calendar!r}"))
            continue
        try:
            if dry_run:
                _check(desk, values, calendar)
            elif old is None:
                desk.add(calendar=calendar, **values)
            else:
                desk.update(old.id, **values)
        except HoasenError as exc:
            report.errors.append((where, str(exc)))
            continue
        (report.added if old is None else report.updated).append(uid)
    return report


def _check(desk: EventDesk, values: dict[str, Any], calendar: str) -> None:
    """Validate like `add` without writing (the dry run)."""
    checked = desk._fields(
        **{k: v for k, v in values.items() if k not in ("start", "end", "all_day", "tz", "rrule")}
    )
    timing = desk._timing(values["start"], values.get("end"), values["all_day"], values["tz"])
    desk._rrule(values.get("rrule", ""), timing)
    del checked, calendar


def _vevents(data: bytes) -> list[tuple[str, Any]]:
    try:
        parsed = Calendar.from_ical(data)
    except (ValueError, IndexError) as exc:
        raise UsageError(f"not an iCalendar file: {exc}") from exc
    calendars = parsed if isinstance(parsed, list) else [parsed]
    found = []
    n = 0
    for cal in calendars:
        for vevent in cal.walk("VEVENT"):
            n += 1
            uid = vevent.get("uid")
            found.append((f"VEVENT {n}" + (f" ({uid})" if uid else ""), vevent))
    if not found and not any(c.name == "VCALENDAR" for c in calendars):
        raise UsageError("not an iCalendar file: no VCALENDAR")
    return found


def event_values(vevent: Any, office: str) -> dict[str, Any]:
    """The `EventDesk.add` arguments of one VEVENT; ValueError/UsageError when it cannot be
    read (a property icalendar could not parse, no UID, no DTSTART, a rule it cannot expand)."""
    if vevent.errors:
        raise ValueError("; ".join(f"{name}: {reason}" for name, reason in vevent.errors))
    uid = str(vevent.get("uid") or "").strip()
    if not uid:
        raise ValueError("no UID")
    if vevent.get("recurrence-id") is not None:
        raise ValueError("changed occurrences (RECURRENCE-ID) are not kept")
    if vevent.get("dtstart") is None:
        raise ValueError("no DTSTART")
    start = vevent.decoded("dtstart")
    all_day = not isinstance(start, datetime)
    if not isinstance(start, date):
        raise ValueError(f"DTSTART is not a date or a date-time: {start!r}")
    tz = _zone_name(start, str(vevent.get("x-hoasen-timezone") or office))
    end: date | datetime | None = None
    if vevent.get("dtend") is not None:
        end = vevent.decoded("dtend")
    elif vevent.get("duration") is not None:
        end = start + vevent.decoded("duration")
    if all_day:
        if isinstance(end, datetime):
            raise ValueError("an all-day DTSTART with a date-time DTEND")
        end = end - timedelta(days=1) if end is not None and end > start else None
    elif isinstance(start, datetime):
        start = _in_zone(start, tz)
        if end is not None:
            if not isinstance(end, datetime):
                raise ValueError("a date-time DTSTART with an all-day DTEND")
            end = _in_zone(end, tz)
    rules = vevent.get("rrule")
    if isinstance(rules, list):
        if len(rules) > 1:
            raise ValueError("more than one RRULE")
        rules = rules[0]
    values: dict[str, Any] = {
        "uid": uid,
        "title": str(vevent.get("summary") or "").strip() or uid,
        "start": start,
        "end": end,
        "all_day": all_day,
        "tz": tz,
        "rrule": rules.to_ical().decode() if rules is not None else "",
        "place": str(vevent.get("location") or ""),
        "description": str(vevent.get("description") or ""),
        "kind": _kind(vevent.get("categories")),
        "status": _status(vevent),
        "sequence": int(vevent.get("sequence") or 0),
        "organisers": _xtext(vevent, "x-hoasen-organisers"),
        "partners": _xtext(vevent, "x-hoasen-partners"),
        "names": _xtext(vevent, "x-hoasen-names"),
    }
    for key in ("expected", "actual"):
        raw = vevent.get(f"x-hoasen-{key}")
        values[key] = int(str(raw)) if raw is not None and str(raw).strip() else None
    return values


def _xtext(vevent: Any, name: str) -> str:
    """An X- property as text (icalendar leaves unknown properties escaped)."""
    raw = vevent.get(name)
    if raw is None:
        return ""
    escapes = {"n": "\n", "N": "\n", ";": ";", ",": ",", "\\": "\\"}
    return re.sub(r"\\([nN;,\\])", lambda m: escapes[m.group(1)], str(raw))


def _zone_name(start: date, fallback: str) -> str:
    """The IANA zone of a start time: its TZID when it is one, else `fallback`."""
    if isinstance(start, datetime) and start.tzinfo is not None:
        key = getattr(start.tzinfo, "key", None)
        if key:
            return str(key)
        if start.utcoffset() == timedelta(0):
            return "UTC"
    return fallback


def _in_zone(value: datetime, tz: str) -> datetime:
    """An aware time in zone `tz` (a floating one is wall time there)."""
    zone = ZoneInfo(tz)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def _kind(categories: Any) -> str:
    if categories is None:
        return ""
    first = categories[0] if isinstance(categories, list) else categories
    cats = getattr(first, "cats", None) or [first]
    return str(cats[0]).strip().lower()[:20] if cats else ""


def _status(vevent: Any) -> str:
    own = str(vevent.get("x-hoasen-status") or "").strip().lower()
    if own in ("planned", "confirmed", "held", "cancelled"):
        return own
    return _FROM_ICS_STATUS.get(str(vevent.get("status") or "").strip().upper(), "confirmed")
