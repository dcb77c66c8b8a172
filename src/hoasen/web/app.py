"""The web desk's application factory: one Desk and one Accounts per app, security middleware,
error handling, static files, the login and logout routes, the API docs page, and the API and
page routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from fastapi import Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from hoasen.desk import Desk
from hoasen.errors import ConfigError, HoasenError
from hoasen.settings import Settings, load_settings
from hoasen.web import (
    api,
    api_alerts,
    api_editions,
    api_exchange,
    api_exchange_plans,
    api_jobs,
    api_mail,
    api_partners,
    api_posts,
    api_registers,
    api_schedules,
    api_translate,
    pages,
    pages_alerts,
    pages_editions,
    pages_exchange,
    pages_jobs,
    pages_lists,
    pages_mail,
    pages_partners,
    pages_posts,
    pages_registers,
    pages_schedules,
    pages_translate,
)
from hoasen.web.auth import Accounts, AuthError, RateLimited
from hoasen.web.deps import (
    SESSION_COOKIE,
    ApiError,
    LoginRequired,
    csrf_protect,
    csrf_token,
    current_auth,
    get_accounts,
    optional_user,
)
from hoasen.web.errors import domain_status, install_error_handlers
from hoasen.web.jobs import install_jobs
from hoasen.web.pages_render import app_translations, interface_language, render, safe_next
from hoasen.web.security import FORM_MARGIN, SecurityMiddleware, cookie_header, is_https

STATIC = Path(__file__).resolve().parent / "static"
API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = "/api/docs"


def create_app(
    settings: Settings, desk: Desk | None = None, accounts: Accounts | None = None
) -> FastAPI:
    """The desk's FastAPI app. A Desk made here (none given) is closed when the app stops;
    `accounts` exists for tests that want a cheaper password hasher."""
    check_web_settings(settings)
    own_desk = desk is None
    the_desk = desk if desk is not None else Desk(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if own_desk:
                the_desk.close()

    app = FastAPI(
        title="hoasen",
        summary="REST API of the hoasen foreign-information desk.",
        version="1",
        openapi_url=OPENAPI_URL,
        docs_url=None,  # swagger-ui and ReDoc load from a CDN: /api/docs renders the schema here
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.desk = the_desk
    app.state.settings = settings
    app.state.search_limiter = anyio.CapacityLimiter(settings.web_search_concurrency)
    app.state.accounts = accounts or Accounts(
        the_desk.store, session_hours=settings.web_session_hours
    )
    app.add_middleware(
        SecurityMiddleware,
        max_body=settings.web_upload_max_mb * 1_000_000 + FORM_MARGIN,
        secure_cookies=settings.web_secure_cookies,
    )
    install_error_handlers(app, page_handler=_page_error)
    app.add_exception_handler(LoginRequired, _login_required)
    install_jobs(app, the_desk)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    csrf = [Depends(csrf_protect)]  # every unsafe request of every router checks its token
    app.include_router(_login_routes(), dependencies=csrf)
    # api.router has the /api/v1 prefix; its write routes check the role first (401/403), then
    # the CSRF token, so an anonymous write gets 401 rather than a CSRF error
    app.include_router(api.router)
    app.include_router(api_translate.router)
    app.include_router(api_partners.router)
    app.include_router(api_posts.router)
    app.include_router(api_exchange.router)
    app.include_router(api_exchange_plans.router)
    app.include_router(api_editions.router)
    app.include_router(api_mail.router)
    app.include_router(api_registers.router)
    app.include_router(api_alerts.router)
    app.include_router(api_schedules.router)
    app.include_router(api_jobs.router)
    app.include_router(api_jobs.public)  # /api/v1/health: no sign-in (monitors, balancers)
    # the partners' inbox: machines sign each body with an HMAC key; no login, token or CSRF
    app.include_router(api_exchange.inbox_router)
    app.include_router(api_mail.webhook_router)  # the bounce webhook: signed like the inbox
    app.include_router(pages_mail.router)  # public: acts only on signed tokens; no login, CSRF
    # calendar feeds: the token in the address is the secret; no login, no CSRF (GET only)
    app.include_router(pages_registers.public_router)
    app.include_router(pages.router, dependencies=csrf)
    app.include_router(pages_translate.router, dependencies=csrf)
    app.include_router(pages_partners.router, dependencies=csrf)
    app.include_router(pages_posts.router, dependencies=csrf)
    app.include_router(pages_exchange.router, dependencies=csrf)
    app.include_router(pages_editions.router, dependencies=csrf)
    app.include_router(pages_lists.router, dependencies=csrf)
    app.include_router(pages_registers.router, dependencies=csrf)
    app.include_router(pages_alerts.router, dependencies=csrf)
    app.include_router(pages_alerts.public_router)  # the signed unsubscribe link: no login
    app.include_router(pages_schedules.router, dependencies=csrf)
    app.include_router(pages_jobs.router, dependencies=csrf)
    return app


def check_web_settings(settings: Settings) -> None:
    """ConfigError for web settings the server cannot run with (checked before any worker
    starts, so a bad value is one clear message rather than a crash per worker)."""
    if settings.web_search_concurrency < 1:
        raise ConfigError(
            f"setting web_search_concurrency: {settings.web_search_concurrency} is not a "
            "number of searches (1 or more)"
        )


def app_from_env() -> FastAPI:
    """The app of one worker of `hoasen serve --workers N`: uvicorn builds it by import name in
    each worker process, so the settings come from the environment (HOASEN_CONFIG,
    HOASEN_DATABASE_URL and the other HOASEN_* variables), as `serve` leaves them."""
    return create_app(load_settings())


# ---------------------------------------------------------------- errors


async def _login_required(request: Request, exc: Exception) -> Response:
    """Pages send strangers to the login page, then back where they were going."""
    next_path = exc.next_path if isinstance(exc, LoginRequired) else "/"
    target = f"/login?next={quote(safe_next(next_path), safe='')}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _page_error(request: Request, exc: Exception) -> Response:
    """An error on a page: the error page in the interface language, with the right status."""
    headers: dict[str, str] = {}
    if isinstance(exc, ApiError):
        status, message, headers = exc.status, exc.message, dict(exc.headers)
    elif isinstance(exc, HoasenError):
        status, message = domain_status(exc)[0], str(exc)
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, StarletteHTTPException):
        status, message = exc.status_code, str(exc.detail)
        headers = dict(exc.headers or {})
    elif isinstance(exc, RequestValidationError):
        status = 422
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
            for e in exc.errors()
        )
    else:
        raise TypeError(f"unexpected exception {exc!r}")
    context = {"user": optional_user(request), "message": message, "status": status}
    response = render(request, "error.html", context, status)
    response.headers.update(headers)
    return response


# ---------------------------------------------------------------- login and logout


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(
    request: Request, next_path: str, error: str = "", name: str = "", status: int = 200
) -> HTMLResponse:
    context = {
        "user": None,
        "csrf": csrf_token(request),
        "next": safe_next(next_path),
        "error": error,
        "name": name,
    }
    return render(request, "login.html", context, status)


def _login_routes() -> Any:
    """GET/POST /login and POST /logout (a router, so the app adds CSRF checks to it)."""
    from fastapi import APIRouter

    router = APIRouter(include_in_schema=False)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        """The sign-in form (signed-in users go straight on)."""
        if current_auth(request) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return _login_page(request, next)

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        accounts: Annotated[Accounts, Depends(get_accounts)],
        name: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/",
    ) -> Response:
        """Check the name and password; on success start a session and go to `next`."""
        tr = app_translations(request, interface_language(request))
        try:
            user = accounts.authenticate(name, password, _client(request))
        except RateLimited as exc:
            minutes = max(1, round(exc.retry_after / 60))
            message = tr.gettext("Too many failed logins. Try again in %(minutes)s minutes.")
            page = _login_page(request, next, message % {"minutes": minutes}, name, 429)
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except AuthError as exc:
            text = str(exc)
            if "deactivated" in text:
                message = tr.gettext("This account is deactivated: ask an administrator.")
            else:
                message = tr.gettext("Wrong user name or password.")
            return _login_page(request, next, message, name, 401)
        session = accounts.start_session(user)
        accounts.audit(user.id, "login", user.name, {"client": _client(request)})
        response = RedirectResponse(safe_next(next), status_code=303)
        secure = request.app.state.settings.web_secure_cookies or is_https(request.scope)
        max_age = int(accounts.session_length.total_seconds())
        response.raw_headers.append(
            (b"set-cookie", cookie_header(SESSION_COOKIE, session.token, secure, max_age))
        )
        return response

    @router.post("/logout")
    def logout(request: Request, accounts: Annotated[Accounts, Depends(get_accounts)]) -> Response:
        """End this browser's session."""
        auth = current_auth(request)
        if auth is not None and auth.session is not None:
            accounts.end_session(auth.session.token)
            accounts.audit(auth.user.id, "logout", auth.user.name, {})
        response = RedirectResponse("/login", status_code=303)
        secure = request.app.state.settings.web_secure_cookies or is_https(request.scope)
        response.raw_headers.append((b"set-cookie", cookie_header(SESSION_COOKIE, "", secure, 0)))
        return response

    @router.get(DOCS_URL, response_class=HTMLResponse)
    def api_docs(request: Request) -> Response:
        """The REST API's reference, rendered here from the OpenAPI schema (no CDN, no script)."""
        schema = request.app.openapi()
        context: dict[str, Any] = {
            "user": optional_user(request),
            "operations": _operations(schema),
            "openapi_url": OPENAPI_URL,
        }
        return render(request, "api_docs.html", context)

    @router.get("/api/v1", include_in_schema=False)
    def api_root() -> JSONResponse:
        """Where the API's schema and docs are."""
        return JSONResponse({"openapi": OPENAPI_URL, "docs": DOCS_URL})

    return router


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's operations, grouped by tag order, flattened for the docs template."""
    out: list[dict[str, Any]] = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = [
                {
                    "name": p.get("name", ""),
                    "in": p.get("in", ""),
                    "required": bool(p.get("required")),
                    "type": _type_name(p.get("schema", {})),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or ["api"])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": params,
                    "body": sorted(body),
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return sorted(out, key=lambda o: (o["tag"], o["path"], o["method"]))


def _type_name(schema: dict[str, Any]) -> str:
    if "type" in schema:
        return str(schema["type"])
    if "anyOf" in schema:
        return " | ".join(_type_name(s) for s in schema["anyOf"])
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return ""
