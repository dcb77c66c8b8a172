"""The desk's alert pages: the alerts (a create form; pause, resume, delete), one alert's hits,
the notification list (mark read), the nav's unread count, and the public page of the signed
unsubscribe link in alert mail.

Anyone signed in keeps their own alerts; editors and above see and manage every alert. The
unsubscribe page needs no login and no CSRF token: it acts only on a token signed for that one
alert, and a GET never changes anything (mail scanners open links); the POST, a button or a
mail client's RFC 8058 one-click request, pauses the alert.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.alerts.checks import KINDS
from hoasen.desk import Desk
from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.store.alerts import AlertRow
from hoasen.web.api_alerts import may_manage
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_user
from hoasen.web.pages_render import error_page, render
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)
public_router = APIRouter(prefix="/alerts/unsubscribe", include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)


def _visible(desk: Desk, user: User) -> list[AlertRow]:
    return desk.alerts.alerts(None if user.can("editor") else user.id)


def _alerts(
    request: Request,
    user: User,
    desk: Desk,
    error: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = _visible(desk, user)
    context = {
        "user": user,
        "alerts": rows,
        "watches": {r.id: desk.alerts.describe(r) for r in rows},
        "counts": desk.alerts.counts(),
        "kinds": KINDS,
        "telegram_channels": [c.name for c in desk.posts.channels() if c.kind == "telegram"],
        "error": error,
        "form": form or {},
    }
    return render(request, "alerts.html", context, status)


def _own(desk: Desk, user: User, alert_id: int) -> AlertRow:
    row = desk.alerts.get(alert_id)
    if not may_manage(user, row):
        raise NotFoundError(f"no alert {alert_id} of yours")
    return row


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """The alerts the user manages, and a form for a new one."""
    return _alerts(request, user, desk)


@router.post("/alerts", response_class=HTMLResponse, dependencies=[Csrf])
def add_alert(
    request: Request,
    user: Viewer,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=10)],
    target: Annotated[str, Form(max_length=500)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    telegram: Annotated[str, Form(max_length=200)] = "",
    digest_at: Annotated[str, Form(max_length=5)] = "",
    desk_notice: Annotated[str, Form(max_length=5)] = "",
    spike_count: Annotated[int, Form(ge=2, le=1000)] = 5,
    spike_hours: Annotated[int, Form(ge=1, le=720)] = 24,
) -> Response:
    """Add an alert owned by the user."""
    form = {
        "name": name,
        "kind": kind,
        "target": target,
        "language": language,
        "email": email,
        "telegram": telegram,
        "digest_at": digest_at,
        "desk_notice": desk_notice,
        "spike_count": str(spike_count),
        "spike_hours": str(spike_hours),
    }
    channels = [
        *(["desk"] if desk_notice else []),
        *(["email"] if email.strip() else []),
        *(["telegram"] if telegram.strip() else []),
    ]
    try:
        row = desk.alerts.add(
            name,
            kind,
            target,
            language=language or None,
            channels=channels,
            email=email or None,
            telegram=telegram or None,
            digest_at=digest_at or None,
            spike_count=spike_count,
            spike_hours=spike_hours,
            owner_id=user.id,
        )
    except HoasenError as exc:
        return _alerts(request, user, desk, str(exc), form, _status(exc))
    accounts.audit(user.id, "alert.add", row.name, {"id": row.id, "kind": row.kind})
    return _see("/alerts")


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: int, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """One alert and its latest hits."""
    try:
        row = _own(desk, user, alert_id)
    except HoasenError as exc:
        return error_page(request, user, exc)
    context = {
        "user": user,
        "alert": row,
        "watches": desk.alerts.describe(row),
        "hits": desk.alerts.hits(row.id, 100),
    }
    return render(request, "alert.html", context)


def _change(
    request: Request, user: User, desk: Desk, accounts: Accounts, alert_id: int, action: str
) -> Response:
    try:
        row = _own(desk, user, alert_id)
        if action == "pause":
            desk.alerts.pause(row.id)
        elif action == "resume":
            desk.alerts.resume(row.id)
        else:
            desk.alerts.remove(row.id)
    except HoasenError as exc:
        return _alerts(request, user, desk, str(exc), status=_status(exc))
    accounts.audit(user.id, f"alert.{action}", row.name, {"id": row.id})
    return _see("/alerts")


@router.post("/alerts/{alert_id}/pause", response_class=HTMLResponse, dependencies=[Csrf])
def pause_alert(
    request: Request, alert_id: int, user: Viewer, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Pause an alert."""
    return _change(request, user, desk, accounts, alert_id, "pause")


@router.post("/alerts/{alert_id}/resume", response_class=HTMLResponse, dependencies=[Csrf])
def resume_alert(
    request: Request, alert_id: int, user: Viewer, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Resume a paused alert."""
    return _change(request, user, desk, accounts, alert_id, "resume")


@router.post("/alerts/{alert_id}/delete", response_class=HTMLResponse, dependencies=[Csrf])
def delete_alert(
    request: Request, alert_id: int, user: Viewer, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Delete an alert and its hits."""
    return _change(request, user, desk, accounts, alert_id, "remove")


# ---------------------------------------------------------------- notifications


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """The user's notifications and those for everyone, newest first."""
    context = {
        "user": user,
        "notices": desk.alerts.notifications(user.id, limit=200),
        "unread": desk.alerts.unread_count(user.id),
    }
    return render(request, "notifications.html", context)


@router.get("/notifications/count", response_class=HTMLResponse)
def notifications_count(request: Request, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """The nav link's text with the unread count (an HTMX fragment)."""
    count = desk.alerts.unread_count(user.id)
    return render(request, "_notifications_count.html", {"user": user, "count": count})


@router.post("/notifications/read", response_class=HTMLResponse, dependencies=[Csrf])
def read_all(request: Request, user: Viewer, desk: DeskDep) -> Response:
    """Mark every notification of the user read."""
    desk.alerts.mark_all_read(user.id)
    return _see("/notifications")


@router.post(
    "/notifications/{notification_id}/read", response_class=HTMLResponse, dependencies=[Csrf]
)
def read_one(request: Request, notification_id: int, user: Viewer, desk: DeskDep) -> Response:
    """Mark one notification read."""
    try:
        desk.alerts.mark_read(notification_id, user.id)
    except HoasenError as exc:
        return error_page(request, user, exc)
    return _see("/notifications")


# ---------------------------------------------------------------- the public unsubscribe page


def _public(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    values = {"user": None, "title": "", "message": "", "form": None, **context}
    response = render(request, "mail_public.html", values, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@public_router.get("/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str, desk: DeskDep) -> Response:
    """A page with one button that pauses the alert."""
    try:
        row = desk.alerts.from_token(token)
    except UsageError as exc:
        return _public(request, 400, message=str(exc))
    return _public(
        request,
        title="unsubscribe",
        message=f"Stop the alert \u201c{row.name}\u201d?",
        form={"action": f"/alerts/unsubscribe/{token}", "kind": "unsubscribe"},
    )


@public_router.post("/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str, desk: DeskDep) -> Response:
    """Pause the alert: the page's button, or a mail client's one-click POST."""
    try:
        row = desk.alerts.unsubscribe(token)
    except UsageError as exc:
        return _public(request, 400, message=str(exc))
    return _public(
        request,
        title="unsubscribed",
        message=f"The alert \u201c{row.name}\u201d is paused: it sends no more messages.",
    )
