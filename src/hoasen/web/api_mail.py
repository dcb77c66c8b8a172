"""The mailing REST API under /api/v1/mail: lists, their subscribers, campaigns (new, test copy,
send, cancel, status), recorded bounces, and the bounce webhook.

Reading lists and campaigns needs a signed-in user; subscribers and bounces are personal data
(addresses) and need an editor, as does every write. A send returns 202 at once: the campaign
goes out in a background thread of the server process (`start_send`), resumable like the CLI's.

`POST /mail/bounces` is for the mail provider's machines, not people: no session, token or CSRF,
but an HMAC-SHA256 signature of the raw body with `mail_bounce_secret`, sent as
`X-Hoasen-Signature: sha256=<hex>`. The body is one item or a list of items
{"email", "kind": "hard"|"soft"|"complaint", "campaign_id"?, "status"?, "detail"?, "id"?};
the reply names each item's outcome ("recorded" or "duplicate", and whether the address is now
blocklisted). 401 for a missing or wrong signature (or no secret set), 422 for a bad body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hoasen.desk import Desk
from hoasen.errors import HoasenError, UsageError
from hoasen.publish.mailing import MailingDesk
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import ApiError, api_require, api_user, get_accounts, get_desk
from hoasen.web.errors import ErrorBody, error_response

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
SIGNATURE_HEADER = "X-Hoasen-Signature"

router = APIRouter(prefix=PREFIX, dependencies=[Depends(api_user)], responses=_ERRORS)
# The bounce webhook: authenticated by its signature only (no session, token or CSRF).
webhook_router = APIRouter(prefix=PREFIX)

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
Reader = Annotated[User, Depends(api_require("editor"))]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]


# ---------------------------------------------------------------- background sends


class CampaignSends:
    """The background campaign sends of one app: a thread per campaign being sent, and why
    the last send of a campaign stopped, if it failed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threads: dict[int, threading.Thread] = {}
        self.errors: dict[int, str] = {}


_SENDS_LOCK = threading.Lock()


def _sends(app: FastAPI) -> CampaignSends:
    with _SENDS_LOCK:
        found = getattr(app.state, "mail_sends", None)
        if not isinstance(found, CampaignSends):
            found = CampaignSends()
            app.state.mail_sends = found
        return found


def start_send(app: FastAPI, desk: Desk, campaign_id: int) -> bool:
    """Send a campaign in a background thread of this process; False when a send of it is
    already running here. A failure is logged and kept for `send_error` (the send stays
    resumable: start it again)."""
    sends = _sends(app)

    def run() -> None:
        try:
            MailingDesk(desk).send(campaign_id)
        except (HoasenError, OSError) as exc:
            log.warning("campaign %s: the send stopped: %s", campaign_id, exc)
            sends.errors[campaign_id] = str(exc)

    with sends.lock:
        running = sends.threads.get(campaign_id)
        if running is not None and running.is_alive():
            return False
        sends.errors.pop(campaign_id, None)
        thread = threading.Thread(target=run, name=f"hoasen-campaign-{campaign_id}", daemon=True)
        sends.threads[campaign_id] = thread
        thread.start()
    return True


def sending(app: FastAPI, campaign_id: int) -> bool:
    """Whether this process is sending the campaign now."""
    thread = _sends(app).threads.get(campaign_id)
    return bool(thread is not None and thread.is_alive())


def send_error(app: FastAPI, campaign_id: int) -> str:
    """Why the last background send of the campaign stopped, or ""."""
    return _sends(app).errors.get(campaign_id, "")


def wait_sends(app: FastAPI, timeout: float = 60.0) -> None:
    """Wait for the background sends of this process to end (tests, shutdown)."""
    for thread in list(_sends(app).threads.values()):
        thread.join(timeout)


# ---------------------------------------------------------------- request bodies


class ListCreate(BaseModel):
    """A new mailing list."""

    name: str = Field(min_length=1, max_length=200)
    double_optin: bool = Field(
        default=False, description="Members the office adds confirm by mail first"
    )
    language: str = Field(default="vi", max_length=16)
    description: str = Field(default="", max_length=2_000)


class CampaignCreate(BaseModel):
    """A draft campaign to a list, in the list's language."""

    list: str = Field(min_length=1, max_length=200, description="The list's name or id")
    subject: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1, max_length=500_000)
    html: str | None = Field(default=None, max_length=2_000_000)


class TestSend(BaseModel):
    """Where a test copy goes."""

    to: str = Field(min_length=3, max_length=320)
    language: str = Field(default="", max_length=16)


# ---------------------------------------------------------------- lists


def list_doc(mailing: MailingDesk, list_id: int) -> dict[str, Any]:
    """A list's JSON document with its members counted by status."""
    the_list = mailing.get_list(list_id)
    counts = mailing.status_counts(the_list.id)
    return {**the_list.as_json(), "members_by_status": counts}


@router.get("/mail/lists", tags=["mail"])
def get_lists(desk: DeskDep) -> dict[str, Any]:
    """Every mailing list with its members counted by status (no addresses)."""
    mailing = MailingDesk(desk)
    items = [list_doc(mailing, m.id) for m in mailing.lists()]
    return {"items": items, "total": len(items)}


@router.post("/mail/lists", status_code=201, tags=["mail"], responses=_WRITE_ERRORS)
def create_list(
    body: ListCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Create a mailing list (a name in use is a 400)."""
    mailing = MailingDesk(desk)
    made = mailing.create_list(body.name, body.double_optin, body.language, body.description)
    accounts.audit(user.id, "mail.list.create", str(made.id), {"name": made.name})
    return list_doc(mailing, made.id)


@router.get("/mail/lists/{list_id}/subscribers", tags=["mail"], responses=_WRITE_ERRORS)
def get_subscribers(list_id: int, desk: DeskDep, user: Reader) -> dict[str, Any]:
    """A list's subscribers (address, name, language, statuses): personal data, for editors
    and admins only."""
    items = [s.as_json() for s in MailingDesk(desk).subscribers(list_id)]
    return {"items": items, "total": len(items)}


# ---------------------------------------------------------------- campaigns


def campaign_doc(app: FastAPI, mailing: MailingDesk, campaign_id: int) -> dict[str, Any]:
    """A campaign's status document, with whether this server is sending it now."""
    status = mailing.status(campaign_id).as_json()
    return {
        **status,
        "sending_now": sending(app, campaign_id),
        "last_error": send_error(app, campaign_id),
        "dry_run": mailing.mailer.dry_run,
    }


@router.post("/mail/campaigns", status_code=201, tags=["mail"], responses=_WRITE_ERRORS)
def create_campaign(
    body: CampaignCreate, request: Request, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Create a draft campaign to a list."""
    mailing = MailingDesk(desk)
    campaign = mailing.new_campaign(body.list, body.subject, body.text, body.html)
    accounts.audit(user.id, "mail.campaign.create", str(campaign.id), {"list": body.list})
    return campaign_doc(request.app, mailing, campaign.id)


@router.get("/mail/campaigns/{campaign_id}", tags=["mail"])
def get_campaign(campaign_id: int, request: Request, desk: DeskDep) -> dict[str, Any]:
    """A campaign: subjects, languages, status and its sends counted by status."""
    return campaign_doc(request.app, MailingDesk(desk), campaign_id)


@router.post("/mail/campaigns/{campaign_id}/test", tags=["mail"], responses=_WRITE_ERRORS)
def test_campaign(
    campaign_id: int, body: TestSend, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Send one test copy (subject marked [TEST]) to an address; the mailer's receipt."""
    mailing = MailingDesk(desk)
    receipt = mailing.test_send(campaign_id, body.to, body.language)
    accounts.audit(user.id, "mail.campaign.test", str(campaign_id))
    return {"receipt": receipt, "dry_run": mailing.mailer.dry_run, "where": mailing.mailer.where}


@router.post(
    "/mail/campaigns/{campaign_id}/send", status_code=202, tags=["mail"], responses=_WRITE_ERRORS
)
def send_campaign(
    campaign_id: int, request: Request, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Start sending (or resume) a campaign in the background; 202 at once. Poll
    GET /mail/campaigns/{id} for its progress. 409 when this server is sending it already."""
    mailing = MailingDesk(desk)
    campaign = mailing.campaigns.get(campaign_id)
    if campaign.status == "cancelled":
        raise UsageError(f"campaign {campaign_id} was cancelled")
    mailing.mailer.check_settings()
    if not start_send(request.app, desk, campaign_id):
        raise ApiError(409, "conflict", f"campaign {campaign_id} is being sent already")
    accounts.audit(user.id, "mail.campaign.send", str(campaign_id))
    return campaign_doc(request.app, mailing, campaign_id)


@router.post("/mail/campaigns/{campaign_id}/cancel", tags=["mail"], responses=_WRITE_ERRORS)
def cancel_campaign(
    campaign_id: int, request: Request, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Cancel a campaign: its unsent messages are never sent (a send under way stops at its
    next batch)."""
    mailing = MailingDesk(desk)
    mailing.campaigns.cancel(campaign_id)
    accounts.audit(user.id, "mail.campaign.cancel", str(campaign_id))
    return campaign_doc(request.app, mailing, campaign_id)


@router.get("/mail/bounces", tags=["mail"], responses=_WRITE_ERRORS)
def get_bounces(
    desk: DeskDep,
    user: Reader,
    campaign_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Recorded bounces and complaints, newest first (addresses: editors and admins only)."""
    rows = MailingDesk(desk).bounces.recent(limit, campaign_id)
    return {"items": [b.as_json() for b in rows], "total": len(rows)}


# ---------------------------------------------------------------- the bounce webhook

_WEBHOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "X-Hoasen-Signature is missing or wrong, or mail_bounce_secret is not set"),
        (422, "The body is not JSON, or an item is not a bounce (the reasons name each)"),
    )
}


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is "sha256=<hex HMAC-SHA256 of body with secret>"."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@webhook_router.post(
    "/mail/bounces",
    tags=["mail"],
    responses=_WEBHOOK_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": 'One item or a list: {"email", "kind": hard|soft|complaint, '
            '"campaign_id"?, "status"?, "detail"?, "id"?}; an "id" makes a resend a duplicate.',
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def post_bounces(
    request: Request,
    desk: DeskDep,
    x_hoasen_signature: Annotated[
        str | None,
        Header(description="sha256=<hex HMAC-SHA256 of the raw body with mail_bounce_secret>"),
    ] = None,
) -> JSONResponse:
    """Record bounces and complaints reported by the mail provider; hard bounces and
    complaints blocklist the address at once, soft ones after repeats."""
    body = await request.body()
    if not signature_ok(desk.settings.mail_bounce_secret, body, x_hoasen_signature):
        raise ApiError(
            401,
            "bad_signature",
            "the signature is missing or wrong (or mail_bounce_secret is not set)",
            headers={"WWW-Authenticate": f'HMAC-SHA256 header="{SIGNATURE_HEADER}"'},
        )
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return error_response(422, f"the body is not JSON: {exc}", "invalid_request")
    record = partial(MailingDesk(desk).bounces.webhook, document)
    try:
        outcomes = await anyio.to_thread.run_sync(record)
    except UsageError as exc:
        return error_response(422, "the bounces were refused", "invalid_request", [str(exc)])
    items = [o.as_json() for o in outcomes]
    recorded = sum(1 for o in outcomes if not o.duplicate)
    return JSONResponse({"items": items, "recorded": recorded, "duplicates": len(items) - recorded})


__all__ = ["SIGNATURE_HEADER", "router", "start_send", "wait_sends", "webhook_router"]
