"""The monthly report's "Foreign affairs registers" section: from the delegation, foreign press
and events registers, what started in the report's period — delegations and delegates
(incoming and outgoing, by country), foreign press groups and their journalists (by country),
and the events held with their participants and the number of articles an officer confirmed
as their coverage.

Counted as in the registers' statistics (`hoasen register ... stats`): entries whose start day
falls in the period, cancelled ones left out. Present only when the registers hold something for
the period. Built into the document (so a stored report re-renders the same) and shown by every
renderer from the same view. No personal data: heads of delegation and journalists are
counted, never named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.registers.common import COUNTED
from hoasen.registers.delegations import DelegationDesk
from hoasen.registers.events import Window, occurrences_of, zone_of
from hoasen.registers.press import PressDesk
from hoasen.reports import i18n
from hoasen.store.db import Store
from hoasen.store.events import EventStore
from hoasen.store.registers import RegisterStore

DIRECTIONS = ("incoming", "outgoing")


def registers_section(
    store: Store, gazetteer: Gazetteer, first_day: date, last_day: date, timezone: str
) -> dict[str, Any] | None:
    """The section's document for the days [first_day, last_day]: delegations per country and
    direction, press groups per country, events with participants and confirmed coverage;
    None when the registers have nothing starting in the period."""
    rows = RegisterStore(store)
    delegations = _delegations(DelegationDesk(rows, gazetteer), first_day, last_day)
    press = PressDesk(rows, store, gazetteer).figures(first_day, last_day)
    events = _events(EventStore(store), first_day, last_day, timezone)
    if not delegations["total"]["delegations"] and not press["press_delegations"] and not events:
        return None
    return {
        "delegations": delegations,
        "press": {
            "groups": press["press_delegations"],
            "journalists": press["journalists"],
            "by_country": [
                {"country": code or "unknown", **counts}
                for code, counts in press["press_by_country"].items()
            ],
        },
        "events": events,
    }


def _delegations(desk: DelegationDesk, first_day: date, last_day: date) -> dict[str, Any]:
    """Counted delegations and their members, in all, per direction and per country."""
    counted = [d for d in desk.find(since=first_day, until=last_day) if d.status in COUNTED]

    def tally(found: list[Any]) -> dict[str, dict[str, int]]:
        return {
            direction: {
                "delegations": sum(1 for d in found if d.direction == direction),
                "delegates": sum(d.members for d in found if d.direction == direction),
            }
            for direction in DIRECTIONS
        }

    countries = sorted({d.country or "unknown" for d in counted})
    by_country = [
        {"country": code, **tally([d for d in counted if (d.country or "unknown") == code])}
        for code in countries
    ]
    return {
        "total": {"delegations": len(counted), "delegates": sum(d.members for d in counted)},
        **tally(counted),
        "by_country": by_country,
    }


def _events(store: EventStore, first_day: date, last_day: date, timezone: str) -> list[Any]:
    """Events starting in the period (a recurring one once, at its first occurrence there),
    not cancelled, by start: dates, venue, participants and confirmed coverage."""
    window = Window.of(first_day, last_day, zone_of(timezone))
    pad = timedelta(days=1)
    found: dict[int, Any] = {}
    for row in store.events(None, window.start - pad, window.end + pad):
        if row.status not in COUNTED:
            continue
        for occ in occurrences_of(row, window):
            if first_day <= occ.first_day <= last_day:
                found.setdefault(row.id, occ)
                break
    out = []
    for occ in sorted(found.values(), key=lambda o: (o.first_day, o.event.id)):
        event = occ.event
        confirmed = sum(1 for link in store.links(event.id) if link.status == "confirmed")
        out.append(
            {
                "id": event.id,
                "title": event.title,
                "kind": event.kind,
                "place": event.place,
                "from": occ.first_day.isoformat(),
                "to": occ.last_day.isoformat(),
                "participants": event.participants,
                "coverage": confirmed,
            }
        )
    return out


# ---------------------------------------------------------------- display


@dataclass(frozen=True)
class RegisterEventLine:
    """One event of the period, as displayed."""

    title: str
    dates: str
    place: str
    participants: str
    coverage: str


@dataclass(frozen=True)
class RegistersView:
    """The section in the report's language: heading, summary line, its three tables (a table
    without rows is not shown) with their headers, and the note on what is counted."""

    title: str
    summary: str
    note: str
    delegation_headers: list[str]
    press_headers: list[str]
    event_headers: list[str]
    delegations: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    press: list[tuple[str, str, str]] = field(default_factory=list)
    events: list[RegisterEventLine] = field(default_factory=list)


def registers_view(
    doc: Mapping[str, Any], lang: str, gettext: Callable[[str], str]
) -> RegistersView | None:
    """The section's display text (None when the document has no section)."""
    section = doc.get("registers")
    if not section:
        return None
    _ = gettext

    def num(x: float) -> str:
        return i18n.fmt_number(x, lang)

    dele = section.get("delegations") or {}
    total = dele.get("total") or {}
    incoming, outgoing = dele.get("incoming") or {}, dele.get("outgoing") or {}
    press = section.get("press") or {}
    events = section.get("events") or []
    summary = _(
        "Delegations: {delegations} ({delegates} delegates; incoming {incoming}, outgoing "
        "{outgoing}). Foreign press groups: {groups} ({journalists} journalists). Events: "
        "{events} ({participants} participants)."
    ).format(
        delegations=num(total.get("delegations", 0)),
        delegates=num(total.get("delegates", 0)),
        incoming=num(incoming.get("delegations", 0)),
        outgoing=num(outgoing.get("delegations", 0)),
        groups=num(press.get("groups", 0)),
        journalists=num(press.get("journalists", 0)),
        events=num(len(events)),
        participants=num(sum(int(e.get("participants") or 0) for e in events)),
    )
    delegation_rows = [
        (
            i18n.country_name(str(c.get("country") or "unknown"), lang),
            num((c.get("incoming") or {}).get("delegations", 0)),
            num((c.get("incoming") or {}).get("delegates", 0)),
            num((c.get("outgoing") or {}).get("delegations", 0)),
            num((c.get("outgoing") or {}).get("delegates", 0)),
        )
        for c in dele.get("by_country") or []
    ]
    if delegation_rows:
        delegation_rows.append(
            (
                _("All countries"),
                num(incoming.get("delegations", 0)),
                num(incoming.get("delegates", 0)),
                num(outgoing.get("delegations", 0)),
                num(outgoing.get("delegates", 0)),
            )
        )
    press_rows = [
        (
            i18n.country_name(str(c.get("country") or "unknown"), lang),
            num(c.get("groups", 0)),
            num(c.get("journalists", 0)),
        )
        for c in press.get("by_country") or []
    ]
    if press_rows:
        press_rows.append(
            (_("All countries"), num(press.get("groups", 0)), num(press.get("journalists", 0)))
        )
    event_lines = [
        RegisterEventLine(
            title=str(e.get("title") or ""),
            dates=_dates(str(e.get("from") or ""), str(e.get("to") or ""), lang),
            place=str(e.get("place") or ""),
            participants=num(int(e.get("participants") or 0)),
            coverage=num(int(e.get("coverage") or 0)),
        )
        for e in events
    ]
    return RegistersView(
        title=registers_title(_),
        summary=summary,
        note=registers_note(_),
        delegation_headers=delegation_headers(_),
        press_headers=press_headers(_),
        event_headers=event_headers(_),
        delegations=delegation_rows,
        press=press_rows,
        events=event_lines,
    )


def _dates(first: str, last: str, lang: str) -> str:
    if not first:
        return ""
    if not last or last == first:
        return i18n.fmt_date(first, lang)
    return f"{i18n.fmt_date(first, lang)} – {i18n.fmt_date(last, lang)}"


def registers_title(gettext: Callable[[str], str]) -> str:
    """The section's heading."""
    return gettext("Foreign affairs registers")


def delegation_headers(gettext: Callable[[str], str]) -> list[str]:
    """The delegations table's column headers."""
    _ = gettext
    return [
        _("Country"),
        _("Incoming delegations"),
        _("Incoming delegates"),
        _("Outgoing delegations"),
        _("Outgoing delegates"),
    ]


def press_headers(gettext: Callable[[str], str]) -> list[str]:
    """The foreign press table's column headers."""
    _ = gettext
    return [_("Country"), _("Foreign press groups"), _("Foreign journalists")]


def event_headers(gettext: Callable[[str], str]) -> list[str]:
    """The events table's column headers."""
    _ = gettext
    return [
        _("Registered event"),
        _("Event dates"),
        _("Venue"),
        _("Participants (actual or expected)"),
        _("Confirmed coverage (articles)"),
    ]


def registers_note(gettext: Callable[[str], str]) -> str:
    """What the counts mean."""
    return gettext(
        "From the foreign affairs registers: entries starting in the period, cancelled ones "
        "left out; participants are the actual number, else the expected one; coverage counts "
        "only articles an officer confirmed. People are counted, never named."
    )
