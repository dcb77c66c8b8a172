"""Editions in the REST API under /api/v1: series (list, add), issues (list, open, show with
items, texts per language, origins, approvals, QA flags and history), adding articles and desk
pieces, writing, translating and approving texts, the status workflow, publishing, and each
issue rendered as pdf, html, epub or docx.

Anyone signed in reads; changing anything needs an editor (and, from a browser, the CSRF
token); the caller's name is the operator the edition records, and every change goes to the
audit log. The calls are those of `hoasen edition`, so the API refuses what the command line
refuses, in the same words (a 400).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hoasen.desk import Desk
from hoasen.publish.edition_model import LAYOUTS
from hoasen.publish.editions import MEDIA_TYPES
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_user, get_accounts, get_desk

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
TAGS: list[str | Any] = ["editions"]


class SeriesCreate(BaseModel):
    """A series: name, languages (main first), layout and fixed texts."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    languages: list[str] = Field(min_length=2, max_length=6, description='e.g. ["vi", "zh"]')
    layout: str = Field(default="parallel", description=" / ".join(LAYOUTS))
    masthead: str = Field(default="", max_length=2_000)
    colophon: str = Field(default="", max_length=4_000)
    description: str = Field(default="", max_length=4_000)
    partner: str | None = Field(default=None, max_length=300, description="Id, slug or name")


class IssueCreate(BaseModel):
    """The series' next issue."""

    model_config = ConfigDict(extra="forbid")

    series: str = Field(min_length=1, max_length=200, description="Id, slug or name")
    title: str = Field(default="", max_length=500)
    date: str | None = Field(default=None, max_length=20, description="YYYY-MM-DD")


class ItemsAdd(BaseModel):
    """Stored articles to append, or a desk piece's texts per language."""

    model_config = ConfigDict(extra="forbid")

    article_ids: list[int] = Field(default=[], max_length=200)
    texts: dict[str, tuple[str, str]] = Field(
        default={}, description="A desk piece: {language: [title, body]}"
    )
    section: str = Field(default="", max_length=120)


class TextWrite(BaseModel):
    """An editor's text in one language."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=2_000)
    body: str = Field(default="", max_length=200_000)


class TranslateBody(BaseModel):
    """Machine-translate the missing texts of one language."""

    model_config = ConfigDict(extra="forbid")

    language: str = Field(min_length=2, max_length=16)
    item_id: int | None = None
    engine: str | None = Field(default=None, max_length=40)


class StatusBody(BaseModel):
    """A status change: review, approved or draft (with a note)."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(max_length=12)
    note: str = Field(default="", max_length=2_000)
    strict: bool = False


class PublishBody(BaseModel):
    """Publishing, with the static site rebuilt when asked."""

    model_config = ConfigDict(extra="forbid")

    site: bool = False


@router.get("/editions/series", tags=TAGS)
def list_series(desk: DeskDep) -> dict[str, Any]:
    """Every series."""
    items = [s.as_json() for s in desk.editions.series_list()]
    return {"items": items, "total": len(items)}


@router.post("/editions/series", status_code=201, tags=TAGS, responses=_WRITE_ERRORS)
def create_series(
    body: SeriesCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Add a series."""
    row = desk.editions.add_series(
        body.name,
        body.languages,
        body.layout,
        body.masthead,
        body.colophon,
        body.description,
        body.partner,
    )
    accounts.audit(user.id, "edition.series.add", row.slug, {"languages": row.languages})
    return row.as_json()


@router.get("/editions", tags=TAGS)
def list_issues(
    desk: DeskDep,
    series: Annotated[str | None, Query(max_length=200, description="Id, slug or name")] = None,
) -> dict[str, Any]:
    """Issues, newest first."""
    items = [r.as_json() for r in desk.editions.issues(series)]
    return {"items": items, "total": len(items)}


@router.post("/editions", status_code=201, tags=TAGS, responses=_WRITE_ERRORS)
def create_issue(
    body: IssueCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Open the series' next issue as a draft."""
    row = desk.editions.new_issue(body.series, body.title, body.date, user.name)
    accounts.audit(user.id, "edition.new", str(row.id), {"number": row.number})
    return row.as_json()


@router.get("/editions/{issue_id}", tags=TAGS)
def get_issue(issue_id: int, desk: DeskDep) -> dict[str, Any]:
    """An issue with its items, texts per language (origin, approval, QA flags), history."""
    return desk.editions.describe(issue_id)


@router.post("/editions/{issue_id}/items", status_code=201, tags=TAGS, responses=_WRITE_ERRORS)
def add_items(
    issue_id: int, body: ItemsAdd, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Append articles (their own text) and/or a desk piece (approved by the caller)."""
    eds = desk.editions
    notes: list[str] = []
    ids: list[int] = []
    if body.article_ids:
        items, notes = eds.add_items(issue_id, body.article_ids, body.section)
        ids += [i.id for i in items]
    if body.texts:
        ids.append(eds.add_piece(issue_id, body.texts, user.name, body.section).id)
    accounts.audit(user.id, "edition.add", str(issue_id), {"items": ids})
    return {"items": ids, "notes": notes}


@router.put("/editions/items/{item_id}/texts/{lang}", tags=TAGS, responses=_WRITE_ERRORS)
def write_text(
    item_id: int,
    lang: str,
    body: TextWrite,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
) -> dict[str, Any]:
    """Write an item's text in one language (approved by the caller)."""
    text = desk.editions.set_text(item_id, lang, body.title, body.body, user.name)
    accounts.audit(user.id, "edition.text", str(item_id), {"language": lang})
    return text.as_json()


@router.post("/editions/items/{item_id}/texts/{lang}/approve", tags=TAGS, responses=_WRITE_ERRORS)
def approve_text(
    item_id: int, lang: str, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Approve one text (a translation is approved on the translation desk too)."""
    text = desk.editions.approve_text(item_id, lang, user.name)
    accounts.audit(user.id, "edition.approve-text", str(item_id), {"language": lang})
    return text.as_json()


@router.post("/editions/{issue_id}/translate", tags=TAGS, responses=_WRITE_ERRORS)
def translate(
    issue_id: int, body: TranslateBody, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Machine-translate the issue's (or one item's) missing texts in one language."""
    eds = desk.editions
    if body.item_id is not None:
        eds.issue(issue_id)
        notes = eds.translate(body.language, user.name, item_id=body.item_id, engine=body.engine)
    else:
        notes = eds.translate(body.language, user.name, issue=issue_id, engine=body.engine)
    accounts.audit(user.id, "edition.translate", str(issue_id), {"language": body.language})
    return {"notes": notes}


@router.post("/editions/{issue_id}/status", tags=TAGS, responses=_WRITE_ERRORS)
def change_status(
    issue_id: int, body: StatusBody, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Move the issue to review, approved or back to draft; the QA flags left are listed."""
    row, notes = desk.editions.set_status(issue_id, body.status, user.name, body.note, body.strict)
    accounts.audit(user.id, "edition.status", str(issue_id), {"status": row.status})
    return {**row.as_json(), "notes": notes}


@router.post("/editions/{issue_id}/publish", tags=TAGS, responses=_WRITE_ERRORS)
def publish(
    issue_id: int,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
    body: PublishBody | None = None,
) -> dict[str, Any]:
    """Publish the approved issue; it is frozen from then on."""
    site = body.site if body is not None else False
    row = desk.editions.publish(issue_id, user.name, site=site)
    accounts.audit(user.id, "edition.publish", str(issue_id), {"site": site})
    return row.as_json()


@router.get(
    "/editions/{issue_id}/render/{fmt}",
    tags=TAGS,
    responses={200: {"description": "The rendered issue, as an attachment"}},
)
def render(issue_id: int, fmt: str, desk: DeskDep) -> Response:
    """The issue rendered as pdf, html, epub or docx."""
    data = desk.editions.render_bytes(issue_id, fmt)
    row = desk.editions.issue(issue_id)
    name = f"edition-{row.series_id}-{row.number}.{fmt}"
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
