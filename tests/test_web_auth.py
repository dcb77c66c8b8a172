"""Accounts, sessions, CSRF, rate limiting, API tokens, roles and the audit log of the web desk."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow
from hoasen.web.app import create_app
from hoasen.web.auth import MAX_FAILURES, Accounts, AuthError, RateLimited, User
from hoasen.web.deps import api_require, api_user, page_user

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, test-fast


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        yield d


@pytest.fixture
def accounts(desk: Desk) -> Accounts:
    return Accounts(desk.store, hasher=CHEAP)


@pytest.fixture
def app(settings: Settings, desk: Desk, accounts: Accounts) -> FastAPI:
    """The real app plus two tiny test-only routes: one for editors, one page."""
    application = create_app(settings, desk, accounts)

    @application.post("/api/v1/test-only/edit")
    def edit(user: Annotated[User, Depends(api_require("editor"))]) -> dict[str, Any]:
        return {"edited_by": user.name}

    @application.get("/api/v1/test-only/me")
    def me(user: Annotated[User, Depends(api_user)]) -> dict[str, Any]:
        return user.as_json()

    @application.get("/test-only/page")
    def page(user: Annotated[User, Depends(page_user)]) -> dict[str, Any]:
        return {"page_for": user.name}

    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("192.0.2.1", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as c:
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def _login(
    client: httpx.AsyncClient, name: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    form = await client.get("/login")
    token = _csrf(form.text)
    data = {"name": name, "password": password, "next": next_path, "csrf_token": token}
    return await client.post("/login", data=data)


# ---------------------------------------------------------------- accounts


def test_passwords_are_stored_as_argon2_hashes_never_plain(accounts: Accounts) -> None:
    user, given = accounts.add_user("lan", "editor", PASSWORD)
    _, made = accounts.add_user("minh", "viewer")
    assert given == PASSWORD
    assert len(made) >= 20 and made != PASSWORD
    with accounts.store.engine.connect() as conn:
        stored = dict(conn.execute(select(schema.users.c.name, schema.users.c.password_hash)).all())
    assert stored["lan"].startswith("$argon2id$")
    assert PASSWORD not in stored["lan"] and made not in stored["minh"]
    assert accounts.authenticate("lan", PASSWORD, "c") == user
    assert accounts.authenticate("minh", made, "c").role == "viewer"


def test_a_fresh_database_has_no_users(accounts: Accounts) -> None:
    assert accounts.list_users() == []
    with pytest.raises(AuthError):
        accounts.authenticate("admin", "admin", "c")


def test_bad_names_roles_and_short_passwords_are_refused(accounts: Accounts) -> None:
    for name, role, password in [
        ("two words", "viewer", PASSWORD),
        ("hoa", "owner", PASSWORD),
        ("hoa", "viewer", "short"),
    ]:
        with pytest.raises(UsageError):
            accounts.add_user(name, role, password)
    accounts.add_user("hoa", "viewer", PASSWORD)
    with pytest.raises(UsageError, match="already exists"):
        accounts.add_user("hoa", "admin", PASSWORD)


def test_the_last_admin_cannot_be_demoted_or_deactivated(accounts: Accounts) -> None:
    accounts.add_user("boss", "admin", PASSWORD)
    with pytest.raises(UsageError, match="last active admin"):
        accounts.set_role("boss", "viewer")
    with pytest.raises(UsageError, match="last active admin"):
        accounts.deactivate("boss")
    accounts.add_user("deputy", "admin", PASSWORD)
    assert accounts.set_role("boss", "editor").role == "editor"


def test_rate_limit_after_repeated_failures_then_the_window_passes(desk: Desk) -> None:
    clock = Clock()
    accounts = Accounts(desk.store, hasher=CHEAP, clock=clock)
    accounts.add_user("lan", "viewer", PASSWORD)
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            accounts.authenticate("lan", "wrong password", "10.0.0.1")
    with pytest.raises(RateLimited) as limited:
        accounts.authenticate("lan", PASSWORD, "10.0.0.1")  # even the right password
    assert 0 < limited.value.retry_after <= 15 * 60 + 1
    assert accounts.authenticate("lan", PASSWORD, "10.0.0.2").name == "lan"  # another client
    clock.now += timedelta(minutes=16)
    assert accounts.authenticate("lan", PASSWORD, "10.0.0.1").name == "lan"


def test_sessions_expire_and_end(desk: Desk) -> None:
    clock = Clock()
    accounts = Accounts(desk.store, session_hours=2, hasher=CHEAP, clock=clock)
    user, _ = accounts.add_user("lan", "viewer", PASSWORD)
    session = accounts.start_session(user)
    found = accounts.session(session.token)
    assert found is not None and found[0] == user and found[1].csrf == session.csrf
    with accounts.store.engine.connect() as conn:
        hashes = conn.execute(select(schema.web_sessions.c.token_hash)).scalars().all()
    assert session.token not in hashes  # the cookie value itself is never stored
    clock.now += timedelta(hours=3)
    assert accounts.session(session.token) is None
    again = accounts.start_session(user)
    accounts.end_session(again.token)
    assert accounts.session(again.token) is None


def test_api_tokens_are_stored_hashed_and_die_with_the_account(accounts: Accounts) -> None:
    accounts.add_user("boss", "admin", PASSWORD)
    user, _ = accounts.add_user("bot", "viewer", PASSWORD)
    token = accounts.create_token(user, "newsroom")
    with accounts.store.engine.connect() as conn:
        stored = conn.execute(select(schema.api_tokens.c.token_hash)).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert accounts.token_user(token) == user
    assert accounts.token_user(token + "x") is None
    assert [t.name for t in accounts.list_tokens(user)] == ["newsroom"]
    accounts.deactivate("bot")
    assert accounts.token_user(token) is None


def test_audit_entries_are_written_newest_first(accounts: Accounts) -> None:
    boss, _ = accounts.add_user("boss", "admin", PASSWORD)
    accounts.add_user("lan", "viewer", PASSWORD, actor=boss)
    accounts.set_role("lan", "editor", actor=boss)
    accounts.audit(boss.id, "source.add", "VnExpress", {"url": "https://vnexpress.net/rss"})
    log = accounts.audit_log(10)
    assert [e.action for e in log] == ["source.add", "user.role", "user.add", "user.add"]
    assert log[0].user_name == "boss" and log[0].detail == {"url": "https://vnexpress.net/rss"}
    assert log[1].target == "lan" and log[1].detail == {"from": "viewer", "to": "editor"}
    assert log[-1].user_id is None  # the first admin was made from the command line


# ---------------------------------------------------------------- web


@pytest.mark.anyio
async def test_login_sets_a_session_cookie_with_safe_flags(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    accounts.add_user("lan", "viewer", PASSWORD)
    response = await _login(client, "lan", next_path="/test-only/page")
    assert response.status_code == 303
    assert response.headers["location"] == "/test-only/page"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "hoasen_session=" in c)
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http, web_secure_cookies off
    page = await client.get("/test-only/page")
    assert page.status_code == 200 and page.json() == {"page_for": "lan"}
    assert accounts.audit_log(5)[0].action == "login"


@pytest.mark.anyio
async def test_session_cookie_is_secure_over_https(app: FastAPI, accounts: Accounts) -> None:
    accounts.add_user("lan", "viewer", PASSWORD)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://desk.test") as client:
        response = await _login(client, "lan")
    cookie = next(c for c in response.headers.get_list("set-cookie") if "hoasen_session=" in c)
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


@pytest.mark.anyio
async def test_wrong_password_is_401_with_a_form_error(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    accounts.add_user("lan", "viewer", PASSWORD)
    response = await _login(client, "lan", password="not the password")
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "hoasen_session=" not in response.headers.get("set-cookie", "")
    assert (await client.get("/api/v1/test-only/me")).status_code == 401


@pytest.mark.anyio
async def test_login_is_rate_limited_after_repeated_failures(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    accounts.add_user("lan", "viewer", PASSWORD)
    for _ in range(MAX_FAILURES):
        assert (await _login(client, "lan", password="guess guess")).status_code == 401
    response = await _login(client, "lan")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.anyio
async def test_next_only_goes_to_same_site_paths(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    accounts.add_user("lan", "viewer", PASSWORD)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await _login(client, "lan", next_path=target)
        assert response.headers["location"] == "/", target
        client.cookies.delete("hoasen_session")


@pytest.mark.anyio
async def test_pages_send_strangers_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/test-only/page?q=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ftest-only%2Fpage%3Fq%3D1"


@pytest.mark.anyio
async def test_a_form_post_without_the_csrf_token_is_refused(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    accounts.add_user("lan", "viewer", PASSWORD)
    await client.get("/login")
    refused = await client.post("/login", data={"name": "lan", "password": PASSWORD})
    assert refused.status_code == 403  # the login form itself is protected (double submit)
    assert (await _login(client, "lan")).status_code == 303
    form = await client.get("/login?next=/x")
    assert form.status_code == 303  # signed in already
    for data in ({}, {"csrf_token": "forged"}):
        response = await client.post("/logout", data=data)
        assert response.status_code == 403
        assert (await client.get("/test-only/page")).status_code == 200  # still signed in
    page = await client.get("/api/v1/test-only/me")
    assert page.status_code == 200


@pytest.mark.anyio
async def test_logout_with_the_token_ends_the_session(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    accounts.add_user("lan", "viewer", PASSWORD)
    await _login(client, "lan")
    session = accounts.session(client.cookies["hoasen_session"])
    assert session is not None
    response = await client.post("/logout", headers={"X-CSRF-Token": session[1].csrf})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert accounts.session(session[1].token) is None
    assert (await client.get("/test-only/page")).status_code == 303
    assert [e.action for e in accounts.audit_log(2)] == ["logout", "login"]


@pytest.mark.anyio
async def test_bearer_token_works_for_the_api_without_csrf(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    editor, _ = accounts.add_user("bot", "editor", PASSWORD)
    token = accounts.create_token(editor, "newsroom")
    auth = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/test-only/me", headers=auth)
    assert me.status_code == 200 and me.json()["name"] == "bot"
    edit = await client.post("/api/v1/test-only/edit", headers=auth)
    assert edit.status_code == 200 and edit.json() == {"edited_by": "bot"}
    bad = await client.get("/api/v1/test-only/me", headers={"Authorization": "Bearer hoasen_x"})
    assert bad.status_code == 401
    error = bad.json()["error"]
    assert error["status"] == 401 and error["code"] == "unauthorized" and error["message"]


@pytest.mark.anyio
async def test_a_viewer_gets_403_on_an_editor_endpoint(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    viewer, _ = accounts.add_user("reader", "viewer", PASSWORD)
    token = accounts.create_token(viewer, "reading")
    response = await client.post(
        "/api/v1/test-only/edit", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    await _login(client, "reader")
    session = accounts.session(client.cookies["hoasen_session"])
    assert session is not None
    response = await client.post(
        "/api/v1/test-only/edit", headers={"X-CSRF-Token": session[1].csrf}
    )
    assert response.status_code == 403


@pytest.mark.anyio
async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "referrer-policy" in response.headers


@pytest.mark.anyio
async def test_request_bodies_over_the_upload_cap_are_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    too_big = b"x" * (settings.web_upload_max_mb * 1_000_000 + 2_000_000)
    response = await client.post("/login", content=too_big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


@pytest.mark.anyio
async def test_the_api_reference_is_served_without_any_cdn(client: httpx.AsyncClient) -> None:
    docs = await client.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/v1/openapi.json" in docs.text
    assert not re.search(r"(src|href)=\"https?://", docs.text)
    schema = await client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and "paths" in schema.json()


# ---------------------------------------------------------------- command line


def _cli(db: str, *args: str, stdin: str | None = None) -> Any:
    from hoasen.cli import app
    from hoasen.cli import web as _web  # noqa: F401  (registers `serve` and `user`)

    return CliRunner().invoke(app, ["--db", db, *args], input=stdin)


def test_user_add_list_and_token_from_the_command_line(tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    made = _cli(db, "user", "add", "boss", "--role", "admin")
    assert made.exit_code == 0, made.output
    password = re.search(r"password: (\S+)", made.stdout)
    assert password is not None and len(password.group(1)) >= 20
    given = _cli(db, "user", "add", "lan", "--role", "viewer", "--password-stdin", stdin=PASSWORD)
    assert given.exit_code == 0 and "password:" not in given.stdout
    assert _cli(db, "user", "add", "x", "--role", "owner").exit_code == 2
    assert _cli(db, "user", "add", "lan", "--role", "viewer").exit_code == 2
    listed = _cli(db, "user", "list", "--json")
    assert [(u["name"], u["role"]) for u in json.loads(listed.stdout)] == [
        ("boss", "admin"),
        ("lan", "viewer"),
    ]
    token = _cli(db, "user", "token", "lan", "--name", "bot").stdout.strip()
    store = Store.open(db)
    try:
        accounts = Accounts(store)
        assert accounts.authenticate("boss", password.group(1), "cli").role == "admin"
        assert accounts.authenticate("lan", PASSWORD, "cli").name == "lan"
        found = accounts.token_user(token)
        assert found is not None and found.name == "lan"
    finally:
        store.close()


def test_accounts_work_on_sqlite_and_postgresql(store: Store) -> None:
    clock = Clock()
    accounts = Accounts(store, hasher=CHEAP, clock=clock)
    boss, _ = accounts.add_user("boss", "admin", PASSWORD)
    assert accounts.authenticate("boss", PASSWORD, "c") == boss
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            accounts.authenticate("boss", "wrong password", "c")
    with pytest.raises(RateLimited):
        accounts.authenticate("boss", PASSWORD, "c")
    session = accounts.start_session(boss)
    found = accounts.session(session.token)
    assert found is not None and found[0] == boss
    token = accounts.create_token(boss, "bot")
    assert accounts.token_user(token) == boss
    with pytest.raises(UsageError):
        accounts.deactivate("boss")
    assert [e.action for e in accounts.audit_log()] == ["token.create", "user.add"]


def test_serve_with_workers_hands_uvicorn_the_app_factory(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hoasen.web import workers

    db = f"sqlite:///{tmp_path / 'workers.db'}"
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(workers, "serve_workers", lambda *args: calls.append(args) or True)
    monkeypatch.setenv("HOASEN_DATABASE_URL", "set by serve")  # restored after the test
    done = _cli(db, "serve", "--port", "8123", "--workers", "2")
    assert done.exit_code == 0, done.output
    assert calls == [("hoasen.web.app:app_from_env", "127.0.0.1", 8123, 2)]
    assert os.environ["HOASEN_DATABASE_URL"] == db  # what each worker's app is built from
    assert _cli(db, "serve", "--workers", "0").exit_code == 2
    monkeypatch.setenv("HOASEN_WEB_SEARCH_CONCURRENCY", "0")
    refused = _cli(db, "serve", "--workers", "2")
    assert refused.exit_code == 2 and "web_search_concurrency" in refused.output
    assert len(calls) == 1  # checked before any worker started
    monkeypatch.delenv("HOASEN_WEB_SEARCH_CONCURRENCY")
    monkeypatch.setenv("HOASEN_CONFIG", os.devnull)
    from hoasen.web.app import app_from_env

    built = app_from_env()
    try:
        assert built.state.settings.database_url == db
    finally:
        built.state.desk.close()
