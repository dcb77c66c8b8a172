"""The report schedule REST API under /api/v1/report-schedules: list, add, read, edit, delete,
and run one now. Reading needs a signed-in user; every change needs an editor and is written
to the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from hoasen.desk import Desk
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_user, get_accounts, get_desk

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]


class ScheduleFilters(BaseModel):
    """What the report covers besides its period (as for a thematic report); empty: all."""

    query: str | None = Field(default=None, max_length=500)
    topics: list[str] = Field(default=[], max_length=50)
    entities: list[str] = Field(default=[], max_length=50)
    partners: list[str] = Field(default=[], max_length=50)
    countries: list[str] = Field(default=[], max_length=50)
    languages: list[str] = Field(default=[], max_length=50)
    sources: list[str] = Field(default=[], max_length=50)


class ScheduleCreate(BaseModel):
    """A report built daily, weekly or monthly at a time in the office time zone."""

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(description="daily, weekly or monthly")
    at: str = Field(default="07:30", max_length=5, description="HH:MM, office time zone")
    weekday: int | str | None = Field(default=None, description="Weekly: 0 (Mon) to 6, or mon")
    day: int | None = Field(default=None, ge=1, le=28, description="Monthly: day of the month")
    language: str | None = Field(default=None, max_length=8, description="vi or en")
    formats: list[str] = Field(default=["pdf"], max_length=5)
    recipients: list[str] = Field(default=[], max_length=200)
    filters: ScheduleFilters | None = None


class SchedulePatch(BaseModel):
    """The fields to change; those left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = None
    at: str | None = Field(default=None, max_length=5)
    weekday: int | str | None = None
    day: int | None = Field(default=None, ge=1, le=28)
    language: str | None = Field(default=None, max_length=8)
    formats: list[str] | None = Field(default=None, max_length=5)
    recipients: list[str] | None = Field(default=None, max_length=200)
    filters: ScheduleFilters | None = None
    enabled: bool | None = None


class RunRequest(BaseModel):
    """Which instant to run: the latest at or before `at` (default now)."""

    at: datetime | None = None


@router.get("/report-schedules", tags=["report schedules"])
def list_schedules(desk: DeskDep) -> dict[str, Any]:
    """Every schedule with its next run (UTC) and last report number."""
    schedules = desk.schedules
    items = [schedules.as_json(s) for s in schedules.list()]
    return {"items": items, "total": len(items)}


@router.post(
    "/report-schedules", status_code=201, tags=["report schedules"], responses=_WRITE_ERRORS
)
def create_schedule(
    body: ScheduleCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Add a schedule (enabled); a bad time, format or address is a 400."""
    row = desk.schedules.add(
        body.name,
        body.kind,
        at=body.at,
        weekday=body.weekday,
        day=body.day,
        language=body.language,
        formats=body.formats,
        recipients=body.recipients,
        filters=body.filters.model_dump() if body.filters else None,
        created_by=user.name,
    )
    accounts.audit(user.id, "schedule.add", row.name, {"kind": row.kind, "at": row.at})
    return desk.schedules.as_json(row)


@router.get("/report-schedules/{schedule_id}", tags=["report schedules"])
def get_schedule(schedule_id: int, desk: DeskDep) -> dict[str, Any]:
    """One schedule."""
    return desk.schedules.as_json(desk.schedules.get(schedule_id))


@router.patch("/report-schedules/{schedule_id}", tags=["report schedules"], responses=_WRITE_ERRORS)
def patch_schedule(
    schedule_id: int, body: SchedulePatch, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Change a schedule (enabled: false switches it off)."""
    changes = body.model_dump(exclude_unset=True)
    if body.filters is not None:
        changes["filters"] = body.filters.model_dump()
    row = desk.schedules.update(desk.schedules.get(schedule_id).id, **changes)
    accounts.audit(user.id, "schedule.edit", row.name, {"changed": sorted(changes)})
    return desk.schedules.as_json(row)


@router.delete(
    "/report-schedules/{schedule_id}",
    status_code=204,
    tags=["report schedules"],
    responses=_WRITE_ERRORS,
)
def delete_schedule(
    schedule_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> Response:
    """Delete a schedule; the reports it made stay in the register."""
    row = desk.schedules.remove(desk.schedules.get(schedule_id).id)
    accounts.audit(user.id, "schedule.remove", row.name, {})
    return Response(status_code=204)


@router.post(
    "/report-schedules/{schedule_id}/run", tags=["report schedules"], responses=_WRITE_ERRORS
)
def run_schedule(
    schedule_id: int,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
    body: RunRequest | None = None,
) -> dict[str, Any]:
    """Run the schedule's latest instant now (idempotent: built and mailed once)."""
    row = desk.schedules.get(schedule_id)
    run = desk.schedules.run_now(row.id, body.at if body else None)
    accounts.audit(user.id, "schedule.run", row.name, {"key": run.key, "number": run.number})
    return run.as_json()
