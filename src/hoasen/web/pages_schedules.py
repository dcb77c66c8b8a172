"""The web desk's report schedules page: every schedule with when it runs, its next run (office
time) and the last report it made, linked to the register. Anyone signed in reads it; editors
add, edit, enable, disable, delete and run a schedule now (idempotent: built and mailed once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError
from hoasen.reports import FORMATS
from hoasen.reports.schedule_times import SCHEDULE_KINDS, WEEKDAYS
from hoasen.reports.service import LANGUAGES
from hoasen.store.schedules import ScheduleRow
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)
Text = Annotated[str, Form(max_length=2_000)]
FILTER_FIELDS = ("query", "topics", "entities", "partners", "countries", "languages", "sources")


def _split(text: str) -> list[str]:
    """Comma- or line-separated items."""
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


def _form_of(row: ScheduleRow) -> dict[str, Any]:
    """A schedule as the values of the edit form."""
    form: dict[str, Any] = {
        "name": row.name,
        "kind": row.kind,
        "at": row.at,
        "weekday": "" if row.weekday is None else str(row.weekday),
        "day": "" if row.day is None else str(row.day),
        "language": row.language,
        "formats": list(row.formats),
        "recipients": "\n".join(row.recipients),
    }
    for key in FILTER_FIELDS:
        value = row.filters.get(key)
        form[key] = ", ".join(value) if isinstance(value, list) else str(value or "")
    return form


def _page(
    request: Request,
    user: User,
    desk: Desk,
    error: str = "",
    form: dict[str, Any] | None = None,
    editing: int | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    schedules = desk.schedules
    now = datetime.now(UTC)
    rows = []
    for row in schedules.list():
        following = schedules.next_due(row, now)
        rows.append(
            {
                "row": row,
                "weekday": WEEKDAYS[row.weekday] if row.weekday is not None else "",
                "link": report_link(row.last_number) if row.last_number else "",
                "next": following.astimezone(schedules.zone).strftime("%Y-%m-%d %H:%M")
                if following
                else "",
            }
        )
    context = {
        "user": user,
        "rows": rows,
        "kinds": SCHEDULE_KINDS,
        "weekdays": WEEKDAYS,
        "languages": LANGUAGES,
        "formats": FORMATS,
        "filter_fields": FILTER_FIELDS,
        "form": form or {"at": "07:30", "formats": ["pdf"], "kind": "daily"},
        "editing": editing,
        "error": error,
        "notice": notice,
        "zone": desk.settings.office_timezone,
    }
    return render(request, "schedules.html", context, status)


@router.get("/schedules", response_class=HTMLResponse)
def schedules_page(request: Request, user: Viewer, desk: DeskDep, edit: int = 0) -> HTMLResponse:
    """Every schedule with its next run and last report; `?edit=ID` fills the form with one."""
    if edit:
        try:
            row = desk.schedules.get(edit)
        except HoasenError as exc:
            return _page(request, user, desk, str(exc), status=_status(exc))
        return _page(request, user, desk, form=_form_of(row), editing=row.id)
    return _page(request, user, desk)


def _values(
    name: str,
    kind: str,
    at: str,
    weekday: str,
    day: str,
    language: str,
    formats: list[str] | None,
    recipients: str,
    filters: dict[str, str],
) -> dict[str, Any]:
    """The form's fields as the schedule desk's arguments."""
    stored: dict[str, Any] = {k: _split(v) for k, v in filters.items() if k != "query"}
    stored["query"] = filters.get("query", "").strip() or None
    return {
        "name": name,
        "kind": kind,
        "at": at,
        "weekday": weekday.strip() if kind == "weekly" and weekday.strip() else None,
        "day": day.strip() if kind == "monthly" and day.strip() else None,
        "language": language,
        "formats": formats or [],
        "recipients": _split(recipients),
        "filters": stored,
    }


def _form_echo(values: dict[str, Any], recipients: str, filters: dict[str, str]) -> dict[str, Any]:
    """What the editor typed, to show again with the error."""
    return {
        **values,
        "weekday": values["weekday"] or "",
        "day": values["day"] or "",
        "recipients": recipients,
        **filters,
    }


@router.post("/schedules", response_class=HTMLResponse, dependencies=[Csrf])
def add_schedule(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=10)],
    at: Annotated[str, Form(max_length=5)] = "07:30",
    weekday: Annotated[str, Form(max_length=10)] = "",
    day: Annotated[str, Form(max_length=2)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    formats: Annotated[list[str] | None, Form()] = None,
    recipients: Annotated[str, Form(max_length=20_000)] = "",
    query: Text = "",
    topics: Text = "",
    entities: Text = "",
    partners: Text = "",
    countries: Text = "",
    languages: Text = "",
    sources: Text = "",
) -> Response:
    """Add a schedule (enabled)."""
    filters = {"query": query, "topics": topics, "entities": entities, "partners": partners,
               "countries": countries, "languages": languages, "sources": sources}  # fmt: skip
    values = _values(name, kind, at, weekday, day, language, formats, recipients, filters)
    try:
        row = desk.schedules.add(**values, created_by=user.name)
    except HoasenError as exc:
        form = _form_echo(values, recipients, filters)
        return _page(request, user, desk, str(exc), form, status=_status(exc))
    accounts.audit(user.id, "schedule.add", row.name, {"kind": row.kind, "at": row.at})
    return _see("/schedules")


@router.post("/schedules/{schedule_id}", response_class=HTMLResponse, dependencies=[Csrf])
def edit_schedule(
    request: Request,
    schedule_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=10)],
    at: Annotated[str, Form(max_length=5)] = "07:30",
    weekday: Annotated[str, Form(max_length=10)] = "",
    day: Annotated[str, Form(max_length=2)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    formats: Annotated[list[str] | None, Form()] = None,
    recipients: Annotated[str, Form(max_length=20_000)] = "",
    query: Text = "",
    topics: Text = "",
    entities: Text = "",
    partners: Text = "",
    countries: Text = "",
    languages: Text = "",
    sources: Text = "",
) -> Response:
    """Change every field of a schedule from the edit form."""
    filters = {"query": query, "topics": topics, "entities": entities, "partners": partners,
               "countries": countries, "languages": languages, "sources": sources}  # fmt: skip
    values = _values(name, kind, at, weekday, day, language, formats, recipients, filters)
    try:
        row = desk.schedules.update(schedule_id, **values)
    except HoasenError as exc:
        form = _form_echo(values, recipients, filters)
        return _page(request, user, desk, str(exc), form, schedule_id, status=_status(exc))
    accounts.audit(user.id, "schedule.edit", row.name, {"kind": row.kind, "at": row.at})
    return _see("/schedules")


def _act(
    request: Request,
    schedule_id: int,
    user: User,
    desk: Desk,
    accounts: Accounts,
    action: str,
) -> Response:
    """Enable, disable or delete a schedule, or run it now."""
    schedules = desk.schedules
    notice = ""
    details: dict[str, Any] = {}
    try:
        row = schedules.get(schedule_id)
        if action == "enable":
            schedules.enable(row.id)
        elif action == "disable":
            schedules.disable(row.id)
        elif action == "remove":
            schedules.remove(row.id)
        else:
            run = schedules.run_now(row.id)
            details = {"key": run.key, "number": run.number}
            made = "made" if run.created else "already made"
            notice = f"{row.name}: report {run.number} {made}; mailed to {len(run.sent)}."
            if run.errors:
                notice += " " + "; ".join(run.errors)
    except HoasenError as exc:
        return _page(request, user, desk, str(exc), status=_status(exc))
    accounts.audit(user.id, f"schedule.{action}", row.name, details)
    if notice:
        return _page(request, user, desk, notice=notice)
    return _see("/schedules")


@router.post("/schedules/{schedule_id}/enable", response_class=HTMLResponse, dependencies=[Csrf])
def enable_schedule(
    request: Request, schedule_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Switch a schedule on."""
    return _act(request, schedule_id, user, desk, accounts, "enable")


@router.post("/schedules/{schedule_id}/disable", response_class=HTMLResponse, dependencies=[Csrf])
def disable_schedule(
    request: Request, schedule_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Switch a schedule off."""
    return _act(request, schedule_id, user, desk, accounts, "disable")


@router.post("/schedules/{schedule_id}/delete", response_class=HTMLResponse, dependencies=[Csrf])
def delete_schedule(
    request: Request, schedule_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Delete a schedule (its reports stay in the register)."""
    return _act(request, schedule_id, user, desk, accounts, "remove")


@router.post("/schedules/{schedule_id}/run", response_class=HTMLResponse, dependencies=[Csrf])
def run_schedule(
    request: Request, schedule_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Run the schedule's latest instant now (built and mailed once)."""
    return _act(request, schedule_id, user, desk, accounts, "run")


def report_link(number: str) -> str:
    """The register page showing one report (its download links)."""
    return "/reports?made=" + quote(number, safe="")
