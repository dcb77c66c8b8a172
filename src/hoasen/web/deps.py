"""FastAPI dependencies of the web desk: the Desk and Accounts of the app, who is asking (session
cookie or API token), role checks and CSRF protection."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request

from hoasen.desk import Desk
from hoasen.web.auth import ROLES, Accounts, Session, User

SESSION_COOKIE = "hoasen_session"
CSRF_COOKIE = "hoasen_csrf"  # double-submit token for forms sent before signing in (login)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
T = TypeVar("T")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NEW_CSRF_STATE = "hoasen_new_csrf"  # request.state key: a pre-login CSRF cookie to set


class LoginRequired(Exception):
    """A page needs a signed-in user; the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass
class ApiError(Exception):
    """An HTTP error with hoasen's JSON error body (pages show `message` instead)."""

    status: int
    code: str
    message: str
    reasons: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """`{"error": {"status", "code", "message", "reasons"}}`."""
        return {
            "error": {
                "status": self.status,
                "code": self.code,
                "message": self.message,
                "reasons": self.reasons,
            }
        }


@dataclass(frozen=True)
class Auth:
    """Who is asking and how: through a browser session or an API token."""

    user: User
    session: Session | None  # None for API tokens


async def get_desk(request: Request) -> Desk:
    """The app's Desk (async: no thread is needed to read an attribute)."""
    desk: Desk = request.app.state.desk
    return desk


async def run_search(request: Request, search: Callable[[], T]) -> T:
    """Run `search` in a worker thread, at most `web_search_concurrency` at a time in this
    process; the others wait in arrival order. One search at a time per process (and one
    process per core) finishes the queue sooner than many threads fighting over the GIL."""
    limiter: anyio.CapacityLimiter = request.app.state.search_limiter
    return await anyio.to_thread.run_sync(search, limiter=limiter)


async def get_accounts(request: Request) -> Accounts:
    """The app's Accounts (async: no thread is needed to read an attribute)."""
    accounts: Accounts = request.app.state.accounts
    return accounts


def current_auth(request: Request) -> Auth | None:
    """The request's user, from `Authorization: Bearer` or else the session cookie (memoised)."""
    state = request.state
    if hasattr(state, "hoasen_auth"):
        cached: Auth | None = state.hoasen_auth
        return cached
    accounts: Accounts = request.app.state.accounts
    auth: Auth | None = None
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            user = accounts.token_user(token.strip())
            auth = Auth(user, None) if user is not None else None
    else:
        found = accounts.session(request.cookies.get(SESSION_COOKIE, ""))
        if found is not None:
            auth = Auth(found[0], found[1])
    state.hoasen_auth = auth
    state.user = auth.user if auth else None
    return auth


def optional_user(request: Request) -> User | None:
    """The signed-in user, or None (for pages that anyone may see, like the login page)."""
    auth = current_auth(request)
    return auth.user if auth else None


def api_user(request: Request) -> User:
    """The API caller; 401 with a JSON error body when there is none."""
    auth = current_auth(request)
    if auth is None:
        raise ApiError(
            401,
            "unauthorized",
            "sign in, or send an API token as `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return auth.user


def page_user(request: Request) -> User:
    """The signed-in user of a page; LoginRequired (a redirect to /login) when there is none."""
    auth = current_auth(request)
    if auth is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return auth.user


def _forbidden(user: User, role: str) -> ApiError:
    return ApiError(403, "forbidden", f"this needs the {role} role; {user.name} is a {user.role}")


def api_require(role: str) -> Callable[..., User]:
    """Dependency: the API caller when their role is `role` or above, else 403."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def dependency(user: Annotated[User, Depends(api_user)]) -> User:
        if not user.can(role):
            raise _forbidden(user, role)
        return user

    return dependency


require = api_require


def page_require(role: str) -> Callable[..., User]:
    """Dependency: the page's user when their role is `role` or above, else a 403 page."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def dependency(user: Annotated[User, Depends(page_user)]) -> User:
        if not user.can(role):
            raise _forbidden(user, role)
        return user

    return dependency


async def csrf_protect(request: Request) -> None:
    """Refuse (403) an unsafe request from a browser unless it carries the right CSRF token.

    Signed in: the header X-CSRF-Token or form field csrf_token must equal the session's token.
    Not signed in (the login form): it must equal the `hoasen_csrf` cookie (double submit).
    Requests with an API token are exempt: a browser never adds that header on its own.
    """
    if request.method not in UNSAFE_METHODS:
        return
    if request.headers.get("authorization"):
        return  # the bearer token is checked (or refused) by api_user
    auth = current_auth(request)
    expected = auth.session.csrf if auth and auth.session else request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(sent, expected):
        raise ApiError(
            403,
            "csrf",
            "the form's security token is missing or out of date: reload the page and try again",
        )


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind in {"application/x-www-form-urlencoded", "multipart/form-data"}


def csrf_token(request: Request) -> str:
    """The CSRF token a page's forms must send (the session's, or a pre-login cookie's)."""
    auth = current_auth(request)
    if auth is not None and auth.session is not None:
        return auth.session.csrf
    token = getattr(request.state, NEW_CSRF_STATE, None) or request.cookies.get(CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
        setattr(request.state, NEW_CSRF_STATE, token)  # security.py sets the cookie
    return str(token)
