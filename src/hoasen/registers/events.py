"""The events calendar: festivals, forums, conferences, anniversaries and visits the office
follows (the Hokkaido Festival in Ha Long, the EATOF General Assembly...).

Each event is held in an IANA time zone: timed events are stored as UTC instants and shown in
that zone, all-day events keep their dates (stored as local midnight in the event's zone, read
back in that zone, so 1 March in Hanoi stays 1 March whatever the office's or viewer's zone).
Recurring events carry an RFC 5545 RRULE, expanded in the event's own zone so a weekly 10:00
meeting stays at 10:00 across daylight-saving changes. Calendars go out and come in as
iCalendar (`hoasen.registers.events_ics`); a per-user secret token opens one calendar's feed.
An event's coverage is the articles published in its window that name it (title or any other
name, in vi, en or zh), found through the search index and kept as suggestions an officer
confirms or rejects.
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from icalendar import vRecur

from hoasen.analyze.gazetteer import fold
from hoasen.errors import UsageError
from hoasen.registers.common import count
from hoasen.registers.event_times import (
    MAX_OCCURRENCES,
    Occurrence,
    When,
    Window,
    aware,
    local_days,
    occurrences_of,
    parse_when,
    period_days,
    rule_for,
    zone_of,
)
from hoasen.store.analysis import StoryRow
from hoasen.store.events import EventRow, EventStore, LinkRow

__all__ = [
    "MAX_OCCURRENCES",
    "CheckedEvent",
    "Coverage",
    "CoverageItem",
    "EventDesk",
    "Occurrence",
    "Window",
    "local_days",
    "occurrences_of",
    "parse_when",
    "period_days",
    "rule_for",
    "zone_of",
]

if TYPE_CHECKING:
    from hoasen.desk import Desk
    from hoasen.registers.events_ics import IcsImport
    from hoasen.reports.service import MadeReport

# Usual kinds (offered by forms; any short word is accepted, like the other registers)
EVENT_KINDS = (
    "festival",
    "forum",
    "conference",
    "anniversary",
    "visit",
    "exhibition",
    "sports",
    "other",
)
# The statuses of the delegation and press registers; iCalendar STATUS is derived from them
EVENT_STATUSES = ("planned", "confirmed", "held", "cancelled")
COUNTED = ("planned", "confirmed", "held")
COVERAGE_BEFORE = timedelta(days=2)
COVERAGE_AFTER = timedelta(days=7)
_FIELDS = (
    "calendar",
    "title",
    "kind",
    "place",
    "organisers",
    "partners",
    "names",
    "expected",
    "actual",
    "description",
    "status",
    "uid",
)


@dataclass(frozen=True)
class CoverageItem:
    """An article linked to an event, with the link's status and its story."""

    article_id: int
    title: str
    language: str | None
    published: datetime | None
    url: str | None
    source: str | None
    status: str
    story_id: int | None

    def as_json(self) -> dict[str, Any]:
        """The linked article as a JSON document."""
        return {
            "id": self.article_id,
            "title": self.title,
            "language": self.language,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
            "source": self.source,
            "status": self.status,
            "story_id": self.story_id,
        }


@dataclass(frozen=True)
class Coverage:
    """What the press wrote about an event: the window searched, linked articles, stories."""

    event: EventRow
    since: datetime
    until: datetime
    articles: list[CoverageItem]
    stories: list[StoryRow]

    def as_json(self) -> dict[str, Any]:
        """The `hoasen register events coverage ID --json` document."""
        return {
            "event": self.event.as_json(),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "articles": [a.as_json() for a in self.articles],
            "stories": [s.as_json() for s in self.stories],
        }


def token_hash(token: str) -> str:
    """The sha256 (hex) under which a subscription token is kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class EventDesk:
    """The events calendar of one desk: entries, recurrence, iCalendar, tokens, coverage."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.rows = EventStore(desk.store)

    @property
    def office_zone(self) -> ZoneInfo:
        """The office's zone: floating times and day periods are read in it."""
        return zone_of(self.desk.settings.office_timezone)

    # ---------------------------------------------------------------- entries

    def add(
        self,
        title: str,
        *,
        start: When,
        end: When | None = None,
        all_day: bool = False,
        tz: str | None = None,
        rrule: str = "",
        calendar: str = "office",
        kind: str = "",
        place: str = "",
        organisers: str = "",
        partners: str = "",
        names: str | Sequence[str] = (),
        expected: int | None = None,
        actual: int | None = None,
        description: str = "",
        status: str = "confirmed",
        uid: str | None = None,
        sequence: int = 0,
    ) -> EventRow:
        """Add an event. `start`/`end` are dates (all day; `end` is the last day, included) or
        times (naive ones are wall time in `tz`, the office's zone by default)."""
        values = self._new(
            title,
            start=start,
            end=end,
            all_day=all_day,
            tz=tz,
            rrule=rrule,
            calendar=calendar,
            kind=kind,
            place=place,
            organisers=organisers,
            partners=partners,
            names=names,
            expected=expected,
            actual=actual,
            description=description,
            status=status,
            uid=uid,
            sequence=sequence,
        )
        return self.rows.add(values)

    def _new(
        self,
        title: str,
        *,
        start: When,
        end: When | None,
        all_day: bool,
        tz: str | None,
        rrule: str,
        calendar: str,
        kind: str,
        place: str,
        organisers: str,
        partners: str,
        names: str | Sequence[str],
        expected: int | None,
        actual: int | None,
        description: str,
        status: str,
        uid: str | None,
        sequence: int,
    ) -> dict[str, Any]:
        """The checked values of a new event (see `add`), nothing written."""
        values = self._fields(
            title=title,
            calendar=calendar,
            kind=kind,
            place=place,
            organisers=organisers,
            partners=partners,
            names=names,
            expected=expected,
            actual=actual,
            description=description,
            status=status,
            uid=uid or f"{uuid.uuid4()}@hoasen",
        )
        values.update(self._timing(start, end, all_day, tz or self.desk.settings.office_timezone))
        values["rrule"] = self._rrule(rrule, values)
        values["sequence"] = sequence
        return values

    # ---------------------------------------------------------------- spreadsheet rows

    def check(self, entry: Mapping[str, Any], calendar: str = "office") -> CheckedEvent:
        """Validate one spreadsheet row of text fields: title, kind, start, end, all_day,
        timezone, rrule, place, organisers, partners, names (separated by |), expected, actual,
        description, status, calendar (`calendar` when empty). Nothing is written; UsageError
        with the first problem."""
        text = {k: ("" if v is None else str(v).strip()) for k, v in entry.items()}
        if not text.get("start"):
            raise UsageError("an event needs a start (2026-03-01 or 2026-03-01T09:00)")
        values = self._new(
            text.get("title", ""),
            start=text["start"],
            end=text.get("end") or None,
            all_day=_yes(text.get("all_day", "")),
            tz=text.get("timezone") or None,
            rrule=text.get("rrule", ""),
            calendar=text.get("calendar") or calendar,
            kind=text.get("kind", ""),
            place=text.get("place", ""),
            organisers=text.get("organisers", ""),
            partners=text.get("partners", ""),
            names=text.get("names", "").split("|"),
            expected=_number(text.get("expected", ""), "expected participants"),
            actual=_number(text.get("actual", ""), "actual participants"),
            description=text.get("description", ""),
            status=(text.get("status") or "confirmed").lower(),
            uid=None,
            sequence=0,
        )
        return CheckedEvent(values)

    def exists(self, checked: CheckedEvent) -> bool:
        """Whether an event with the same title (case and diacritics ignored) and the same
        start is in the register (any calendar)."""
        starts = checked.values["starts"]
        near = self.rows.events(None, starts, starts + timedelta(seconds=1))
        return any((fold(e.title), e.starts) == checked.identity for e in near)

    def store_rows(self, checked: Sequence[CheckedEvent]) -> int:
        """Write checked events in one transaction (all or none); how many were written."""
        with self.desk.store.begin() as conn:
            for item in checked:
                self.rows.insert(item.values, conn)
        return len(checked)

    def update(self, event_id: int, **changes: Any) -> EventRow:
        """Change some fields of an event (any of `add`'s arguments); the iCalendar SEQUENCE
        goes up by one (unless given) so subscribed calendars take the change."""
        old = self.rows.get(event_id)
        timing_keys = {"start", "end", "all_day", "tz"}
        unknown = set(changes) - set(_FIELDS) - timing_keys - {"rrule", "sequence"}
        if unknown:
            raise UsageError(f"events have no field {', '.join(sorted(unknown))}")
        values = self._fields(**{k: v for k, v in changes.items() if k in _FIELDS})
        timing: dict[str, Any] = {
            "starts": old.starts,
            "all_day": old.all_day,
            "timezone": old.timezone,
        }
        if timing_keys & changes.keys():
            all_day = bool(changes.get("all_day", old.all_day))
            tz = changes.get("tz") or old.timezone
            if "start" in changes:
                start: When = changes["start"]
            else:
                start = local_days(old)[0] if old.all_day and all_day else old.starts
            end = changes.get("end")
            if "end" not in changes and "start" not in changes:
                end = self._old_end(old)
            timing = self._timing(start, end, all_day, tz)
            values.update(timing)
        values["rrule"] = self._rrule(changes.get("rrule", old.rrule), timing)
        values["sequence"] = changes.get("sequence", old.sequence + 1)
        return self.rows.update(event_id, values)

    @staticmethod
    def _old_end(old: EventRow) -> date | datetime | None:
        if old.all_day:
            return local_days(old)[1]
        return old.ends

    def delete(self, event_id: int) -> None:
        """Delete an event and its coverage links."""
        self.rows.delete(event_id)

    def get(self, event_id: int) -> EventRow:
        """The event with this id (NotFoundError otherwise)."""
        return self.rows.get(event_id)

    def list(
        self,
        calendar: str | None = None,
        year: int | None = None,
        month: int | None = None,
        between: tuple[date | datetime, date | datetime] | None = None,
    ) -> builtins.list[EventRow]:
        """Events with an occurrence in the period (a month, a year or `between`), or every
        event (of the calendar) when no period is given; by their next occurrence's start."""
        if month is not None and year is None:
            raise UsageError("a month needs a year")
        if between is None and year is None:
            return self.rows.events(calendar)
        found = self.occurrences(self._between(year, month, between), calendar=calendar)
        return list({o.event.id: o.event for o in found}.values())

    def _between(
        self,
        year: int | None,
        month: int | None,
        between: tuple[date | datetime, date | datetime] | None,
        quarter: int | None = None,
    ) -> tuple[date | datetime, date | datetime]:
        if between is not None:
            return between
        assert year is not None
        return period_days(year, quarter, month)

    def occurrences(
        self,
        between: tuple[date | datetime, date | datetime],
        calendar: str | None = None,
    ) -> builtins.list[Occurrence]:
        """Every occurrence touching the period: two days (both included) or two instants
        (end excluded), by start."""
        window = Window.of(between[0], between[1], self.office_zone)
        pad = timedelta(days=1)
        rows = self.rows.events(calendar, window.start - pad, window.end + pad)
        found = [o for row in rows for o in occurrences_of(row, window)]
        return sorted(found, key=lambda o: (o.start.astimezone(UTC), o.event.id))

    def stats(
        self,
        year: int,
        quarter: int | None = None,
        month: int | None = None,
        calendar: str | None = None,
    ) -> dict[str, Any]:
        """Events starting in the period (a day of the event's own zone; not cancelled; a
        recurring one counts once) and their participants (actual, else expected), in all and
        by kind: the events part of the register's yearly statistics."""
        first, last = period_days(year, quarter, month)
        held = self.occurrences((first, last), calendar=calendar)
        starting = {o.event.id: o.event for o in held if first <= o.first_day <= last}
        rows = [e for e in starting.values() if e.status in COUNTED]
        by_kind: dict[str, int] = {}
        for e in rows:
            by_kind[e.kind or "other"] = by_kind.get(e.kind or "other", 0) + 1
        return {
            "events": len(rows),
            "participants": sum(e.participants for e in rows),
            "by_kind": dict(sorted(by_kind.items())),
        }

    # ---------------------------------------------------------------- checks

    def _fields(self, **given: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in given.items():
            if key == "names":
                items = value.splitlines() if isinstance(value, str) else list(value)
                out[key] = "\n".join(dict.fromkeys(n.strip() for n in items if n.strip()))
            elif key in ("expected", "actual"):
                if value is not None and (not isinstance(value, int) or value < 0):
                    raise UsageError(f"{key} participants must be a whole number >= 0")
                out[key] = value
            elif isinstance(value, str):
                out[key] = value.strip()
            else:
                out[key] = value
        if "title" in out and not out["title"]:
            raise UsageError("an event needs a title")
        if "calendar" in out and not out["calendar"]:
            raise UsageError("an event needs a calendar name")
        if len(out.get("kind", "")) > 20:
            raise UsageError(f"an event kind is a short word ({', '.join(EVENT_KINDS)})")
        if "kind" in out:
            out["kind"] = out["kind"].lower()
        if "status" in out and out["status"] not in EVENT_STATUSES:
            raise UsageError(f"an event is {', '.join(EVENT_STATUSES)}, not {out['status']!r}")
        if "uid" in out and not 0 < len(out["uid"]) <= 255:
            raise UsageError("an event UID is 1 to 255 characters")
        return out

    def _timing(self, start: When, end: When | None, all_day: bool, tz: str) -> dict[str, Any]:
        zone = zone_of(tz)
        first = parse_when(start, "start")
        last = parse_when(end, "end") if end is not None else None
        all_day = all_day or (not isinstance(first, datetime) and not isinstance(last, datetime))
        if all_day:
            day_one = _day(first, zone)
            day_last = _day(last, zone) if last is not None else day_one
            if day_last < day_one:
                raise UsageError("an event cannot end before it starts")
            return {
                "starts": datetime.combine(day_one, time(), zone),
                "ends": datetime.combine(day_last + timedelta(days=1), time(), zone),
                "all_day": True,
                "timezone": zone.key,
            }
        begin = aware(first, zone)
        finish = aware(last, zone) if last is not None else None
        if finish is not None and finish < begin:
            raise UsageError("an event cannot end before it starts")
        return {"starts": begin, "ends": finish, "all_day": False, "timezone": zone.key}

    @staticmethod
    def _rrule(text: str, values: dict[str, Any]) -> str:
        """The checked RRULE value (empty: no recurrence), in icalendar's canonical order."""
        text = (text or "").strip().removeprefix("RRULE:")
        if not text:
            return ""
        zone = zone_of(values["timezone"])
        local = values["starts"].astimezone(zone)
        rule_for(text, local.replace(tzinfo=None) if values["all_day"] else local)
        try:  # icalendar's order of the parts, so a round trip gives the same text
            return str(vRecur.from_ical(text.upper()).to_ical().decode())
        except ValueError as exc:
            raise UsageError(f"not an RFC 5545 RRULE: {text!r} ({exc})") from exc

    # ---------------------------------------------------------------- iCalendar

    def export_ics(self, calendar: str = "office") -> bytes:
        """The calendar as an iCalendar (RFC 5545) feed."""
        from hoasen.registers.events_ics import to_ics

        return to_ics(self.rows.events(calendar), calendar)

    def import_ics(self, data: bytes, calendar: str = "office", dry_run: bool = False) -> IcsImport:
        """Read an iCalendar file into a calendar: a known UID updates its event, others are
        added, broken components are reported with their reason while the rest go in (nothing
        is written with `dry_run`). Floating times are read in the office's zone."""
        from hoasen.registers.events_ics import import_into

        return import_into(self, data, calendar, dry_run)

    # ---------------------------------------------------------------- subscriptions

    def new_token(self, user_id: int | str, calendar: str) -> str:
        """A new secret subscription token for one user and calendar (shown once: only its
        sha256 is kept)."""
        if not calendar.strip():
            raise UsageError("a token needs a calendar name")
        uid = user_id if isinstance(user_id, int) else self.rows.user_id(user_id)
        token = secrets.token_urlsafe(32)
        self.rows.add_token(uid, calendar.strip(), token_hash(token))
        return token

    def calendar_for_token(self, token: str) -> str | None:
        """The calendar a subscription token opens, or None (unknown or revoked). The token is
        looked up by its sha256: the database compares hashes, never the secret itself, so how
        long a lookup takes tells nothing about how much of a guessed token was right."""
        return self.rows.calendar_for_hash(token_hash(token))

    def revoke(
        self,
        token: str | None = None,
        *,
        user_id: int | str | None = None,
        calendar: str | None = None,
    ) -> int:
        """Revoke one token, or a user's tokens (of one calendar); how many were revoked."""
        if isinstance(user_id, str):
            user_id = self.rows.user_id(user_id)
        return self.rows.revoke(
            token_hash=token_hash(token) if token is not None else None,
            user_id=user_id,
            calendar=calendar,
        )

    # ---------------------------------------------------------------- coverage

    def window(self, event: EventRow) -> tuple[datetime, datetime]:
        """The coverage window in UTC: two days before the start to a week after the end."""
        return event.starts - COVERAGE_BEFORE, (event.ends or event.starts) + COVERAGE_AFTER

    def coverage(self, event_id: int) -> Coverage:
        """Find the articles of the window naming the event (its title or other names; case and
        diacritics do not matter, Chinese is matched as written), suggest the new ones and
        return every linked article with its status and story."""
        event = self.rows.get(event_id)
        since, until = self.window(event)
        found: builtins.list[int] = []
        for name in dict.fromkeys((event.title, *event.names)):
            phrase = name.replace('"', " ").strip()
            try:
                hits = self.desk.search(
                    f'"{phrase}"', since=since, until=until, limit=1000, snippets=False
                )
            except UsageError:  # nothing searchable in this name (punctuation only)
                continue
            found.extend(h.id for h in hits)
        self.rows.suggest(event_id, found)
        return self._coverage(event, since, until, self.rows.links(event_id))

    def linked(self, event_id: int) -> Coverage:
        """The event's linked articles (suggested, confirmed, rejected) and their stories as
        they stand, without a new search."""
        event = self.rows.get(event_id)
        since, until = self.window(event)
        return self._coverage(event, since, until, self.rows.links(event_id))

    def period(
        self, year: int, month: int | None = None, quarter: int | None = None
    ) -> tuple[date | datetime, date | datetime]:
        """The first and last day of a year, quarter or month."""
        return self._between(year, month, None, quarter)

    def _coverage(
        self, event: EventRow, since: datetime, until: datetime, links: builtins.list[LinkRow]
    ) -> Coverage:
        ids = [link.article_id for link in links]
        articles = {a.id: a for a in self.desk.store.get_articles(ids)}
        story_of = self.desk.results.story_of(ids)
        items = []
        for link in links:
            a = articles.get(link.article_id)
            if a is None:
                continue
            items.append(
                CoverageItem(
                    a.id,
                    a.title,
                    a.language,
                    a.published or a.fetched,
                    a.url,
                    a.source_name,
                    link.status,
                    story_of.get(a.id),
                )
            )
        wanted = sorted({s for i in items if i.status != "rejected" and (s := i.story_id)})
        stories = self.desk.results.list_stories(ids=wanted) if wanted else []
        return Coverage(event, since, until, items, stories)

    def confirm(self, event_id: int, article_id: int, by: str = "") -> None:
        """Confirm an article as coverage of the event."""
        self.rows.get(event_id)
        self.rows.decide(event_id, article_id, "confirmed", by)

    def reject(self, event_id: int, article_id: int, by: str = "") -> None:
        """Reject a suggested article (it is not suggested again)."""
        self.rows.get(event_id)
        self.rows.decide(event_id, article_id, "rejected", by)

    def thematic_report(self, event_id: int, language: str | None = None) -> MadeReport:
        """A registered thematic report on the event's coverage window (office days) for
        articles matching its title ("coverage of the Hokkaido Festival" in one command)."""
        from hoasen.reports.build import ReportFilters

        event = self.rows.get(event_id)
        since, until = self.window(event)
        office = self.office_zone
        return self.desk.reports.make(
            "thematic",
            first=since.astimezone(office).date(),
            last=until.astimezone(office).date(),
            filters=ReportFilters(query=event.title),
            language=language,
        )


@dataclass(frozen=True)
class CheckedEvent:
    """A spreadsheet row that passed every check: the values of the event to store."""

    values: dict[str, Any]

    @property
    def identity(self) -> tuple[str, datetime]:
        """What makes two events the same: the title (folded) and the start instant (UTC)."""
        return (fold(self.values["title"]), self.values["starts"].astimezone(UTC))


_YES = ("1", "yes", "y", "true", "x", "co", "dung")
_NO = ("", "0", "no", "n", "false", "khong", "sai")


def _yes(text: str) -> bool:
    """A yes/no cell (yes, true, 1, x, có / no, false, 0, không, empty)."""
    folded = fold(text)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise UsageError(f"all_day must be yes or no, not {text!r}")


def _number(text: str, name: str) -> int | None:
    """A whole number of participants, None when the cell is empty."""
    return count(text, name) if text.strip() else None


def _day(value: date | datetime, zone: ZoneInfo) -> date:
    if isinstance(value, datetime):
        return value.astimezone(zone).date() if value.tzinfo else value.date()
    return value
