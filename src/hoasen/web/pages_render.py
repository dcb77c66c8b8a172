"""Rendering the desk pages: one autoescaping Jinja2 environment per app, the interface
language of a request, and locale-aware filters (numbers, dates, language and country names)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.reports import i18n

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "hoasen_lang"
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def interface_language(request: Request) -> str:
    """The page language: the switch's cookie, else the office's language, else Vietnamese."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in i18n.LANGUAGES:
        return chosen
    desk = getattr(request.app.state, "desk", None)
    office = getattr(getattr(desk, "settings", None), "office_language", "")
    return office if office in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def highlight(snippet: str | None) -> Markup:
    """A search snippet with its **matches** as <mark>: escaped first, so nothing else is HTML."""
    escaped = str(escape(snippet or ""))
    return Markup(_BOLD.sub(r"<mark>\1</mark>", escaped))


def safe_next(target: str | None) -> str:
    """A same-site path to go back to (anything else becomes the dashboard)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@pass_context
def _number(ctx: Context, value: float | None) -> str:
    return i18n.fmt_number(value or 0, ctx["lang"])


@pass_context
def _date(ctx: Context, value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return i18n.fmt_date(value, ctx["lang"], ctx.get("tz"))


@pass_context
def _datetime(ctx: Context, value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.isoformat()
    return i18n.fmt_datetime(value, ctx["lang"], ctx.get("tz"))


@pass_context
def _language(ctx: Context, code: str | None) -> str:
    return i18n.language_name(code or "", ctx["lang"]) or ctx["_"]("unknown")


@pass_context
def _country(ctx: Context, code: str | None) -> str:
    return i18n.country_name(code or "", ctx["lang"]) or ctx["_"]("unknown")


def _paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text or "") if p.strip()]


def environment() -> Environment:
    """A new template environment (one per app, kept on app.state)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=_number,
        date=_date,
        datetime=_datetime,
        language=_language,
        country=_country,
        highlight=highlight,
        paragraphs=_paragraphs,
    )
    return env


def app_translations(request: Request, lang: str) -> Any:
    """The interface catalogs of `lang`, read once per app (parsing the .po files costs ~3 ms,
    too much for every page)."""
    cache: dict[str, Any] | None = getattr(request.app.state, "translations", None)
    if cache is None:
        cache = {}
        request.app.state.translations = cache
    if lang not in cache:
        cache[lang] = i18n.translations(lang)
    return cache[lang]


def _environment(request: Request) -> Environment:
    env = getattr(request.app.state, "page_templates", None)
    if env is None:
        env = environment()
        request.app.state.page_templates = env
    return env


def render(
    request: Request, name: str, context: Mapping[str, Any], status: int = 200
) -> HTMLResponse:
    """Render one page (or HTMX fragment) in the request's interface language."""
    from hoasen.web import deps

    lang = interface_language(request)
    tr = app_translations(request, lang)
    user = context.get("user")
    desk = getattr(request.app.state, "desk", None)
    settings = getattr(desk, "settings", None)
    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "other_lang": "en" if lang == "vi" else "vi",
        "_": tr.gettext,
        "ngettext": tr.ngettext,
        "tz": getattr(settings, "office_timezone", None),
        "office": getattr(settings, "office_name", ""),
        "csrf": deps.csrf_token(request) if user is not None else "",
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "can_edit": user is not None and _rank(user.role) >= _rank("editor"),
        "is_admin": user is not None and user.role == "admin",
        "topic_names": _topic_names(request, lang),
        **context,
    }
    html = _environment(request).get_template(name).render(values)
    return HTMLResponse(html, status_code=status)


def _topic_names(request: Request, lang: str) -> dict[str, str]:
    """Topic id -> name in `lang`, from the taxonomy in use (loaded once per app)."""
    from pathlib import Path

    from hoasen.analyze.topics import Taxonomy

    taxonomy = getattr(request.app.state, "taxonomy", None)
    if taxonomy is None:
        desk = getattr(request.app.state, "desk", None)
        path = desk.settings.topics_taxonomy if desk is not None else ""
        taxonomy = Taxonomy.load(Path(path) if path else None)
        request.app.state.taxonomy = taxonomy
    return {t.id: t.name(lang) for t in taxonomy.topics}


def _rank(role: str) -> int:
    from hoasen.web.auth import ROLES

    return ROLES.index(role) if role in ROLES else -1


def see_other(url: str) -> RedirectResponse:
    """Redirect after a form post (303: the browser follows with a GET)."""
    return RedirectResponse(url, status_code=303)


def error_status(exc: HoasenError) -> int:
    """404 for a thing that does not exist, 400 for any other domain error."""
    return 404 if isinstance(exc, NotFoundError) else 400


def error_page(request: Request, user: Any, exc: HoasenError) -> HTMLResponse:
    """The error page for a domain error, with its status."""
    status = error_status(exc)
    return render(
        request, "error.html", {"user": user, "message": str(exc), "status": status}, status
    )


async def read_upload(file: UploadFile, limit_mb: int, default_name: str) -> tuple[str, bytes]:
    """An uploaded file's safe name (letters, digits and ._- only) and its bytes; a UsageError
    when it is larger than `limit_mb`."""
    limit = limit_mb * 1024 * 1024
    content = await file.read(limit + 1)
    name = "".join(c for c in (file.filename or "") if c.isalnum() or c in "._-") or default_name
    if len(content) > limit:
        raise UsageError("the file is larger than the upload limit")
    return name, content
