"""The registers' REST API under /api/v1/registers: delegations, the foreign press, the events
calendar with its coverage, the yearly statistics and the people named in the registers.

Anyone signed in reads the registers; editors write delegations and events. People are personal
data: a person's name, rank, outlet, nationality and a journalist's permit are given only to a
registrar (or an admin), and every such read goes through `RegisterDesk.person`, which writes
the audit log. A viewer's or an editor's answer names nobody: it carries counts, titles,
countries, dates and organisations only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.store.registers import DelegationRow, JournalistRow, PersonRow
from hoasen.web.api import _ERRORS, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_require, api_user, get_accounts, get_desk

router = APIRouter(prefix="/api/v1/registers", dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
ViewerDep = Annotated[User, Depends(api_user)]
EditorDep = Annotated[User, Depends(editor)]
RegistrarDep = Annotated[User, Depends(api_require("registrar"))]
PERSONAL = "registrar"  # the role that sees people's personal fields


def sees_people(user: User) -> bool:
    """Whether this user may see the people named in the registers (registrar or admin)."""
    return user.can(PERSONAL)


def read_people(desk: Desk, ids: list[int | None], user: User) -> dict[int, PersonRow]:
    """The people with these ids, each read through `RegisterDesk.person` so every read is in
    the audit log with the user's name; empty for a user who may not see people."""
    if not sees_people(user):
        return {}
    wanted = sorted({i for i in ids if i is not None})
    return {i: desk.registers.person(i, user.name) for i in wanted}


def person_doc(person: PersonRow | None) -> dict[str, Any] | None:
    """The person's public fields (None when there is none)."""
    return None if person is None else person.as_json()


def delegation_doc(
    row: DelegationRow, people: dict[int, PersonRow], with_people: bool
) -> dict[str, Any]:
    """A delegation as JSON; `head` (the head's name and rank) only `with_people`."""
    doc = row.as_json()
    if with_people:
        doc["head"] = person_doc(people.get(row.head_id) if row.head_id is not None else None)
    return doc


def journalist_doc(row: JournalistRow, people: dict[int, PersonRow]) -> dict[str, Any]:
    """A journalist's accreditation with the person (registrar only: the caller filters)."""
    return {**row.as_json(), "person": person_doc(people.get(row.person_id))}


def year_range(year: int | None) -> tuple[date | None, date | None]:
    """The first and last day of `year` (None, None for every year)."""
    if year is None:
        return None, None
    if not 1900 <= year <= 9999:
        raise UsageError(f"{year} is not a year")
    return date(year, 1, 1), date(year, 12, 31)


def find_delegations(
    desk: Desk,
    year: int | None = None,
    direction: str | None = None,
    country: str | None = None,
    status: str | None = None,
) -> list[DelegationRow]:
    """Delegations filtered as the list page and the exports filter them."""
    since, until = year_range(year)
    rows = desk.registers.delegations.find(
        since, until, direction=direction or None, status=status or None
    )
    wanted = (country or "").strip().upper()
    return [d for d in rows if not wanted or (d.country or "").upper() == wanted]


# ---------------------------------------------------------------- request bodies


class DelegationCreate(BaseModel):
    """A delegation (text fields, checked like a spreadsheet row; dates ISO)."""

    direction: str = Field(description="incoming or outgoing")
    title: str = Field(min_length=1, max_length=500)
    starts: str = Field(max_length=20)
    ends: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=100)
    organisation: str = Field(default="", max_length=300)
    head: str = Field(default="", max_length=200, description="Personal data")
    head_role: str = Field(default="", max_length=200, description="Personal data")
    level: str = Field(default="", max_length=20)
    members: int = Field(default=0, ge=0)
    purpose: str = Field(default="", max_length=1_000)
    agreement: str = Field(default="", max_length=20)
    status: str = Field(default="", max_length=20)
    notes: str = Field(default="", max_length=5_000)


class ActivityCreate(BaseModel):
    """An item of a delegation's programme (its day within the visit, time HH:MM)."""

    on: str = Field(max_length=20, description="The day, YYYY-MM-DD")
    at: str = Field(default="", max_length=10, description="The time, HH:MM")
    place: str = Field(default="", max_length=300)
    description: str = Field(min_length=1, max_length=2_000)


class EventCreate(BaseModel):
    """A calendar event: dates (all day, `end` the last day) or ISO times (naive: office time)."""

    title: str = Field(min_length=1, max_length=500)
    start: str = Field(max_length=40)
    end: str | None = Field(default=None, max_length=40)
    all_day: bool = False
    tz: str | None = Field(default=None, max_length=60)
    rrule: str = Field(default="", max_length=500)
    calendar: str = Field(default="office", max_length=60)
    kind: str = Field(default="", max_length=20)
    place: str = Field(default="", max_length=300)
    organisers: str = Field(default="", max_length=500)
    names: list[str] = Field(default=[], max_length=20, description="Other names of the event")
    expected: int | None = Field(default=None, ge=0)
    description: str = Field(default="", max_length=5_000)
    status: str = Field(default="confirmed", max_length=20)


# ---------------------------------------------------------------- statistics


@router.get("/stats")
def stats(
    desk: DeskDep,
    year: Annotated[int, Query(ge=1900, le=9999)],
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
) -> dict[str, Any]:
    """The register's figures of a year, quarter or month (`hoasen register stats --json`)."""
    result: dict[str, Any] = desk.registers.stats(year, quarter=quarter, month=month)
    return result


# ---------------------------------------------------------------- delegations


@router.get("/delegations")
def delegations(
    desk: DeskDep,
    user: ViewerDep,
    year: int | None = None,
    direction: str | None = None,
    country: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Delegations, oldest first; their heads only for a registrar (audited)."""
    rows = find_delegations(desk, year, direction, country, status)
    people = read_people(desk, [d.head_id for d in rows], user)
    return [delegation_doc(d, people, sees_people(user)) for d in rows]


@router.get("/delegations/{delegation_id}")
def delegation(desk: DeskDep, user: ViewerDep, delegation_id: int) -> dict[str, Any]:
    """One delegation with its programme; the head only for a registrar (audited)."""
    row = desk.registers.delegations.delegation(delegation_id)
    people = read_people(desk, [row.head_id], user)
    doc = delegation_doc(row, people, sees_people(user))
    doc["activities"] = [a.as_json() for a in desk.registers.delegations.activities(row.id)]
    return doc


@router.post("/delegations", status_code=201)
def add_delegation(
    desk: DeskDep, user: EditorDep, accounts: AccountsDep, body: DelegationCreate
) -> dict[str, Any]:
    """Record a delegation. Naming its head is personal data: that needs a registrar."""
    if (body.head.strip() or body.head_role.strip()) and not sees_people(user):
        raise UsageError("only a registrar may record a delegation's head (personal data)")
    row = desk.registers.delegations.add(**body.model_dump())
    accounts.audit(user.id, "register.delegation.add", f"delegation:{row.id}", {})
    return delegation_doc(row, read_people(desk, [row.head_id], user), sees_people(user))


@router.post("/delegations/{delegation_id}/activities", status_code=201)
def add_activity(
    desk: DeskDep, user: EditorDep, accounts: AccountsDep, delegation_id: int, body: ActivityCreate
) -> dict[str, Any]:
    """Add an item to a delegation's programme."""
    row = desk.registers.delegations.add_activity(
        delegation_id, body.on, body.description, at=body.at, place=body.place
    )
    accounts.audit(
        user.id, "register.activity.add", f"delegation:{delegation_id}", {"activity": row.id}
    )
    return row.as_json()


# ---------------------------------------------------------------- press


@router.get("/press")
def press(desk: DeskDep, user: ViewerDep, year: int | None = None) -> list[dict[str, Any]]:
    """Press groups with their number of journalists; the journalists themselves (names,
    outlets, permits) only for a registrar (audited)."""
    since, until = year_range(year)
    groups = desk.registers.press.groups(since, until)
    members = desk.registers.press.journalists([g.id for g in groups]) if groups else []
    people = read_people(desk, [j.person_id for j in members], user)
    out = []
    for g in groups:
        mine = [j for j in members if j.group_id == g.id]
        doc = {**g.as_json(), "journalists": len(mine)}
        if sees_people(user):
            doc["members"] = [journalist_doc(j, people) for j in mine]
        out.append(doc)
    return out


@router.get("/press/permits")
def permits(
    desk: DeskDep, user: RegistrarDep, days: Annotated[int, Query(ge=0, le=3650)] = 30
) -> list[dict[str, Any]]:
    """Permits ending soon or ended, and coverage outside a permit (registrar; audited)."""
    flags = desk.registers.press.permits(days=days)
    read_people(desk, [f.journalist.person_id for f in flags], user)
    return [f.as_json() for f in flags]


@router.post("/press/{group_id}/coverage")
def press_coverage(desk: DeskDep, user: RegistrarDep, group_id: int) -> list[dict[str, Any]]:
    """Suggest the articles a group's journalists published (by byline or outlet)."""
    return [lk.as_json() for lk in desk.registers.press.suggest_coverage(group_id)]


@router.post("/links/{link_id}/confirm")
def confirm_link(
    desk: DeskDep, user: RegistrarDep, accounts: AccountsDep, link_id: int
) -> dict[str, Any]:
    """Confirm an article suggested as a journalist's coverage."""
    row = desk.registers.press.decide(link_id, "confirmed", user.name)
    accounts.audit(user.id, "register.link.confirm", f"link:{link_id}", {})
    return row.as_json()


@router.post("/links/{link_id}/reject")
def reject_link(
    desk: DeskDep, user: RegistrarDep, accounts: AccountsDep, link_id: int
) -> dict[str, Any]:
    """Reject an article suggested as a journalist's coverage (it is not suggested again)."""
    row = desk.registers.press.decide(link_id, "rejected", user.name)
    accounts.audit(user.id, "register.link.reject", f"link:{link_id}", {})
    return row.as_json()


# ---------------------------------------------------------------- events


@router.get("/events")
def events(
    desk: DeskDep,
    year: Annotated[int | None, Query(ge=1900, le=9999)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    calendar: str | None = None,
) -> list[dict[str, Any]]:
    """Occurrences of a year or month (or every event when no year is given)."""
    found = desk.registers.events
    if year is None:
        if month is not None:
            raise UsageError("a month needs a year")
        return [e.as_json() for e in found.list(calendar)]
    between = found.period(year, month)
    return [o.as_json() for o in found.occurrences(between, calendar=calendar)]


def coverage_doc(desk: Desk, event_id: int) -> dict[str, Any]:
    """The event with its linked articles and their stories, without a new search."""
    doc: dict[str, Any] = desk.registers.events.linked(event_id).as_json()
    return doc


@router.get("/events/{event_id}")
def event(desk: DeskDep, event_id: int) -> dict[str, Any]:
    """An event and its coverage (suggested, confirmed and rejected articles, stories)."""
    return {"event": desk.registers.events.get(event_id).as_json(), **coverage_doc(desk, event_id)}


@router.post("/events", status_code=201)
def add_event(
    desk: DeskDep, user: EditorDep, accounts: AccountsDep, body: EventCreate
) -> dict[str, Any]:
    """Add an event to a calendar."""
    fields = body.model_dump()
    row = desk.registers.events.add(fields.pop("title"), **fields)
    accounts.audit(user.id, "register.event.add", f"event:{row.id}", {"title": row.title})
    result: dict[str, Any] = row.as_json()
    return result


@router.post("/events/{event_id}/coverage")
def refresh_coverage(desk: DeskDep, user: EditorDep, event_id: int) -> dict[str, Any]:
    """Search the event's window for articles naming it and suggest the new ones."""
    result: dict[str, Any] = desk.registers.events.coverage(event_id).as_json()
    return result


@router.post("/events/{event_id}/articles/{article_id}/confirm")
def confirm_article(
    desk: DeskDep, user: EditorDep, accounts: AccountsDep, event_id: int, article_id: int
) -> dict[str, Any]:
    """Confirm an article as coverage of the event."""
    desk.registers.events.confirm(event_id, article_id, user.name)
    accounts.audit(user.id, "register.event.confirm", f"event:{event_id}", {"a": article_id})
    return coverage_doc(desk, event_id)


@router.post("/events/{event_id}/articles/{article_id}/reject")
def reject_article(
    desk: DeskDep, user: EditorDep, accounts: AccountsDep, event_id: int, article_id: int
) -> dict[str, Any]:
    """Reject an article suggested as coverage of the event."""
    desk.registers.events.reject(event_id, article_id, user.name)
    accounts.audit(user.id, "register.event.reject", f"event:{event_id}", {"a": article_id})
    return coverage_doc(desk, event_id)


# ---------------------------------------------------------------- people


@router.get("/people/{person_id}")
def person(desk: DeskDep, user: RegistrarDep, person_id: int) -> dict[str, Any]:
    """A person's record (registrar; the read is written to the audit log)."""
    return desk.registers.person(person_id, user.name).as_json()


@router.get("/people/{person_id}/export")
def export_person(desk: DeskDep, user: RegistrarDep, person_id: int) -> dict[str, Any]:
    """Everything held about a person: a subject access request (registrar; audited)."""
    return desk.registers.export_person(person_id, user.name)


@router.post("/people/{person_id}/erase")
def erase_person(desk: DeskDep, user: RegistrarDep, person_id: int) -> dict[str, Any]:
    """Blank a person's data on request; entries and counts stay (registrar; audited)."""
    return desk.registers.erase_person(person_id, user.name).as_json()
