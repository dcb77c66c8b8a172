"""The web desk's register pages: the overview with this year's figures, delegations (list,
filters, add form, detail with programme and agreement, CSV/XLSX export), the foreign press
(groups, and for a registrar the journalists, their permits and suggested coverage), the events
calendar (a month grid in the office's zone, the list, the add form, each event's coverage),
the spreadsheet import (a dry run first, then the import) and calendar subscriptions.

People are personal data: only a registrar (or an admin) sees a person's name, rank, outlet,
nationality or permit, and each person shown is read through `RegisterDesk.person`, which
writes the audit log. Viewers and editors see counts, titles, countries, dates, organisations.

`public_router` holds the calendar feed (`/calendar/{token}.ics`): no login and no CSRF, the
token in the address is the secret.
"""

from __future__ import annotations

import calendar as calendars
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.registers.delegations import LEVELS
from hoasen.registers.events import local_days
from hoasen.registers.tables import (
    delegation_table,
    event_table,
    import_delegations,
    import_press,
    press_table,
    stats_table,
    write_table,
)
from hoasen.store.registers import DelegationRow
from hoasen.web.api_registers import (
    find_delegations,
    read_people,
    sees_people,
    year_range,
)
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_render import error_page as _error
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import read_upload, render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)
public_router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
Registrar = Annotated[User, Depends(page_require("registrar"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)
STATUSES = ("planned", "confirmed", "held", "cancelled")
EVENT_FIELDS = ("title", "start", "end", "kind", "place", "organisers", "expected", "calendar")
_STAGED = re.compile(r"^[A-Za-z0-9_-]{20,60}\.(csv|xlsx)$")


def _this_year() -> int:
    return date.today().year


# ---------------------------------------------------------------- overview


@router.get("/registers", response_class=HTMLResponse)
def registers_page(
    request: Request, user: Viewer, desk: DeskDep, year: int | None = None
) -> HTMLResponse:
    """This year's figures (delegations, delegates, press groups, journalists, events,
    participants) and the way to each register."""
    try:
        stats = desk.registers.stats(year or _this_year())
    except HoasenError as exc:
        return _error(request, user, exc)
    return render(request, "registers.html", {"user": user, "stats": stats})


def _stats_export(desk: Desk, suffix: str, year: str) -> Response:
    """A year's figures as a table (section, key, value), as `hoasen register stats -o`."""
    number = int(year) if year.isdigit() and 1900 <= int(year) <= 9999 else _this_year()
    header, lines = stats_table(desk.registers.stats(number))
    return _download(f"register-stats-{number}", suffix, header, lines)


@router.get("/registers/stats.csv")
def stats_csv(user: Viewer, desk: DeskDep, year: str = "") -> Response:
    """The year's figures as CSV (UTF-8 with BOM, for spreadsheet programs)."""
    return _stats_export(desk, "csv", year)


@router.get("/registers/stats.xlsx")
def stats_xlsx(user: Viewer, desk: DeskDep, year: str = "") -> Response:
    """The year's figures as an Excel workbook."""
    return _stats_export(desk, "xlsx", year)


# ---------------------------------------------------------------- delegations


def _delegations(
    request: Request,
    user: User,
    desk: Desk,
    filters: dict[str, str],
    error: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The delegation list with its filters, the add form refilled after a refused add."""
    try:
        year = int(filters["year"]) if filters.get("year") else None
        rows = find_delegations(
            desk, year, filters.get("direction"), filters.get("country"), filters.get("status")
        )
    except (ValueError, HoasenError) as exc:
        rows, error, status = [], error or f"{exc}", 400
    people = read_people(desk, [d.head_id for d in rows], user)
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    context = {
        "user": user,
        "rows": rows,
        "people": people,
        "with_people": sees_people(user),
        "filters": filters,
        "query": query,
        "levels": LEVELS,
        "statuses": STATUSES,
        "error": error,
        "form": form or {},
    }
    return render(request, "delegations.html", context, status)


@router.get("/registers/delegations", response_class=HTMLResponse)
def delegations_page(
    request: Request,
    user: Viewer,
    desk: DeskDep,
    year: str = "",
    direction: str = "",
    country: str = "",
    status: str = "",
) -> HTMLResponse:
    """Delegations filtered by year, direction, country and status."""
    filters = {"year": year, "direction": direction, "country": country, "status": status}
    return _delegations(request, user, desk, filters)


@router.post("/registers/delegations", response_class=HTMLResponse, dependencies=[Csrf])
def add_delegation(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    direction: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=500)] = "",
    country: Annotated[str, Form(max_length=100)] = "",
    organisation: Annotated[str, Form(max_length=300)] = "",
    head: Annotated[str, Form(max_length=200)] = "",
    head_role: Annotated[str, Form(max_length=200)] = "",
    level: Annotated[str, Form(max_length=20)] = "",
    members: Annotated[str, Form(max_length=10)] = "",
    starts: Annotated[str, Form(max_length=20)] = "",
    ends: Annotated[str, Form(max_length=20)] = "",
    purpose: Annotated[str, Form(max_length=1_000)] = "",
    agreement: Annotated[str, Form(max_length=20)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    notes: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    """Record a delegation; a refused one shows the form again with the reason in words."""
    form = {
        "direction": direction,
        "title": title,
        "country": country,
        "organisation": organisation,
        "head": head,
        "head_role": head_role,
        "level": level,
        "members": members,
        "starts": starts,
        "ends": ends,
        "purpose": purpose,
        "agreement": agreement,
        "status": status,
        "notes": notes,
    }
    try:
        if (head.strip() or head_role.strip()) and not sees_people(user):
            raise UsageError("only a registrar may record a delegation's head (personal data)")
        row = desk.registers.delegations.add(**form)
    except HoasenError as exc:
        return _delegations(request, user, desk, {}, str(exc), form, _status(exc))
    accounts.audit(user.id, "register.delegation.add", f"delegation:{row.id}", {})
    return _see(f"/registers/delegations/{row.id}")


def _export(user: User, desk: Desk, suffix: str, filters: dict[str, str]) -> Response:
    """A filtered delegation list as a file; the head's name only for a registrar (audited)."""
    year = int(filters["year"]) if filters.get("year", "").isdigit() else None
    rows = find_delegations(
        desk, year, filters.get("direction"), filters.get("country"), filters.get("status")
    )
    people = read_people(desk, [d.head_id for d in rows], user)
    header, lines = delegation_table(rows, people, sees_people(user))
    return _download("delegations", suffix, header, lines)


def _download(name: str, suffix: str, header: list[str], lines: list[list[Any]]) -> Response:
    """A table as a CSV or XLSX attachment called `name.suffix`."""
    with tempfile.TemporaryDirectory(prefix="hoasen-export-") as folder:
        path = Path(folder) / f"{name}.{suffix}"
        write_table(path, header, lines)
        content = path.read_bytes()
    kind = (
        "text/csv; charset=utf-8"
        if suffix == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = f'attachment; filename="{name}.{suffix}"'
    return Response(content, media_type=kind, headers={"Content-Disposition": disposition})


@router.get("/registers/delegations.csv")
def delegations_csv(
    user: Viewer,
    desk: DeskDep,
    year: str = "",
    direction: str = "",
    country: str = "",
    status: str = "",
) -> Response:
    """The filtered delegation list as CSV (UTF-8 with BOM, for spreadsheet programs)."""
    filters = {"year": year, "direction": direction, "country": country, "status": status}
    return _export(user, desk, "csv", filters)


@router.get("/registers/delegations.xlsx")
def delegations_xlsx(
    user: Viewer,
    desk: DeskDep,
    year: str = "",
    direction: str = "",
    country: str = "",
    status: str = "",
) -> Response:
    """The filtered delegation list as an Excel workbook."""
    filters = {"year": year, "direction": direction, "country": country, "status": status}
    return _export(user, desk, "xlsx", filters)


@router.get("/registers/delegations/{delegation_id}", response_class=HTMLResponse)
def delegation_page(
    request: Request, user: Viewer, desk: DeskDep, delegation_id: int
) -> HTMLResponse:
    """A delegation: its programme, the agreement it comes under and the confirmed coverage of
    the press groups and events of its days (the head's name for a registrar only)."""
    return _delegation(request, user, desk, delegation_id)


@router.post(
    "/registers/delegations/{delegation_id}/activities",
    response_class=HTMLResponse,
    dependencies=[Csrf],
)
def add_activity(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    delegation_id: int,
    on: Annotated[str, Form(max_length=20)] = "",
    at: Annotated[str, Form(max_length=10)] = "",
    place: Annotated[str, Form(max_length=300)] = "",
    description: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Add an item to the programme; a refused one shows the page again with the reason."""
    form = {"on": on, "at": at, "place": place, "description": description}
    try:
        row = desk.registers.delegations.add_activity(
            delegation_id, on, description, at=at, place=place
        )
    except HoasenError as exc:
        return _delegation(request, user, desk, delegation_id, str(exc), form, _status(exc))
    accounts.audit(
        user.id, "register.activity.add", f"delegation:{delegation_id}", {"activity": row.id}
    )
    return _see(f"/registers/delegations/{delegation_id}#programme")


def _delegation(
    request: Request,
    user: User,
    desk: Desk,
    delegation_id: int,
    error: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The delegation page, the programme form refilled after a refused item."""
    try:
        row = desk.registers.delegations.delegation(delegation_id)
        activities = desk.registers.delegations.activities(row.id)
        agreement = desk.partners.agreement(row.agreement_id) if row.agreement_id else None
    except HoasenError as exc:
        return _error(request, user, exc)
    people = read_people(desk, [row.head_id], user)
    context = {
        "user": user,
        "d": row,
        "head": people.get(row.head_id) if row.head_id is not None else None,
        "with_people": sees_people(user),
        "activities": activities,
        "agreement": agreement,
        "events": _events_of(desk, row),
        "error": error,
        "form": form or {},
    }
    return render(request, "delegation.html", context, status)


def _events_of(desk: Desk, row: DelegationRow) -> list[Any]:
    """The calendar's events during the delegation's days (linked coverage is on their page)."""
    found = desk.registers.events.occurrences((row.starts, row.ends or row.starts))
    return list({o.event.id: o.event for o in found}.values())


# ---------------------------------------------------------------- press


@router.get("/registers/press", response_class=HTMLResponse)
def press_page(
    request: Request, user: Viewer, desk: DeskDep, year: str = "", days: int = 30
) -> HTMLResponse:
    """Press groups and their number of journalists; for a registrar the journalists with
    their permits, the permits needing attention and the suggested coverage to decide."""
    press = desk.registers.press
    try:
        since, until = year_range(int(year) if year.strip() else None)
        groups = press.groups(since, until)
        flags = press.permits(days=max(0, days)) if sees_people(user) else []
    except (ValueError, HoasenError) as exc:
        return _error(request, user, UsageError(str(exc)))
    members = press.journalists([g.id for g in groups]) if groups else []
    people = read_people(desk, [j.person_id for j in members], user)
    links = press.coverage_links([j.id for j in members]) if people else []
    context = {
        "user": user,
        "groups": groups,
        "members": members,
        "people": people,
        "with_people": sees_people(user),
        "flags": flags,
        "links": [lk for lk in links if lk.status == "suggested"],
        "articles": {a.id: a for a in desk.store.get_articles([lk.article_id for lk in links])},
        "year": year,
        "days": days,
    }
    return render(request, "press.html", context)


def _press_export(user: User, desk: Desk, suffix: str, year: str) -> Response:
    """The press groups of a year as a file; for a registrar one journalist a row with name,
    role and permit (each person read through the audit log)."""
    since, until = year_range(int(year) if year.strip().isdigit() else None)
    press = desk.registers.press
    groups = press.groups(since, until)
    members = press.journalists([g.id for g in groups]) if groups else []
    people = read_people(desk, [j.person_id for j in members], user)
    header, lines = press_table(groups, members, people, sees_people(user))
    return _download("press", suffix, header, lines)


@router.get("/registers/press.csv")
def press_csv(user: Viewer, desk: DeskDep, year: str = "") -> Response:
    """The press groups (of a year) as CSV; journalists for a registrar only."""
    return _press_export(user, desk, "csv", year)


@router.get("/registers/press.xlsx")
def press_xlsx(user: Viewer, desk: DeskDep, year: str = "") -> Response:
    """The press groups (of a year) as an Excel workbook; journalists for a registrar only."""
    return _press_export(user, desk, "xlsx", year)


@router.post("/registers/press/{group_id}/coverage", dependencies=[Csrf])
def press_suggest(user: Registrar, desk: DeskDep, group_id: int) -> Response:
    """Suggest the articles the group's journalists published (by byline or outlet)."""
    desk.registers.press.suggest_coverage(group_id)
    return _see("/registers/press#coverage")


@router.post("/registers/links/{link_id}/confirm", dependencies=[Csrf])
def press_confirm(user: Registrar, desk: DeskDep, accounts: AccountsDep, link_id: int) -> Response:
    """Confirm a suggested article of a journalist."""
    desk.registers.press.decide(link_id, "confirmed", user.name)
    accounts.audit(user.id, "register.link.confirm", f"link:{link_id}", {})
    return _see("/registers/press#coverage")


@router.post("/registers/links/{link_id}/reject", dependencies=[Csrf])
def press_reject(user: Registrar, desk: DeskDep, accounts: AccountsDep, link_id: int) -> Response:
    """Reject a suggested article of a journalist (it is not suggested again)."""
    desk.registers.press.decide(link_id, "rejected", user.name)
    accounts.audit(user.id, "register.link.reject", f"link:{link_id}", {})
    return _see("/registers/press#coverage")


# ---------------------------------------------------------------- events


@dataclass
class Day:
    """One day of the month grid and the occurrences on it (office time)."""

    day: date
    in_month: bool
    items: list[Any] = field(default_factory=list)


def month_grid(desk: Desk, year: int, month: int) -> tuple[list[list[Day]], list[Any]]:
    """The weeks (Monday first) of a month, each day with the occurrences touching it in the
    office's zone (all-day ones on their own dates, a multi-day one on each of its days), and
    the month's occurrences in order."""
    events = desk.registers.events
    office = events.office_zone
    first = date(year, month, 1)
    last = date(year, month, calendars.monthrange(year, month)[1])
    found = events.occurrences((first, last))
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    days = {start + timedelta(days=n): Day(start + timedelta(days=n), False) for n in range(43)}
    for d in days.values():
        d.in_month = d.day.month == month
    for occ in found:
        for one in _days_of(occ, office):
            if start <= one <= end:
                days[one].items.append(occ)
    weeks, cursor = [], start
    while cursor <= end:
        weeks.append([days[cursor + timedelta(days=n)] for n in range(7)])
        cursor += timedelta(days=7)
    return weeks, found


def _days_of(occ: Any, office: Any) -> Iterator[date]:
    """The days an occurrence covers: all-day ones by their dates, timed ones in office time."""
    if occ.event.all_day:
        first, last = occ.first_day, occ.last_day
    else:
        first = occ.start.astimezone(office).date()
        finish = max(occ.end, occ.start).astimezone(office)
        last = (finish - timedelta(microseconds=1)).date() if occ.end > occ.start else first
    one = first
    while one <= last and (one - first).days < 62:
        yield one
        one += timedelta(days=1)


def _events(
    request: Request,
    user: User,
    desk: Desk,
    year: int | None,
    month: int | None,
    error: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    today = datetime.now(desk.registers.events.office_zone).date()
    year, month = year or today.year, month or today.month
    if not (1900 <= year <= 9999 and 1 <= month <= 12):
        return _error(request, user, UsageError("choose a month between 1 and 12 of a year"))
    weeks, found = month_grid(desk, year, month)
    previous = date(year, month, 1) - timedelta(days=1)
    following = date(year, month, 28) + timedelta(days=7)
    context = {
        "user": user,
        "year": year,
        "month": month,
        "weeks": weeks,
        "occurrences": found,
        "today": today,
        "office": desk.registers.events.office_zone,
        "prev": (previous.year, previous.month),
        "next": (following.year, following.month),
        "error": error,
        "form": form or {},
    }
    return render(request, "events.html", context, status)


@router.get("/registers/events", response_class=HTMLResponse)
def events_page(
    request: Request, user: Viewer, desk: DeskDep, year: int | None = None, month: int | None = None
) -> HTMLResponse:
    """The calendar's month view (weeks of days in office time), the list below, the form."""
    return _events(request, user, desk, year, month)


def _events_export(desk: Desk, suffix: str, year: str, month: str, calendar: str) -> Response:
    """The events (of a year or month, of a calendar) as a file, in the import's columns."""
    y = int(year) if year.strip().isdigit() else None
    m = int(month) if month.strip().isdigit() and y is not None else None
    rows = desk.registers.events.list(calendar.strip() or None, year=y, month=m)
    header, lines = event_table(rows)
    return _download("events", suffix, header, lines)


@router.get("/registers/events.csv")
def events_csv(
    user: Viewer, desk: DeskDep, year: str = "", month: str = "", calendar: str = ""
) -> Response:
    """The events (of a year or month, of a calendar) as CSV."""
    return _events_export(desk, "csv", year, month, calendar)


@router.get("/registers/events.xlsx")
def events_xlsx(
    user: Viewer, desk: DeskDep, year: str = "", month: str = "", calendar: str = ""
) -> Response:
    """The events (of a year or month, of a calendar) as an Excel workbook."""
    return _events_export(desk, "xlsx", year, month, calendar)


@router.post("/registers/events", response_class=HTMLResponse, dependencies=[Csrf])
def add_event(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    title: Annotated[str, Form(max_length=500)] = "",
    start: Annotated[str, Form(max_length=40)] = "",
    end: Annotated[str, Form(max_length=40)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    place: Annotated[str, Form(max_length=300)] = "",
    organisers: Annotated[str, Form(max_length=500)] = "",
    expected: Annotated[str, Form(max_length=10)] = "",
    calendar: Annotated[str, Form(max_length=60)] = "office",
) -> Response:
    """Add an event: a date (all day) or a date and time (office time) for start and end."""
    given = (title, start, end, kind, place, organisers, expected, calendar)
    form = dict(zip(EVENT_FIELDS, given, strict=True))
    try:
        if not start.strip():
            raise UsageError("an event needs a start date")
        if expected.strip() and not expected.strip().isdigit():
            raise UsageError("the expected participants must be a whole number")
        row = desk.registers.events.add(
            title,
            start=start.strip().replace(" ", "T"),
            end=end.strip().replace(" ", "T") or None,
            kind=kind,
            place=place,
            organisers=organisers,
            expected=int(expected) if expected.strip() else None,
            calendar=calendar.strip() or "office",
        )
    except HoasenError as exc:
        return _events(request, user, desk, None, None, str(exc), form, _status(exc))
    accounts.audit(user.id, "register.event.add", f"event:{row.id}", {"title": row.title})
    return _see(f"/registers/events/{row.id}")


@router.get("/registers/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, user: Viewer, desk: DeskDep, event_id: int) -> HTMLResponse:
    """An event with its coverage: suggested and confirmed articles, and their stories."""
    events = desk.registers.events
    try:
        event = events.get(event_id)
    except NotFoundError as exc:
        return _error(request, user, exc)
    coverage = events.linked(event.id)
    days = local_days(event) if event.all_day else None
    context = {"user": user, "e": event, "coverage": coverage, "days": days}
    return render(request, "event.html", context)


@router.post("/registers/events/{event_id}/coverage", dependencies=[Csrf])
def event_coverage(user: Editor, desk: DeskDep, event_id: int) -> Response:
    """Search the event's window again and suggest the new articles naming it."""
    desk.registers.events.coverage(event_id)
    return _see(f"/registers/events/{event_id}#coverage")


@router.post("/registers/events/{event_id}/articles/{article_id}/confirm", dependencies=[Csrf])
def event_confirm(
    user: Editor, desk: DeskDep, accounts: AccountsDep, event_id: int, article_id: int
) -> Response:
    """Confirm an article as coverage of the event."""
    desk.registers.events.confirm(event_id, article_id, user.name)
    accounts.audit(user.id, "register.event.confirm", f"event:{event_id}", {"a": article_id})
    return _see(f"/registers/events/{event_id}#coverage")


@router.post("/registers/events/{event_id}/articles/{article_id}/reject", dependencies=[Csrf])
def event_reject(
    user: Editor, desk: DeskDep, accounts: AccountsDep, event_id: int, article_id: int
) -> Response:
    """Reject an article suggested as coverage of the event."""
    desk.registers.events.reject(event_id, article_id, user.name)
    accounts.audit(user.id, "register.event.reject", f"event:{event_id}", {"a": article_id})
    return _see(f"/registers/events/{event_id}#coverage")


@router.post("/registers/events/{event_id}/report", dependencies=[Csrf])
def event_report(user: Editor, desk: DeskDep, accounts: AccountsDep, event_id: int) -> Response:
    """Make the thematic report of the event's coverage and open the reports page."""
    desk.registers.events.thematic_report(event_id)
    accounts.audit(user.id, "register.event.report", f"event:{event_id}", {})
    return _see("/reports")


# ---------------------------------------------------------------- import


def _staging() -> Path:
    folder = Path(tempfile.gettempdir()) / "hoasen-register-imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _import_page(
    request: Request, user: User, report: Any = None, staged: str = "", register: str = "",
    error: str = "", status: int = 200,
) -> HTMLResponse:  # fmt: skip
    context = {
        "user": user,
        "report": report,
        "staged": staged,
        "register": register,
        "error": error,
        "with_people": sees_people(user),
    }
    return render(request, "registers_import.html", context, status)


@router.get("/registers/import", response_class=HTMLResponse)
def import_form(request: Request, user: Editor) -> HTMLResponse:
    """Upload a delegation (or, for a registrar, press) spreadsheet: a dry run comes first."""
    return _import_page(request, user)


def _run_import(desk: Desk, register: str, path: Path, dry_run: bool) -> Any:
    if register == "press":
        return import_press(desk.registers.press, path, dry_run=dry_run)
    return import_delegations(desk.registers.delegations, path, dry_run=dry_run)


def _check_register(user: User, register: str) -> None:
    if register not in ("delegations", "press"):
        raise UsageError("choose the delegations or the press register")
    if register == "press" and not sees_people(user):
        raise UsageError("only a registrar may import journalists (personal data)")


@router.post("/registers/import", response_class=HTMLResponse, dependencies=[Csrf])
async def import_check(
    request: Request,
    user: Editor,
    desk: DeskDep,
    file: UploadFile,
    table: Annotated[str, Form(max_length=20)] = "delegations",
) -> HTMLResponse:
    """The dry run: every row is checked, nothing is written; every bad row is listed."""
    try:
        _check_register(user, table)
        name, content = await read_upload(file, desk.settings.web_upload_max_mb, "register.csv")
        suffix = Path(name).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise UsageError("choose a .csv or .xlsx file")
        staged = secrets.token_urlsafe(24) + suffix
        path = _staging() / staged
        path.write_bytes(content)
        report = _run_import(desk, table, path, dry_run=True)
    except HoasenError as exc:
        return _import_page(request, user, register=table, error=str(exc), status=400)
    if not report.ok:
        path.unlink(missing_ok=True)
        staged = ""
    return _import_page(request, user, report, staged, table)


@router.post("/registers/import/run", response_class=HTMLResponse, dependencies=[Csrf])
def import_run(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    staged: Annotated[str, Form(max_length=80)],
    table: Annotated[str, Form(max_length=20)] = "delegations",
) -> HTMLResponse:
    """Import the file the dry run checked (all rows, or none when any has gone wrong)."""
    try:
        _check_register(user, table)
        if not _STAGED.match(staged) or not (_staging() / staged).is_file():
            raise UsageError("the checked file is gone: upload it again")
        path = _staging() / staged
        report = _run_import(desk, table, path, dry_run=False)
        if report.ok:
            path.unlink(missing_ok=True)
    except HoasenError as exc:
        return _import_page(request, user, register=table, error=str(exc), status=400)
    accounts.audit(user.id, f"register.{table}.import", table, {"rows": report.imported})
    return _import_page(request, user, report, "", table)


# ---------------------------------------------------------------- calendar subscriptions


@router.get("/registers/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, user: Viewer) -> HTMLResponse:
    """Make a private subscription address for a calendar program, or revoke one's own."""
    return render(request, "registers_calendar.html", {"user": user, "token": "", "revoked": -1})


@router.post("/registers/calendar/token", response_class=HTMLResponse, dependencies=[Csrf])
def calendar_token(
    request: Request,
    user: Viewer,
    desk: DeskDep,
    accounts: AccountsDep,
    calendar: Annotated[str, Form(max_length=60)] = "office",
) -> HTMLResponse:
    """A new subscription token of the signed-in user, shown once (only its hash is kept)."""
    try:
        token = desk.registers.events.new_token(user.id, calendar.strip() or "office")
    except HoasenError as exc:
        return _error(request, user, exc)
    accounts.audit(user.id, "register.calendar.token", calendar, {})
    base = str(request.base_url).rstrip("/")
    context = {"user": user, "token": token, "feed": f"{base}/calendar/{token}.ics", "revoked": -1}
    return render(request, "registers_calendar.html", context)


@router.post("/registers/calendar/revoke", response_class=HTMLResponse, dependencies=[Csrf])
def calendar_revoke(
    request: Request, user: Viewer, desk: DeskDep, accounts: AccountsDep
) -> HTMLResponse:
    """Revoke every subscription token of the signed-in user."""
    count = desk.registers.events.revoke(user_id=user.id)
    accounts.audit(user.id, "register.calendar.revoke", user.name, {"tokens": count})
    context = {"user": user, "token": "", "revoked": count}
    return render(request, "registers_calendar.html", context)


@public_router.get("/calendar/{token}.ics")
def calendar_feed(token: str, desk: DeskDep) -> Response:
    """The calendar a subscription token opens, as iCalendar; 404 for an unknown token."""
    found = desk.registers.events.calendar_for_token(token) if len(token) <= 200 else None
    if found is None:
        return Response("no such calendar\n", status_code=404, media_type="text/plain")
    return Response(
        desk.registers.events.export_ics(found), media_type="text/calendar; charset=utf-8"
    )
