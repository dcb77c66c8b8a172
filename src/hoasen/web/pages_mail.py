"""The public mail pages: confirm a subscription, unsubscribe (a page with a button, and RFC
8058 one-click POST), preferences, and the subscribe form's target.

No login and no CSRF token: every action but subscribing acts only on a signed token from a
mail the subscriber received, and subscribing only sends a confirmation mail (always: double
opt-in for every public subscription, whatever the list's own setting). The pages load nothing
from elsewhere.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.publish.mailing import MailingDesk
from hoasen.web.pages_render import render

router = APIRouter(prefix="/mail", include_in_schema=False)
TEMPLATE = "mail_public.html"


def _mailing(request: Request) -> MailingDesk:
    return MailingDesk(request.app.state.desk)


def _page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    values = {"user": None, "title": "", "message": "", "form": None, **context}
    response = render(request, TEMPLATE, values, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


def _refused(request: Request, exc: HoasenError) -> HTMLResponse:
    return _page(request, 400 if isinstance(exc, UsageError) else 404, message=str(exc))


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> Response:
    """Confirm a double opt-in subscription."""
    try:
        subscriber, the_list = _mailing(request).confirm(token)
    except (UsageError, NotFoundError) as exc:
        return _refused(request, exc)
    return _page(
        request,
        title="confirmed",
        message=f"{subscriber.email} is subscribed to {the_list.name}.",
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> Response:
    """A page with one button that unsubscribes (a GET never changes anything: mail scanners
    open links)."""
    try:
        subscriber_id, list_id = _mailing(request).verify("unsubscribe", token)
        the_list = _mailing(request).get_list(list_id)
    except (UsageError, NotFoundError) as exc:
        return _refused(request, exc)
    return _page(
        request,
        title="unsubscribe",
        message=f"Stop receiving mail from {the_list.name}?",
        form={"action": f"/mail/unsubscribe/{token}", "kind": "unsubscribe"},
        subscriber_id=subscriber_id,
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> Response:
    """Unsubscribe: the page's button, or a mail client's RFC 8058 one-click POST (body
    `List-Unsubscribe=One-Click`); the token alone decides, the body is not needed."""
    try:
        subscriber, the_list = _mailing(request).unsubscribe(token)
    except (UsageError, NotFoundError) as exc:
        return _refused(request, exc)
    return _page(
        request,
        title="unsubscribed",
        message=f"{subscriber.email} will get no more mail from {the_list.name}.",
    )


@router.get("/preferences/{token}", response_class=HTMLResponse)
def preferences_page(request: Request, token: str) -> Response:
    """The subscriber's language and lists."""
    try:
        prefs = _mailing(request).preferences(token)
    except (UsageError, NotFoundError) as exc:
        return _refused(request, exc)
    return _page(
        request,
        title="preferences",
        form={"action": f"/mail/preferences/{token}", "kind": "preferences"},
        prefs=prefs,
    )


@router.post("/preferences/{token}", response_class=HTMLResponse)
async def preferences(request: Request, token: str) -> Response:
    """Save the language and the lists kept (checked); unchecked lists are left."""
    form = await request.form()
    keep = [int(str(v)) for v in form.getlist("list") if str(v).isdigit()]
    language = str(form.get("language") or "")
    leave_all = bool(form.get("leave_all"))
    try:
        prefs = _mailing(request).update_preferences(token, language, keep, leave_all)
    except (UsageError, NotFoundError) as exc:
        return _refused(request, exc)
    return _page(
        request,
        title="preferences",
        message="Saved.",
        form={"action": f"/mail/preferences/{token}", "kind": "preferences"},
        prefs=prefs,
    )


@router.post("/subscribe/{list_name}", response_class=HTMLResponse)
def subscribe(
    request: Request,
    list_name: str,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    language: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The subscribe form's target: always a confirmation mail first (double opt-in), whatever
    the list's setting, since anyone could type anyone's address here. The answer does not tell
    whether the address was known (or blocklisted): only the mail to it does."""
    try:
        _, status = _mailing(request).subscribe(list_name, email, name, language, public=True)
    except (UsageError, NotFoundError) as exc:
        return _refused(request, exc)
    if status == "active":
        return _page(request, title="subscribed", message="You are subscribed.")
    return _page(
        request,
        title="check your mail",
        message="Check your mail: open the link we sent to confirm your subscription.",
    )
