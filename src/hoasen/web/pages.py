"""The web desk's pages: dashboard, search, stories, articles, reports, sources, entities and
users, server-rendered with Jinja2 (HTMX for the live parts). Every write needs a role and the
CSRF token; the work itself is done by the Desk."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from hoasen.analyze.gazetteer import LANGS, TYPES
from hoasen.desk import Desk
from hoasen.errors import HoasenError
from hoasen.reports import FORMATS
from hoasen.reports.build import ReportFilters
from hoasen.reports.period import KINDS
from hoasen.reports.register import ReportRegister
from hoasen.web import pages_data as data
from hoasen.web.auth import ROLES, Accounts, User
from hoasen.web.deps import (
    csrf_protect,
    get_accounts,
    get_desk,
    page_require,
    page_user,
    run_search,
)
from hoasen.web.pages_render import LANG_COOKIE, read_upload, render, safe_next
from hoasen.web.pages_render import error_page as _not_found
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import see_other as _see
from hoasen.web.pages_translate import TARGET_LANGS

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
Admin = Annotated[User, Depends(page_require("admin"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)
_MIME = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.replace(";", ",").split(",") if x.strip())


# ---------------------------------------------------------------- language


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/") -> Response:
    """Remember the interface language (vi or en) and go back."""
    response = _see(safe_next(next))
    if code in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


# ---------------------------------------------------------------- dashboard and search


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, user: Viewer, desk: DeskDep, day: str = "") -> HTMLResponse:
    """Today's volume against the usual, top and spiking stories, languages, countries."""
    try:
        board = data.dashboard(desk, data.parse_day(day, "day"))
    except HoasenError as exc:
        return _not_found(request, user, exc)
    reports = ReportRegister(desk.store).entries()[:5]
    peak = max((n for _, n in board.volume), default=0) or 1
    return render(
        request, "dashboard.html", {"user": user, "b": board, "reports": reports, "peak": peak}
    )


@router.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request,
    user: Viewer,
    desk: DeskDep,
    q: str = "",
    language: str = "",
    source: str = "",
    country: str = "",
    topic: str = "",
    entity: str = "",
    partner: str = "",
    since: str = "",
    until: str = "",
) -> HTMLResponse:
    """Search in every language with facets; HTMX asks for the results fragment only."""
    form = data.SearchForm(
        q=q[:500],
        language=language,
        source=source,
        country=country.strip().upper(),
        topic=topic.strip(),
        entity=entity.strip(),
        partner=partner,
        since=since,
        until=until,
    )
    partial = request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")

    def page() -> HTMLResponse:  # in the search queue (web_search_concurrency), like the API
        error = ""
        result = data.SearchResult()
        try:
            result = data.search(desk, form, _lang(request))
        except HoasenError as exc:
            error = str(exc)
        context = {
            "user": user,
            "form": form,
            "result": result,
            "error": error,
            "languages": desk.settings.languages,
            "sources": [s.name for s in desk.store.list_sources()],
        }
        return render(request, "search_results.html" if partial else "search.html", context)

    return await run_search(request, page)


def _lang(request: Request) -> str:
    from hoasen.web.pages_render import interface_language

    return interface_language(request)


# ---------------------------------------------------------------- stories and articles


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, story_id: int, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """A story: its articles side by side per language, entities, figures and timeline."""
    try:
        story = desk.results.get_story(story_id)
    except HoasenError as exc:
        return _not_found(request, user, exc)
    articles = desk.store.get_articles(list(story.article_ids))
    info = data.details(desk, articles, _lang(request))
    peak = max((n for _, n in info.timeline), default=0) or 1
    return render(
        request,
        "story.html",
        {
            "user": user,
            "story": story,
            "groups": data.by_language(articles),
            "info": info,
            "peak": peak,
        },
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: int, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """One article: clean text, original link, language, entities, figures, duplicates."""
    try:
        article = desk.store.get_article(article_id)
    except HoasenError as exc:
        return _not_found(request, user, exc)
    original = desk.store.get_articles([article.duplicate_of]) if article.duplicate_of else []
    url = article.url or ""
    return render(
        request,
        "article.html",
        {
            "user": user,
            "a": article,
            "link": url if url.startswith(("http://", "https://")) else "",
            "info": data.details(desk, [article], _lang(request)),
            "duplicates": data.duplicates_of(desk, article.id),
            "original": original[0] if original else None,
            "story": data.story_of(desk, article.id),
            "translations": desk.translation.records.for_article(article.id),
            "target_langs": [x for x in TARGET_LANGS if x != article.language],
        },
    )


# ---------------------------------------------------------------- reports


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, user: Viewer, desk: DeskDep, made: str = "") -> HTMLResponse:
    """The numbered register, download links and (for editors) the form to make one."""
    return _reports(request, user, desk, made=made)


def _reports(
    request: Request, user: User, desk: Desk, made: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    context = {
        "user": user,
        "entries": ReportRegister(desk.store).entries(),
        "formats": FORMATS,
        "kinds": KINDS,
        "made": made,
        "error": error,
        "today": date.today().isoformat(),
    }
    return render(request, "reports.html", context, status)


@router.post("/reports", response_class=HTMLResponse, dependencies=[Csrf])
def make_report(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    kind: Annotated[str, Form()],
    language: Annotated[str, Form()] = "vi",
    on: Annotated[str, Form()] = "",
    first: Annotated[str, Form()] = "",
    last: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
    topics: Annotated[str, Form()] = "",
    entities: Annotated[str, Form()] = "",
    partners: Annotated[str, Form()] = "",
    countries: Annotated[str, Form()] = "",
    languages: Annotated[str, Form()] = "",
    sources: Annotated[str, Form()] = "",
) -> Response:
    """Generate a report with the register's next number."""
    try:
        filters = ReportFilters(
            query=query.strip() or None,
            topics=_split(topics),
            entities=_split(entities),
            partners=_split(partners),
            countries=tuple(c.upper() for c in _split(countries)),
            languages=_split(languages),
            sources=_split(sources),
        )
        made = desk.reports.make(
            kind,
            on=data.parse_day(on, "day"),
            first=data.parse_day(first, "from"),
            last=data.parse_day(last, "to"),
            filters=filters,
            language=language,
            title=title.strip() or None,
            generated_by=user.name,
        )
    except HoasenError as exc:
        return _reports(request, user, desk, error=str(exc), status=_status(exc))
    accounts.audit(user.id, "report.make", made.entry.number, {"kind": kind})
    return _see("/reports?made=" + quote(made.entry.number))


@router.get("/reports/download")
def download_report(
    request: Request, user: Viewer, desk: DeskDep, number: str, fmt: str = "pdf"
) -> Response:
    """One registered report in one format, as a download."""
    try:
        body = desk.reports.file(number, fmt)
    except HoasenError as exc:
        return _not_found(request, user, exc)
    name = "bao-cao-" + "".join(c if c.isalnum() else "-" for c in number).strip("-")
    return Response(
        body,
        media_type=_MIME.get(fmt, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


# ---------------------------------------------------------------- sources


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """Monitored sources with their last fetch, health and last error."""
    return _sources(request, user, desk)


def _sources(
    request: Request, user: User, desk: Desk, error: str = "", status: int = 200
) -> HTMLResponse:
    sources = desk.store.list_sources()
    context = {
        "user": user,
        "sources": [(s, data.source_health(s)) for s in sources],
        "error": error,
        "default_poll": desk.settings.default_poll_minutes,
    }
    return render(request, "sources.html", context, status)


SourceField = Annotated[str, Form()]


@router.post("/sources", response_class=HTMLResponse, dependencies=[Csrf])
def add_source(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: SourceField,
    url: SourceField,
    kind: SourceField = "feed",
    country: SourceField = "",
    language: SourceField = "",
    poll_minutes: Annotated[int, Form()] = 60,
    foreign: Annotated[bool, Form()] = False,
    partner: Annotated[bool, Form()] = False,
) -> Response:
    """Register a feed or site."""
    try:
        desk.store.add_source(
            url.strip(),
            name.strip(),
            kind=kind,
            country=country.strip() or None,
            language=language.strip() or None,
            foreign=foreign,
            partner=partner,
            poll_minutes=poll_minutes,
        )
    except HoasenError as exc:
        return _sources(request, user, desk, error=str(exc), status=_status(exc))
    accounts.audit(user.id, "source.add", name.strip(), {"url": url.strip()})
    return _see("/sources")


@router.post("/sources/{name:path}/edit", response_class=HTMLResponse, dependencies=[Csrf])
def edit_source(
    request: Request,
    name: str,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    url: SourceField,
    kind: SourceField = "feed",
    country: SourceField = "",
    language: SourceField = "",
    poll_minutes: Annotated[int, Form()] = 60,
    foreign: Annotated[bool, Form()] = False,
    partner: Annotated[bool, Form()] = False,
) -> Response:
    """Change a source's URL, kind, country, language, flags or poll interval."""
    fields: dict[str, Any] = {
        "url": url.strip(),
        "kind": kind,
        "country": country.strip() or None,
        "language": language.strip() or None,
        "poll_minutes": poll_minutes,
        "foreign": foreign,
        "partner": partner,
    }
    try:
        desk.store.update_source(name, fields)
    except HoasenError as exc:
        return _sources(request, user, desk, error=str(exc), status=_status(exc))
    accounts.audit(user.id, "source.edit", name, {k: v for k, v in fields.items()})
    return _see("/sources")


@router.post("/sources/{name:path}/remove", response_class=HTMLResponse, dependencies=[Csrf])
def remove_source(
    request: Request, name: str, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Forget a source (its articles stay)."""
    try:
        desk.store.remove_source(name)
    except HoasenError as exc:
        return _sources(request, user, desk, error=str(exc), status=_status(exc))
    accounts.audit(user.id, "source.remove", name, {})
    return _see("/sources")


# ---------------------------------------------------------------- entities and gazetteer


@router.get("/entities", response_class=HTMLResponse)
def entities_page(
    request: Request, user: Viewer, desk: DeskDep, q: str = "", type: str = ""
) -> HTMLResponse:
    """Browse and search the gazetteer; the most-covered entities first when nothing is asked."""
    return _entities(request, user, desk, q, type)


def _entities(
    request: Request,
    user: User,
    desk: Desk,
    q: str = "",
    type: str = "",
    error: str = "",
    done: str = "",
    status: int = 200,
) -> HTMLResponse:
    lang = _lang(request)
    context = {
        "user": user,
        "q": q,
        "type": type,
        "types": TYPES,
        "langs": LANGS,
        "found": data.browse_entities(desk, q, type, lang) if q or type else [],
        "top": [] if q or type else desk.top_entities(limit=30),
        "error": error,
        "done": done,
    }
    return render(request, "entities.html", context, status)


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: str, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """One entity: names per language, aliases, how articles wrote it, its articles."""
    try:
        report = desk.entity_report(entity_id, limit=50)
    except HoasenError as exc:
        return _not_found(request, user, exc)
    return render(request, "entity.html", {"user": user, "r": report, "langs": LANGS})


def _import_rows(desk: Desk, csv_text: str, label: str) -> int:
    with tempfile.TemporaryDirectory(prefix="hoasen-gazetteer-") as folder:
        path = Path(folder) / label
        path.write_text(csv_text, encoding="utf-8")
        return desk.import_gazetteer(path)


@router.post("/entities/alias", response_class=HTMLResponse, dependencies=[Csrf])
def add_alias(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    entity: Annotated[str, Form()],
    alias_lang: Annotated[str, Form()],
    alias: Annotated[str, Form()],
) -> Response:
    """Add another name of an entity (kept as a one-row gazetteer import)."""
    try:
        found = desk.find_entity(entity)
        row = data.entity_row(found, add_aliases=[(alias_lang.strip(), alias.strip())])
        _import_rows(desk, row, f"web-alias-{found.id}.csv")
    except HoasenError as exc:
        return _entities(request, user, desk, q=entity, error=str(exc), status=_status(exc))
    accounts.audit(user.id, "entity.alias", found.id, {"lang": alias_lang, "alias": alias})
    return _see("/entities/" + quote(found.id))


@router.post("/entities/merge", response_class=HTMLResponse, dependencies=[Csrf])
def merge_entity(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    entity: Annotated[str, Form()],
    into: Annotated[str, Form()],
) -> Response:
    """Merge an entity into another: it becomes a former name whose successor is `into`."""
    try:
        old, new = desk.find_entity(entity), desk.find_entity(into)
        if old.id == new.id:
            raise HoasenError("an entity cannot be merged into itself")
        row = data.entity_row(old, status="former", successor=new.id)
        _import_rows(desk, row, f"web-merge-{old.id}.csv")
    except HoasenError as exc:
        return _entities(request, user, desk, q=entity, error=str(exc), status=400)
    accounts.audit(user.id, "entity.merge", old.id, {"into": new.id})
    return _see("/entities/" + quote(new.id))


@router.post("/entities/import", response_class=HTMLResponse, dependencies=[Csrf])
async def import_gazetteer(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    file: UploadFile,
) -> Response:
    """Import a gazetteer CSV (the same rows `hoasen gazetteer import` takes)."""
    try:
        name, content = await read_upload(file, desk.settings.web_upload_max_mb, "web.csv")
        text = content.decode("utf-8-sig")
        rows = _import_rows(desk, text, name if name.endswith(".csv") else name + ".csv")
    except UnicodeDecodeError:
        return _entities(request, user, desk, error="not UTF-8 text: save as UTF-8 CSV", status=400)
    except HoasenError as exc:
        return _entities(request, user, desk, error=str(exc), status=400)
    accounts.audit(user.id, "gazetteer.import", name, {"rows": rows})
    return _entities(request, user, desk, done=str(rows))


# ---------------------------------------------------------------- users


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin, accounts: AccountsDep) -> HTMLResponse:
    """Accounts and roles (administrators only)."""
    return _users(request, user, accounts)


def _users(
    request: Request,
    user: User,
    accounts: Accounts,
    error: str = "",
    created: tuple[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "user": user,
        "users": accounts.list_users(),
        "roles": ROLES,
        "error": error,
        "created": created,
        "audit": accounts.audit_log(20),
    }
    return render(request, "users.html", context, status)


@router.post("/users", response_class=HTMLResponse, dependencies=[Csrf])
def add_user(
    request: Request,
    user: Admin,
    accounts: AccountsDep,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()] = "viewer",
) -> Response:
    """Create an account with a strong random password, shown once."""
    try:
        new, password = accounts.add_user(name.strip(), role, actor=user)
    except HoasenError as exc:
        return _users(request, user, accounts, error=str(exc), status=400)
    return _users(request, user, accounts, created=(new.name, password))


@router.post("/users/{user_id}/role", response_class=HTMLResponse, dependencies=[Csrf])
def change_role(
    request: Request,
    user_id: int,
    user: Admin,
    accounts: AccountsDep,
    role: Annotated[str, Form()],
) -> Response:
    """Give an account another role."""
    try:
        target = accounts.user_by_id(user_id)
        accounts.set_role(target.name, role, actor=user)
    except HoasenError as exc:
        return _users(request, user, accounts, error=str(exc), status=_status(exc))
    return _see("/users")


@router.post("/users/{user_id}/deactivate", response_class=HTMLResponse, dependencies=[Csrf])
def deactivate_user(request: Request, user_id: int, user: Admin, accounts: AccountsDep) -> Response:
    """Switch an account off (its sessions and tokens stop working)."""
    try:
        target = accounts.user_by_id(user_id)
        accounts.deactivate(target.name, actor=user)
    except HoasenError as exc:
        return _users(request, user, accounts, error=str(exc), status=_status(exc))
    return _see("/users")
