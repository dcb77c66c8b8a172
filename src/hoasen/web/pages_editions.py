"""The web desk's edition pages: series and their issues, an issue with its items side by side
per language (origin, approval, QA flags), and the editors' forms: add a series, open an issue,
add articles by id, write a text, machine-translate, approve a text, change the status,
publish; plus a download per render format.

Anyone signed in reads; editors change (a viewer gets 403 on every form). The calls are those
of `hoasen edition` (see `hoasen.cli.editions`) with the signed-in user as the operator, every
change goes to the audit log, and refusals are shown on the page in the desk's own words.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError, UsageError
from hoasen.publish.edition_model import LAYOUTS
from hoasen.publish.editions import FORMATS, MEDIA_TYPES
from hoasen.store.editions import IssueRow
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_render import error_page as _error
from hoasen.web.pages_render import render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)


def issue_url(issue_id: int) -> str:
    """An issue's page."""
    return f"/editions/{issue_id}"


def _ids(text: str) -> list[int]:
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise UsageError("give article ids (numbers), separated by spaces or commas")
    return [int(p) for p in parts]


@router.get("/editions", response_class=HTMLResponse)
def editions_page(
    request: Request, user: Viewer, desk: DeskDep, error: str = "", done: str = ""
) -> HTMLResponse:
    """Every series with its issues, newest first, and (for editors) the form to add one."""
    eds = desk.editions
    series = eds.series_list()
    issues: dict[int, list[IssueRow]] = {s.id: [] for s in series}
    for row in eds.issues():
        issues.setdefault(row.series_id, []).append(row)
    context = {
        "user": user,
        "series": series,
        "issues": issues,
        "layouts": LAYOUTS,
        "error": error,
        "done": done,
    }
    return render(request, "editions.html", context)


@router.post("/editions/series", response_class=HTMLResponse, dependencies=[Csrf])
def add_series(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=200)],
    languages: Annotated[str, Form(max_length=40)],
    layout: Annotated[str, Form(max_length=12)] = "parallel",
    masthead: Annotated[str, Form(max_length=2_000)] = "",
    colophon: Annotated[str, Form(max_length=4_000)] = "",
    description: Annotated[str, Form(max_length=4_000)] = "",
) -> Response:
    """Add a series; a refusal is shown on the editions page."""
    try:
        row = desk.editions.add_series(name, languages, layout, masthead, colophon, description)
    except HoasenError as exc:
        return _see(f"/editions?error={quote(str(exc))}")
    accounts.audit(user.id, "edition.series.add", row.slug, {"languages": row.languages})
    return _see(f"/editions/series/{row.id}")


@router.get("/editions/series/{series_id}", response_class=HTMLResponse)
def series_page(request: Request, series_id: int, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """A series: its languages, layout, fixed texts, issues and the form for the next one."""
    try:
        row = desk.editions.series(series_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    context = {"user": user, "series": row, "issues": desk.editions.issues(row.id)}
    return render(request, "edition_series.html", context)


@router.post("/editions/series/{series_id}/issues", dependencies=[Csrf])
def new_issue(
    request: Request,
    series_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    title: Annotated[str, Form(max_length=500)] = "",
    issue_date: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Open the series' next issue."""
    try:
        row = desk.editions.new_issue(series_id, title, issue_date or None, user.name)
    except HoasenError as exc:
        return _error(request, user, exc)
    accounts.audit(user.id, "edition.new", str(row.id), {"number": row.number})
    return _see(issue_url(row.id))


@router.get("/editions/{issue_id}", response_class=HTMLResponse)
def issue_page(
    request: Request, issue_id: int, user: Viewer, desk: DeskDep, done: str = "", error: str = ""
) -> HTMLResponse:
    """An issue: its items with their texts side by side per language, origin, approval and
    QA flags, the history, the editors' forms and the downloads."""
    try:
        doc = desk.editions.describe(issue_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    context = {
        "user": user,
        "issue": doc,
        "languages": doc["series"]["languages"],
        "formats": FORMATS,
        "done": done,
        "error": error,
        "editable": doc["status"] in ("draft", "review"),
    }
    return render(request, "edition_issue.html", context)


def _after(issue_id: int, exc: HoasenError | None, done: str = "") -> Response:
    if exc is not None:
        return _see(f"{issue_url(issue_id)}?error={quote(str(exc))}")
    return _see(f"{issue_url(issue_id)}?done={quote(done)}")


@router.post("/editions/{issue_id}/items", dependencies=[Csrf])
def add_articles(
    issue_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    articles: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Add articles by id."""
    try:
        items, notes = desk.editions.add_items(issue_id, _ids(articles))
    except HoasenError as exc:
        return _after(issue_id, exc)
    accounts.audit(user.id, "edition.add", str(issue_id), {"items": [i.id for i in items]})
    return _after(issue_id, None, " ".join(["added", *notes]))


@router.post("/editions/{issue_id}/items/{item_id}/texts/{lang}", dependencies=[Csrf])
def write_text(
    issue_id: int,
    item_id: int,
    lang: str,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    title: Annotated[str, Form(max_length=2_000)] = "",
    body: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """Write an item's text in one language (approved by the writer)."""
    try:
        desk.editions.set_text(item_id, lang, title, body, user.name)
    except HoasenError as exc:
        return _after(issue_id, exc)
    accounts.audit(user.id, "edition.text", str(item_id), {"language": lang})
    return _after(issue_id, None, "written")


@router.post("/editions/{issue_id}/items/{item_id}/texts/{lang}/approve", dependencies=[Csrf])
def approve_text(
    issue_id: int, item_id: int, lang: str, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Approve one text."""
    try:
        desk.editions.approve_text(item_id, lang, user.name)
    except HoasenError as exc:
        return _after(issue_id, exc)
    accounts.audit(user.id, "edition.approve-text", str(item_id), {"language": lang})
    return _after(issue_id, None, "approved")


@router.post("/editions/{issue_id}/translate", dependencies=[Csrf])
def translate(
    issue_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    lang: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Machine-translate the issue's missing texts in one language."""
    try:
        notes = desk.editions.translate(lang, user.name, issue=issue_id)
    except HoasenError as exc:
        return _after(issue_id, exc)
    accounts.audit(user.id, "edition.translate", str(issue_id), {"language": lang})
    return _after(issue_id, None, " ".join(notes) or "nothing to translate")


@router.post("/editions/{issue_id}/status", dependencies=[Csrf])
def change_status(
    issue_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    status: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=2_000)] = "",
    strict: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Move the issue to review, approved or back to draft."""
    try:
        row, notes = desk.editions.set_status(issue_id, status, user.name, note, bool(strict))
    except HoasenError as exc:
        return _after(issue_id, exc)
    accounts.audit(user.id, "edition.status", str(issue_id), {"status": row.status})
    return _after(issue_id, None, " ".join([row.status, *notes[:5]]))


@router.post("/editions/{issue_id}/publish", dependencies=[Csrf])
def publish(
    issue_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    site: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Publish the approved issue (and rebuild the site when asked)."""
    try:
        desk.editions.publish(issue_id, user.name, site=bool(site))
    except HoasenError as exc:
        return _after(issue_id, exc)
    accounts.audit(user.id, "edition.publish", str(issue_id), {"site": bool(site)})
    return _after(issue_id, None, "published")


@router.get("/editions/{issue_id}/render/{fmt}")
def download(request: Request, issue_id: int, fmt: str, user: Viewer, desk: DeskDep) -> Response:
    """The issue rendered as pdf, html, epub or docx, as an attachment."""
    try:
        data = desk.editions.render_bytes(issue_id, fmt)
        row = desk.editions.issue(issue_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    name = f"edition-{row.series_id}-{row.number}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type=MEDIA_TYPES[fmt], headers=headers, status_code=200)
