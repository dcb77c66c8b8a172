"""The web desk's translation pages: translations to review, the bilingual editor (segment by
segment, memory suggestions, QA flags inline), the termbase and a QA check of pasted text.
Editing needs the editor role and the CSRF token; the work is done by the Desk."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError, UsageError
from hoasen.store.translations import STATES
from hoasen.translate.types import TERM_STATUSES
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
TARGET_LANGS = ("en", "vi", "zh", "ja", "ko", "fr", "ru", "de", "es")
TERM_TYPES = ("PER", "LOC", "ORG", "TERM")
_EXPORT_MIME = {"tbx": "application/x-tbx+xml", "csv": "text/csv; charset=utf-8"}


# ---------------------------------------------------------------- translations


@router.get("/translations", response_class=HTMLResponse)
def translations_page(
    request: Request, user: Viewer, desk: DeskDep, status: str = "", lang: str = ""
) -> HTMLResponse:
    """Translations to review, newest first."""
    rows, total = desk.translation.records.listing(
        status=status or None, lang=lang or None, limit=200
    )
    context = {
        "user": user,
        "rows": rows,
        "total": total,
        "status": status,
        "tlang": lang,
        "states": STATES,
    }
    return render(request, "translations.html", context)


@router.post("/articles/{article_id}/translate", response_class=HTMLResponse, dependencies=[Csrf])
def translate_article(
    request: Request,
    article_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    to: Annotated[str, Form()],
    engine: Annotated[str, Form()] = "",
    termbase: Annotated[str, Form()] = "on",
) -> Response:
    """Machine-translate an article into a draft for the editor (termbase names enforced)."""
    try:
        made = desk.translation.translate_article(
            article_id, to, engine or None, termbase=termbase == "on", by=user.name
        )
    except HoasenError as exc:
        return _error(request, user, exc)
    accounts.audit(user.id, "translation.create", str(made.id), {"article": article_id, "to": to})
    return _see(f"/translations/{made.id}")


@router.get("/translations/{translation_id}", response_class=HTMLResponse)
def editor_page(request: Request, translation_id: int, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """The bilingual editor: source and target side by side, segment by segment."""
    try:
        found = desk.translation.records.get(translation_id)
        article = desk.store.get_article(found.article_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    return render(
        request,
        "translation.html",
        {"user": user, "t": found, "article": article, "states": STATES},
    )


@router.post(
    "/translations/{translation_id}/segments/{position}",
    response_class=HTMLResponse,
    dependencies=[Csrf],
)
def save_segment(
    request: Request,
    translation_id: int,
    position: int,
    user: Editor,
    desk: DeskDep,
    target: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Save one segment (HTMX): QA runs again and the row comes back with its flags."""
    try:
        found = desk.translation.edit(translation_id, {position: target})
    except HoasenError as exc:
        return HTMLResponse(f'<p class="error" role="alert">{_escape(str(exc))}</p>', _status(exc))
    seg = next(s for s in found.segments if s.position == position)
    return render(
        request,
        "_segment.html",
        {"user": user, "t": found, "s": seg, "saved": True},
    )


@router.get("/translations/{translation_id}/segments/{position}/suggest")
def suggest_segment(
    request: Request, translation_id: int, position: int, user: Viewer, desk: DeskDep
) -> HTMLResponse:
    """Memory matches for one segment (HTMX fragment; a click copies one into the target)."""
    try:
        found = desk.translation.suggestions(translation_id, position)
    except HoasenError as exc:
        return HTMLResponse(f'<p class="error" role="alert">{_escape(str(exc))}</p>', _status(exc))
    return render(
        request,
        "_suggestions.html",
        {"user": user, "found": found, "tid": translation_id, "position": position},
    )


@router.post(
    "/translations/{translation_id}/status", response_class=HTMLResponse, dependencies=[Csrf]
)
def set_status(
    request: Request,
    translation_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    status: Annotated[str, Form()],
) -> Response:
    """Mark a translation reviewed or approved (approved segments enter the memory)."""
    try:
        desk.translation.set_status(translation_id, status, user.name)
    except HoasenError as exc:
        return _error(request, user, exc)
    accounts.audit(user.id, f"translation.{status}", str(translation_id), {})
    return _see(f"/translations/{translation_id}")


# ---------------------------------------------------------------- termbase


@router.get("/termbase", response_class=HTMLResponse)
def termbase_page(
    request: Request,
    user: Viewer,
    desk: DeskDep,
    q: str = "",
    lang: str = "",
    name: str = "",
    done: str = "",
) -> HTMLResponse:
    """Find concepts and their terms; suggest the forms of a new Chinese name."""
    return _termbase(request, user, desk, q=q, lang=lang, name=name, done=done)


def _termbase(
    request: Request,
    user: User,
    desk: Desk,
    q: str = "",
    lang: str = "",
    name: str = "",
    done: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    concepts, total = desk.translation.list_terms(q or None, lang or None, 100)
    suggestion = None
    if name.strip():
        try:
            suggestion = desk.translation.suggest(name.strip())
        except HoasenError as exc:
            error = str(exc)
    context = {
        "user": user,
        "concepts": concepts,
        "total": total,
        "q": q,
        "tlang": lang,
        "name": name,
        "suggestion": suggestion,
        "done": done,
        "error": error,
        "statuses": TERM_STATUSES,
        "types": TERM_TYPES,
    }
    return render(request, "termbase.html", context, status)


@router.post("/termbase/terms", response_class=HTMLResponse, dependencies=[Csrf])
def add_term(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    concept: Annotated[str, Form()],
    term_lang: Annotated[str, Form()],
    text: Annotated[str, Form()],
    term_status: Annotated[str, Form()] = "preferred",
    type: Annotated[str, Form()] = "TERM",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Add a term to a concept (a new office concept when the id or name is not known)."""
    try:
        concept_id = desk.translation.add_term(
            concept.strip(), term_lang.strip(), text.strip(), term_status, type, note
        )
    except HoasenError as exc:
        return _termbase(request, user, desk, q=concept, error=str(exc), status=_status(exc))
    accounts.audit(
        user.id,
        "termbase.term",
        concept_id,
        {"lang": term_lang, "text": text, "status": term_status},
    )
    return _see(f"/termbase?q={_quote(concept_id)}")


@router.post("/termbase/import", response_class=HTMLResponse, dependencies=[Csrf])
async def import_terms(
    request: Request, user: Editor, desk: DeskDep, accounts: AccountsDep, file: UploadFile
) -> Response:
    """Import a TBX-Basic or CSV file: all of it, or nothing and the reason."""
    try:
        name, content = await read_upload(file, desk.settings.web_upload_max_mb, "terms.tbx")
        if not name.lower().endswith((".tbx", ".xml", ".csv")):
            raise UsageError("choose a .tbx or .csv file")
        result = desk.translation.import_terms_bytes(content, name)
    except HoasenError as exc:
        return _termbase(request, user, desk, error=str(exc), status=400)
    accounts.audit(user.id, "termbase.import", name, dict(result))
    return _termbase(request, user, desk, done=f"{result['concepts']} / {result['terms']}")


@router.get("/termbase/export")
def export_terms(user: Viewer, desk: DeskDep, format: str = "tbx", all: bool = False) -> Response:
    """Download the termbase as TBX-Basic or CSV."""
    if format not in _EXPORT_MIME:
        format = "tbx"
    with tempfile.TemporaryDirectory(prefix="hoasen-termbase-") as folder:
        path = Path(folder) / f"termbase.{format}"
        desk.translation.export_terms(path, format, all)
        content = path.read_bytes()
    return Response(
        content,
        media_type=_EXPORT_MIME[format],
        headers={"content-disposition": f'attachment; filename="termbase.{format}"'},
    )


# ---------------------------------------------------------------- QA


@router.get("/qa", response_class=HTMLResponse)
def qa_page(request: Request, user: Viewer) -> HTMLResponse:
    """Paste a source and its translation, line by line, to check them."""
    return render(request, "qa.html", {"user": user, "rows": None, "form": {}})


@router.post("/qa", response_class=HTMLResponse, dependencies=[Csrf])
def qa_check(
    request: Request,
    user: Viewer,
    desk: DeskDep,
    source: Annotated[str, Form()],
    target: Annotated[str, Form()],
    src_lang: Annotated[str, Form()],
    tgt_lang: Annotated[str, Form()],
) -> HTMLResponse:
    """QA of pasted text: names, numbers, language, length, markup per line."""
    form = {"source": source, "target": target, "src_lang": src_lang, "tgt_lang": tgt_lang}
    sources, targets = source.splitlines(), target.splitlines()
    try:
        flags = desk.translation.check(sources, targets, src_lang, tgt_lang)
    except HoasenError as exc:
        return render(
            request, "qa.html", {"user": user, "rows": None, "form": form, "error": str(exc)}, 400
        )
    rows = [
        (
            n,
            sources[n - 1] if n <= len(sources) else "",
            targets[n - 1] if n <= len(targets) else "",
            f,
        )
        for n, f in enumerate(flags, start=1)
    ]
    return render(request, "qa.html", {"user": user, "rows": rows, "form": form})


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
