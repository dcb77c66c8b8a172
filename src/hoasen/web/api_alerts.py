"""The alerts REST API under /api/v1: alerts (create, list, read, change, delete) and the
caller's notification list. Anyone signed in keeps their own alerts; editors (and above) see and
manage every alert. Each change is written to the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from hoasen.desk import Desk
from hoasen.store.alerts import AlertRow
from hoasen.web.api import _ERRORS, _WRITE_ERRORS
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import ApiError, api_user, get_accounts, get_desk

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
UserDep = Annotated[User, Depends(api_user)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Channel = Literal["desk", "email", "telegram"]
_CLEARABLE = frozenset({"language", "email", "telegram"})  # null in a PATCH clears these


class AlertCreate(BaseModel):
    """A new alert; it belongs to the caller and is active at once."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["query", "entity", "partner", "topic", "story"]
    target: str = Field(
        default="",
        max_length=500,
        description="The query, or the entity, partner or topic by any name (none for story)",
    )
    language: str | None = Field(default=None, max_length=8, description="Only this language")
    channels: list[Channel] | None = Field(
        default=None, description="Default: desk, plus email/telegram when given"
    )
    email: str | None = Field(default=None, max_length=320)
    telegram: str | None = Field(
        default=None, max_length=200, description="CHANNEL or CHANNEL:CHAT (a telegram channel)"
    )
    mode: Literal["immediate", "digest"] | None = None
    digest_at: str | None = Field(default=None, max_length=5, description="HH:MM, office time")
    spike_count: int = Field(default=5, ge=2, le=1000)
    spike_hours: int = Field(default=24, ge=1, le=720)


class AlertChange(BaseModel):
    """Changes to an alert's settings; what it watches stays (delete it and add another)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    language: str | None = Field(default=None, max_length=8)
    channels: list[Channel] | None = None
    email: str | None = Field(default=None, max_length=320)
    telegram: str | None = Field(default=None, max_length=200)
    mode: Literal["immediate", "digest"] | None = None
    digest_at: str | None = Field(default=None, max_length=5)
    spike_count: int | None = Field(default=None, ge=2, le=1000)
    spike_hours: int | None = Field(default=None, ge=1, le=720)
    active: bool | None = None


def may_manage(user: User, alert: AlertRow) -> bool:
    """Editors and above manage every alert; anyone else only their own."""
    return user.can("editor") or (alert.owner_id is not None and alert.owner_id == user.id)


def _own(desk: Desk, user: User, alert_id: int) -> AlertRow:
    """The alert, when the user may manage it: 404 for an unknown one, 403 for another's."""
    row = desk.alerts.get(alert_id)
    if not may_manage(user, row):
        raise ApiError(403, "forbidden", f"alert {alert_id} belongs to someone else")
    return row


def _doc(desk: Desk, row: AlertRow) -> dict[str, Any]:
    return {**row.as_json(), "watches": desk.alerts.describe(row)}


@router.get("/alerts", tags=["alerts"])
def list_alerts(desk: DeskDep, user: UserDep) -> dict[str, Any]:
    """The caller's alerts (an editor's view: every alert) with their hit counts."""
    rows = desk.alerts.alerts(None if user.can("editor") else user.id)
    counts = desk.alerts.counts()
    items = []
    for row in rows:
        hits, unsent = counts.get(row.id, (0, 0))
        items.append({**_doc(desk, row), "hits": hits, "unsent": unsent})
    return {"items": items, "total": len(items)}


@router.post("/alerts", status_code=201, tags=["alerts"], responses=_WRITE_ERRORS)
def create_alert(
    body: AlertCreate, desk: DeskDep, user: UserDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Add an alert (the entity, partner or topic is resolved by name: 404 when unknown)."""
    row = desk.alerts.add(
        body.name,
        body.kind,
        body.target,
        language=body.language,
        channels=body.channels,
        email=body.email,
        telegram=body.telegram,
        digest_at=body.digest_at,
        mode=body.mode,
        spike_count=body.spike_count,
        spike_hours=body.spike_hours,
        owner_id=user.id,
    )
    accounts.audit(user.id, "alert.add", row.name, {"id": row.id, "kind": row.kind})
    return _doc(desk, row)


@router.get("/alerts/{alert_id}", tags=["alerts"])
def get_alert(
    alert_id: int,
    desk: DeskDep,
    user: UserDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """One alert and its latest hits (with the articles' titles)."""
    row = _own(desk, user, alert_id)
    hits = [
        {**h.as_json(), "title": a.title if a else None, "language": a.language if a else None}
        for h, a in desk.alerts.hits(row.id, limit)
    ]
    return {**_doc(desk, row), "hits": hits}


@router.patch("/alerts/{alert_id}", tags=["alerts"], responses=_WRITE_ERRORS)
def change_alert(
    alert_id: int, body: AlertChange, desk: DeskDep, user: UserDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Change an alert: its name, language, channels, mode, digest time, spike, pause
    (`active: false`) or resume."""
    _own(desk, user, alert_id)
    changes = {
        key: value
        for key, value in body.model_dump(exclude_unset=True).items()
        if value is not None or key in _CLEARABLE
    }
    row = desk.alerts.update(alert_id, **changes)
    accounts.audit(user.id, "alert.change", row.name, {"id": row.id, "fields": sorted(changes)})
    return _doc(desk, row)


@router.delete("/alerts/{alert_id}", status_code=204, tags=["alerts"], responses=_WRITE_ERRORS)
def delete_alert(alert_id: int, desk: DeskDep, user: UserDep, accounts: AccountsDep) -> Response:
    """Delete an alert and its hits."""
    _own(desk, user, alert_id)
    row = desk.alerts.remove(alert_id)
    accounts.audit(user.id, "alert.remove", row.name, {"id": row.id})
    return Response(status_code=204)


@router.get("/notifications", tags=["alerts"])
def list_notifications(
    desk: DeskDep,
    user: UserDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The caller's notifications and those for every desk user, newest first."""
    rows = desk.alerts.notifications(user.id, unread=unread, limit=limit)
    return {
        "items": [n.as_json() for n in rows],
        "total": len(rows),
        "unread": desk.alerts.unread_count(user.id),
    }


@router.post("/notifications/{notification_id}/read", tags=["alerts"], responses=_WRITE_ERRORS)
def read_notification(notification_id: int, desk: DeskDep, user: UserDep) -> dict[str, Any]:
    """Mark a notification read (one for everyone is read for everyone)."""
    return desk.alerts.mark_read(notification_id, user.id).as_json()
