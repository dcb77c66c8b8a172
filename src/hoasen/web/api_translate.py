"""The translation desk's REST API under /api/v1: translate text, articles' translations and
their review, the termbase, memory look-ups and QA. Reading needs a signed-in user; translating
and writing need an editor (a machine translation may cost money on a paid engine)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hoasen.desk import Desk
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, MAX_LIMIT, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_user, get_accounts, get_desk

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
MAX_SEGMENTS = 2_000


class TranslateRequest(BaseModel):
    """Plain segments to translate."""

    segments: list[str] = Field(max_length=MAX_SEGMENTS, description="One segment per item")
    source: str = Field(alias="from", min_length=2, max_length=12)
    target: str = Field(alias="to", min_length=2, max_length=12)
    engine: str | None = Field(default=None, description="local, libretranslate, deepl, openai")
    termbase: bool = Field(default=True, description="Keep the termbase's names")


class ArticleTranslateRequest(BaseModel):
    """Translate a stored article into a draft."""

    target: str = Field(alias="to", min_length=2, max_length=12)
    engine: str | None = None
    termbase: bool = True


class SegmentEdits(BaseModel):
    """New targets by segment position (0 is the title)."""

    targets: dict[int, str]


class StatusChange(BaseModel):
    """A translation's new workflow state."""

    status: str = Field(description="draft, reviewed or approved")


class TermCreate(BaseModel):
    """A term to add to a concept (a new office concept when the concept is not known)."""

    concept: str = Field(min_length=1, max_length=200)
    lang: str = Field(min_length=2, max_length=12)
    text: str = Field(min_length=1, max_length=500)
    status: str = "preferred"
    type: str = "TERM"
    note: str = ""


class QARequest(BaseModel):
    """Line-aligned sources and targets to check."""

    sources: list[str] = Field(max_length=20_000)
    targets: list[str] = Field(max_length=20_000)
    src_lang: str = Field(min_length=2, max_length=12)
    tgt_lang: str = Field(min_length=2, max_length=12)


@router.post("/translate", tags=["translation"], responses=_WRITE_ERRORS)
def translate_text(body: TranslateRequest, desk: DeskDep, user: EditorDep) -> dict[str, Any]:
    """Translate segments (memory first, then the engine with termbase names kept; QA flags)."""
    result = desk.translation.translate_segments(
        body.segments, body.source, body.target, body.engine, termbase=body.termbase
    )
    return result.as_json()


@router.get("/translations", tags=["translation"])
def list_translations(
    desk: DeskDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
    lang: Annotated[str | None, Query(max_length=12)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Stored translations, newest first (without their segments)."""
    rows, total = desk.translation.records.listing(status, lang, limit, offset)
    return {
        "items": [r.as_json(False) for r in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/translations/{translation_id}", tags=["translation"])
def get_translation(translation_id: int, desk: DeskDep) -> dict[str, Any]:
    """One translation, segment by segment, with QA flags."""
    return desk.translation.records.get(translation_id).as_json()


@router.get("/articles/{article_id}/translations", tags=["translation"])
def article_translations(article_id: int, desk: DeskDep) -> dict[str, Any]:
    """The translations of one article."""
    desk.store.get_article(article_id)
    return {"items": [t.as_json(False) for t in desk.translation.records.for_article(article_id)]}


@router.post(
    "/articles/{article_id}/translations",
    status_code=201,
    tags=["translation"],
    responses=_WRITE_ERRORS,
)
def create_translation(
    article_id: int,
    body: ArticleTranslateRequest,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
) -> dict[str, Any]:
    """Machine-translate an article into a draft translation for review."""
    made = desk.translation.translate_article(
        article_id, body.target, body.engine, termbase=body.termbase, by=user.name
    )
    accounts.audit(
        user.id, "translation.create", str(made.id), {"article": article_id, "to": body.target}
    )
    return made.as_json()


@router.patch("/translations/{translation_id}", tags=["translation"], responses=_WRITE_ERRORS)
def edit_translation(
    translation_id: int,
    body: SegmentEdits,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
) -> dict[str, Any]:
    """Save an editor's targets; QA runs again, and an approved translation returns to draft."""
    found = desk.translation.edit(translation_id, body.targets)
    accounts.audit(
        user.id, "translation.edit", str(translation_id), {"segments": sorted(body.targets)}
    )
    return found.as_json()


@router.post("/translations/{translation_id}/status", tags=["translation"], responses=_WRITE_ERRORS)
def change_status(
    translation_id: int,
    body: StatusChange,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
) -> dict[str, Any]:
    """Review or approve a translation (approved segments enter the memory)."""
    found = desk.translation.set_status(translation_id, body.status, user.name)
    accounts.audit(user.id, f"translation.{body.status}", str(translation_id), {})
    return found.as_json(False)


@router.get("/termbase", tags=["translation"])
def list_terms(
    desk: DeskDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str | None, Query(max_length=12)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    """Concepts with their preferred, admitted and forbidden terms."""
    concepts, total = desk.translation.list_terms(q, lang, limit)
    return {"items": concepts, "total": total}


@router.get("/termbase/suggest", tags=["translation"])
def suggest_name(
    desk: DeskDep, name: Annotated[str, Query(min_length=1, max_length=100)]
) -> dict[str, Any]:
    """Hán-Việt and pinyin forms of a Chinese name, and the forms already known."""
    return desk.translation.suggest(name)


@router.post("/termbase/terms", status_code=201, tags=["translation"], responses=_WRITE_ERRORS)
def add_term(
    body: TermCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Add a term to a concept."""
    concept_id = desk.translation.add_term(
        body.concept, body.lang, body.text, body.status, body.type, body.note
    )
    accounts.audit(
        user.id,
        "termbase.term",
        concept_id,
        {"lang": body.lang, "text": body.text, "status": body.status},
    )
    return {"concept": concept_id}


@router.get("/tm/lookup", tags=["translation"])
def tm_lookup(
    desk: DeskDep,
    text: Annotated[str, Query(min_length=1, max_length=5_000)],
    source: Annotated[str, Query(alias="from", min_length=2, max_length=12)],
    target: Annotated[str, Query(alias="to", min_length=2, max_length=12)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict[str, Any]:
    """Exact and fuzzy matches from the translation memory."""
    matches = desk.translation.memory.lookup(text, source, target, limit=limit)
    return {"matches": [m.as_json() for m in matches]}


@router.post("/qa", tags=["translation"])
def run_qa(body: QARequest, desk: DeskDep) -> dict[str, Any]:
    """QA of line-aligned segments: the `hoasen qa --json` document."""
    found = desk.translation.check(body.sources, body.targets, body.src_lang, body.tgt_lang)
    flagged = sum(1 for flags in found if any(f.severity in ("error", "warning") for f in flags))
    return {
        "segments": [
            {"line": n, "flags": [f.as_json() for f in flags]}
            for n, flags in enumerate(found, start=1)
        ],
        "flagged": flagged,
        "total": len(found),
    }
