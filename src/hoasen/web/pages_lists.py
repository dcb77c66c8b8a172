"""The web desk's mailing pages: the lists (members counted by status), one list (its
subscribers, an import form, a new campaign form), a campaign (preview, test copy, send, cancel,
status) and the bounces.

Anyone signed in sees the lists, the counts and the campaigns. Subscribers' addresses and the
bounces are personal data: only editors and admins see them; a viewer's page never carries an
address. Every change needs an editor and the CSRF token. A send runs in a background thread
(`api_mail.start_send`), so the page answers at once; with no smtp_url set the pages say that
mail goes to the outbox folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError, UsageError
from hoasen.publish.mailing import ImportReport, MailingDesk
from hoasen.web import api_mail
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_render import error_page as _error
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import read_upload, render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)


def _can_edit(user: User) -> bool:
    return user.can("editor")


def _mail_context(mailing: MailingDesk) -> dict[str, Any]:
    """Where mail goes, said plainly on every mailing page."""
    return {"dry_run": mailing.mailer.dry_run, "where": mailing.mailer.where}


# ---------------------------------------------------------------- lists


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """Every list with its members by status, the latest campaigns and (editors) bounces."""
    return _lists(request, user, desk)


def _lists(
    request: Request, user: User, desk: Desk, error: str = "", status: int = 200
) -> HTMLResponse:
    mailing = MailingDesk(desk)
    lines = [(m, mailing.status_counts(m.id)) for m in mailing.lists()]
    names = {m.id: m.name for m, _ in lines}
    context = {
        "user": user,
        "lines": lines,
        "campaigns": mailing.campaign_list(limit=50),
        "list_names": names,
        "bounces": mailing.recent_bounces(100) if _can_edit(user) else [],
        "error": error,
        **_mail_context(mailing),
    }
    return render(request, "lists.html", context, status)


@router.post("/lists", response_class=HTMLResponse, dependencies=[Csrf])
def create_list(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=200)],
    language: Annotated[str, Form(max_length=16)] = "vi",
    double_optin: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Create a mailing list."""
    try:
        made = MailingDesk(desk).create_list(name, bool(double_optin), language)
    except HoasenError as exc:
        return _lists(request, user, desk, str(exc), _status(exc))
    accounts.audit(user.id, "mail.list.create", str(made.id), {"name": made.name})
    return _see(f"/lists/{made.id}")


@router.get("/lists/{list_id}", response_class=HTMLResponse)
def list_page(request: Request, user: Viewer, desk: DeskDep, list_id: int) -> HTMLResponse:
    """One list: counts by status, its campaigns and, for editors, its subscribers and the
    import and new-campaign forms."""
    return _list(request, user, desk, list_id)


def _list(
    request: Request,
    user: User,
    desk: Desk,
    list_id: int,
    error: str = "",
    status: int = 200,
    report: ImportReport | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    mailing = MailingDesk(desk)
    try:
        the_list = mailing.get_list(list_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    context = {
        "user": user,
        "the_list": the_list,
        "counts": mailing.status_counts(the_list.id),
        "subscribers": mailing.subscribers(the_list.id) if _can_edit(user) else [],
        "campaigns": mailing.campaign_list(the_list.id),
        "report": report,
        "error": error,
        "form": form or {},
        **_mail_context(mailing),
    }
    return render(request, "list.html", context, status)


@router.post("/lists/{list_id}/import", response_class=HTMLResponse, dependencies=[Csrf])
async def import_list(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    list_id: int,
    file: UploadFile,
) -> Response:
    """Import a CSV or Excel file into the list; the page shows the report and bad rows."""
    try:
        name, content = await read_upload(file, desk.settings.web_upload_max_mb, "list.csv")
        if not name.lower().endswith((".csv", ".xlsx", ".xlsm")):
            raise UsageError("choose a .csv or .xlsx file")
        with tempfile.TemporaryDirectory(prefix="hoasen-list-") as folder:
            path = Path(folder) / name
            path.write_bytes(content)
            report = MailingDesk(desk).import_subscribers(list_id, path)
    except HoasenError as exc:
        return _list(request, user, desk, list_id, str(exc), _status(exc))
    detail = {"file": name, "added": report.added, "bad": len(report.bad)}
    accounts.audit(user.id, "mail.list.import", str(list_id), detail)
    return _list(request, user, desk, list_id, report=report)


@router.post("/lists/{list_id}/campaigns", response_class=HTMLResponse, dependencies=[Csrf])
def new_campaign(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    list_id: int,
    subject: Annotated[str, Form(max_length=500)],
    text: Annotated[str, Form(max_length=500_000)],
    html: Annotated[str, Form(max_length=2_000_000)] = "",
) -> Response:
    """Create a draft campaign to the list and open its page."""
    try:
        campaign = MailingDesk(desk).new_campaign(list_id, subject, text, html.strip() or None)
    except HoasenError as exc:
        form = {"subject": subject, "text": text, "html": html}
        return _list(request, user, desk, list_id, str(exc), _status(exc), form=form)
    accounts.audit(user.id, "mail.campaign.create", str(campaign.id), {"list": list_id})
    return _see(f"/campaigns/{campaign.id}")


# ---------------------------------------------------------------- campaigns


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    request: Request, user: Viewer, desk: DeskDep, campaign_id: int, lang: str = ""
) -> HTMLResponse:
    """A campaign: its preview (the HTML in a sandboxed frame), status and, for editors, the
    test, send and cancel forms and its bounces."""
    return _campaign(request, user, desk, campaign_id, language=lang)


def _campaign(
    request: Request,
    user: User,
    desk: Desk,
    campaign_id: int,
    error: str = "",
    status: int = 200,
    done: str = "",
    language: str = "",
) -> HTMLResponse:
    mailing = MailingDesk(desk)
    try:
        state = mailing.status(campaign_id)
        subject, text, html = mailing.preview(campaign_id, language)
    except HoasenError as exc:
        return _error(request, user, exc)
    context = {
        "user": user,
        "state": state,
        "campaign": state.campaign,
        "preview": {"subject": subject, "text": text, "html": html},
        "language": language,
        "sending_now": api_mail.sending(request.app, campaign_id),
        "last_error": api_mail.send_error(request.app, campaign_id),
        "bounces": mailing.bounces.recent(100, campaign_id) if _can_edit(user) else [],
        "error": error,
        "done": done,
        **_mail_context(mailing),
    }
    return render(request, "campaign.html", context, status)


@router.post("/campaigns/{campaign_id}/test", response_class=HTMLResponse, dependencies=[Csrf])
def test_campaign(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    campaign_id: int,
    to: Annotated[str, Form(max_length=320)],
    language: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Send one test copy to an address."""
    try:
        receipt = MailingDesk(desk).test_send(campaign_id, to, language)
    except HoasenError as exc:
        return _campaign(request, user, desk, campaign_id, str(exc), _status(exc))
    accounts.audit(user.id, "mail.campaign.test", str(campaign_id))
    return _campaign(request, user, desk, campaign_id, done=receipt)


@router.post("/campaigns/{campaign_id}/send", response_class=HTMLResponse, dependencies=[Csrf])
def send_campaign(
    request: Request, user: Editor, desk: DeskDep, accounts: AccountsDep, campaign_id: int
) -> Response:
    """Start (or resume) sending in the background and come back to the campaign's page."""
    mailing = MailingDesk(desk)
    try:
        if mailing.campaigns.get(campaign_id).status == "cancelled":
            raise UsageError(f"campaign {campaign_id} was cancelled")
        mailing.mailer.check_settings()
    except HoasenError as exc:
        return _campaign(request, user, desk, campaign_id, str(exc), _status(exc))
    if api_mail.start_send(request.app, desk, campaign_id):
        accounts.audit(user.id, "mail.campaign.send", str(campaign_id))
    return _see(f"/campaigns/{campaign_id}")


@router.post("/campaigns/{campaign_id}/cancel", response_class=HTMLResponse, dependencies=[Csrf])
def cancel_campaign(
    request: Request, user: Editor, desk: DeskDep, accounts: AccountsDep, campaign_id: int
) -> Response:
    """Cancel the campaign: what is not sent yet is never sent."""
    try:
        MailingDesk(desk).campaigns.cancel(campaign_id)
    except HoasenError as exc:
        return _campaign(request, user, desk, campaign_id, str(exc), _status(exc))
    accounts.audit(user.id, "mail.campaign.cancel", str(campaign_id))
    return _see(f"/campaigns/{campaign_id}")
