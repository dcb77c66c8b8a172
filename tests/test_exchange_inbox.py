"""The partners' inbox `POST /api/v1/exchange/inbox/{partner}` and the ledger API, through
httpx.ASGITransport on SQLite: HMAC signatures (401), unknown partners (404), size (413),
refused documents (422 with the reason and a ledger row), idempotency keys, no login or CSRF
for machines, our own ninjs export accepted back, and secrets never shown or logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from hoasen.desk import Desk
from hoasen.exchange import to_newsml
from hoasen.exchange.receive import signature
from hoasen.models import RawInput
from hoasen.store.partners import PartnerRow
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts
from test_exchange_receive import (
    SECRET_NAME,
    SECRET_VALUE,
    STORIES,
    add_partner,
    add_plan,
    bad_ninjs,
    item,
    make_settings,
    ninjs,
    received,
)

pytestmark = pytest.mark.anyio

API = "/api/v1"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Env:
    """An app whose partner Guangxi Daily has an inbox plan keyed by SECRET_NAME."""

    app: FastAPI
    desk: Desk
    partner: PartnerRow
    tokens: dict[str, str]

    def client(self, role: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://testserver",
            headers=headers,
        )

    async def post(
        self,
        body: bytes,
        key: str | None = SECRET_VALUE,
        partner: str | None = None,
        idempotency: str | None = None,
        **headers: str,
    ) -> httpx.Response:
        """POST a document signed with `key` (None: unsigned)."""
        if key is not None:
            headers["X-Hoasen-Signature"] = signature(key, body)
        if idempotency is not None:
            headers["Idempotency-Key"] = idempotency
        headers.setdefault("Content-Type", "application/json")
        async with self.client() as c:
            return await c.post(
                f"{API}/exchange/inbox/{partner or self.partner.slug}",
                content=body,
                headers=headers,
            )


def _env(tmp_path: Path, **overrides: Any) -> Iterator[Env]:
    settings = make_settings(tmp_path, **overrides)
    desk = Desk(settings)
    accounts = Accounts(desk.store, hasher=FAST_HASHER)
    app = create_app(settings, desk, accounts=accounts)
    tokens = {}
    for role in ("viewer", "editor"):
        user, _ = accounts.add_user(f"{role}1", role)
        tokens[role] = accounts.create_token(user, "tests")
    partner = add_partner(desk)
    add_plan(desk, partner, "inbox", name="gx-inbox", secret=SECRET_NAME)
    yield Env(app, desk, partner, tokens)
    app.state.jobs.stop()
    desk.close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from _env(tmp_path)


def _error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"status", "code", "message", "reasons"} and error["status"] == status
    if code is not None:
        assert error["code"] == code
    return dict(error)


# ------------------------------------------------------------------------ accepted documents


async def test_a_signed_ninjs_3_document_is_ingested_for_the_partner(env: Env) -> None:
    r = await env.post(ninjs("zh"))
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["status"], doc["partner"], doc["format"], doc["replayed"]) == (
        "received",
        env.partner.slug,
        "ninjs",
        False,
    )
    [article] = doc["articles"]
    stored = env.desk.store.get_article(article["id"])
    assert stored.source_name == env.partner.name and stored.language == "zh"
    assert stored.title == STORIES["zh"][0] and article["version"] == stored.content_hash
    source = env.desk.store.get_source(env.partner.name)
    assert source.partner_id == env.partner.id and source.kind == "exchange"
    [row] = received(env.desk)
    assert row.id == doc["ledger_id"] and row.transport == "inbox" and row.origin == "inbox"
    assert row.items == [[stored.id, stored.content_hash, "zh"]]
    assert row.operator == f"inbox:{env.partner.slug}"


async def test_newsml_g2_is_ingested_and_the_partner_found_by_any_name(env: Env) -> None:
    body = to_newsml(item("vi", 2))
    r = await env.post(body, partner=str(env.partner.id), **{"Content-Type": "application/xml"})
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "newsml" and r.json()["articles"][0]["language"] == "vi"


async def test_a_document_sent_again_is_no_new_article(env: Env) -> None:
    first = (await env.post(ninjs("zh"))).json()
    r = await env.post(ninjs("zh"))
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["ledger_id"] != first["ledger_id"] and not again["replayed"]
    assert [a["id"] for a in again["articles"]] == [a["id"] for a in first["articles"]]
    assert env.desk.store.count_articles(include_duplicates=True) == 1


async def test_an_idempotency_key_replays_the_first_result(env: Env) -> None:
    r1 = await env.post(ninjs("en"), idempotency="gx-2026-11-03-001")
    assert r1.status_code == 201, r1.text
    r2 = await env.post(ninjs("en"), idempotency="gx-2026-11-03-001")
    assert r2.status_code == 200, r2.text
    assert r2.json() == {**r1.json(), "replayed": True}
    assert len(received(env.desk)) == 1  # nothing received again
    # the same key for another document is a conflict, not a silent replay
    r3 = await env.post(ninjs("vi", 2), idempotency="gx-2026-11-03-001")
    _error(r3, 409, "idempotency_conflict")
    # keys belong to one partner: another partner's same key is its own request
    other = add_partner(env.desk, "Gangwon Ilbo")
    add_plan(env.desk, other, "inbox", secret=SECRET_NAME)
    r4 = await env.post(ninjs("ko", 4), partner=other.slug, idempotency="gx-2026-11-03-001")
    assert r4.status_code == 201, r4.text
    _error(await env.post(ninjs("en"), idempotency="bad key with spaces"), 400)


async def test_a_refused_document_does_not_use_up_its_key(env: Env) -> None:
    r1 = await env.post(bad_ninjs(), idempotency="k-7")
    _error(r1, 422, "refused")
    r2 = await env.post(ninjs("en", 7), idempotency="k-7")  # corrected and sent again
    assert r2.status_code == 201, r2.text
    assert [r.status for r in received(env.desk)] == ["refused", "received"]


# ------------------------------------------------------------------------ refused requests


async def test_a_schema_invalid_document_is_422_with_the_reason_and_in_the_ledger(
    env: Env,
) -> None:
    error = _error(await env.post(bad_ninjs()), 422, "refused")
    assert any("'published' is not one of" in reason for reason in error["reasons"])
    assert any("$.pubStatus" in reason for reason in error["reasons"])
    [row] = received(env.desk)
    assert row.status == "refused" and "$.pubStatus" in row.error and row.items == []
    assert f"ledger entry {row.id}" in error["message"]
    assert env.desk.store.count_articles() == 0
    garbage = _error(await env.post(b"<not xml"), 422, "refused")
    assert "not well-formed" in garbage["reasons"][0]


async def test_wrong_or_missing_signatures_are_401(env: Env) -> None:
    body = ninjs("en")
    wrong = _error(await env.post(body, key="not-the-key"), 401, "bad_signature")
    assert "does not match" in wrong["message"]
    missing = _error(await env.post(body, key=None), 401, "bad_signature")
    assert "missing" in missing["message"]
    r = await env.post(body, key=None, **{"X-Hoasen-Signature": "sha1=abcdef"})
    _error(r, 401, "bad_signature")
    assert r.headers["www-authenticate"].startswith("HMAC-SHA256")
    # signed for another body: the signature covers every byte
    async with env.client() as c:
        r = await c.post(
            f"{API}/exchange/inbox/{env.partner.slug}",
            content=body + b"\n",
            headers={"X-Hoasen-Signature": signature(SECRET_VALUE, body)},
        )
    _error(r, 401)
    assert received(env.desk) == [] and env.desk.store.count_articles() == 0


async def test_unknown_partner_or_no_inbox_is_404(env: Env) -> None:
    body = ninjs("en")
    _error(await env.post(body, partner="nobody"), 404, "not_found")
    no_inbox = add_partner(env.desk, "Gangwon Ilbo")
    add_plan(env.desk, no_inbox, "folder", config={"path": "x"})
    add_plan(env.desk, no_inbox, "inbox", name="closed", secret=SECRET_NAME, active=False)
    error = _error(await env.post(body, partner=no_inbox.slug), 404, "not_found")
    assert "no inbox for this partner" in error["message"]


async def test_a_body_over_the_upload_limit_is_413(tmp_path: Path) -> None:
    for env in _env(tmp_path, web_upload_max_mb=1):
        doc = json.loads(ninjs("en"))
        doc["body_text"] = "x" * 1_200_000
        body = json.dumps(doc).encode()
        _error(await env.post(body), 413, "too_large")
        assert received(env.desk) == []


async def test_no_login_or_csrf_token_is_needed_but_a_session_does_not_help(env: Env) -> None:
    """Machines send no cookie or token; a browser with a session still needs the signature."""
    accounts: Accounts = env.app.state.accounts
    user, _ = accounts.add_user("browser", "admin")
    session = accounts.start_session(user)
    async with env.client() as c:
        c.cookies.set("hoasen_session", session.token)
        r = await c.post(f"{API}/exchange/inbox/{env.partner.slug}", content=ninjs("en"))
        _error(r, 401, "bad_signature")
        body = ninjs("vi", 2)
        r = await c.post(
            f"{API}/exchange/inbox/{env.partner.slug}",
            content=body,
            headers={"X-Hoasen-Signature": signature(SECRET_VALUE, body)},
        )
        assert r.status_code == 201, r.text


async def test_secrets_never_appear_in_responses_or_logs(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    texts = []
    with caplog.at_level(logging.DEBUG):
        for r in (
            await env.post(ninjs("en")),
            await env.post(ninjs("en"), key="wrong"),
            await env.post(ninjs("en"), key=None),
            await env.post(bad_ninjs()),
        ):
            texts.append(r.text + json.dumps(dict(r.headers)))
        async with env.client("viewer") as c:
            texts.append((await c.get(f"{API}/exchange/ledger")).text)
            texts.append((await c.get(f"{API}/openapi.json")).text)
    for text in [*texts, caplog.text]:
        assert SECRET_VALUE not in text


# ------------------------------------------------------------------------ our own export back


async def test_our_own_ninjs_export_is_accepted(env: Env, tmp_path: Path) -> None:
    """What hoasen exports, a partner running hoasen can post to its inbox: a new article
    there, and a duplicate of the original when it comes back to the office that wrote it."""
    office = tmp_path / "office"
    office.mkdir()
    with Desk(make_settings(office)) as other:
        original = {"title": STORIES["en"][0], "text": STORIES["en"][1], "language": "en"}
        raw = RawInput("seed.json", json.dumps(original).encode(), "json")
        [article_id] = other.ingest(items=[raw]).article_ids
        [path] = other.exchange.export([article_id], "ninjs", tmp_path / "out")
    r = await env.post(path.read_bytes())
    assert r.status_code == 201, r.text
    stored = env.desk.store.get_article(r.json()["articles"][0]["id"])
    assert stored.title == STORIES["en"][0] and stored.source_name == env.partner.name

    mine = (await env.post(ninjs("zh"))).json()["articles"][0]["id"]
    [back] = env.desk.exchange.export([mine], "ninjs", tmp_path / "back")
    r = await env.post(back.read_bytes())
    assert r.status_code == 201, r.text
    assert r.json()["articles"][0]["duplicate_of"] == mine


# ------------------------------------------------------------------------ the ledger


async def test_the_ledger_is_read_by_any_signed_in_user(env: Env) -> None:
    await env.post(ninjs("zh"))
    await env.post(bad_ninjs())
    other = add_partner(env.desk, "Gangwon Ilbo")
    env.desk.inbox.receive(other, [("a.json", ninjs("ko", 3))], "file")
    async with env.client("viewer") as c:
        everything = (await c.get(f"{API}/exchange/ledger")).json()
        assert everything["total"] == 3
        assert everything["items"][0]["partner"] == other.slug  # newest first
        mine = (
            await c.get(f"{API}/exchange/ledger", params={"partner": "广西日报传媒集团"})
        ).json()
        assert [i["status"] for i in mine["items"]] == ["refused", "received"]
        assert mine["items"][0]["error"] and mine["items"][1]["items"][0][2] == "zh"
        sent = await c.get(f"{API}/exchange/ledger", params={"direction": "sent"})
        assert sent.json()["total"] == 0
        _error(await c.get(f"{API}/exchange/ledger", params={"direction": "sideways"}), 422)
        _error(await c.get(f"{API}/exchange/ledger", params={"partner": "nobody"}), 404)
    async with env.client() as anonymous:
        _error(await anonymous.get(f"{API}/exchange/ledger"), 401)


async def test_the_inbox_is_in_the_api_schema(env: Env) -> None:
    async with env.client() as c:
        schema = (await c.get(f"{API}/openapi.json")).json()
    inbox = schema["paths"]["/api/v1/exchange/inbox/{partner}"]["post"]
    headers = {p["name"] for p in inbox["parameters"] if p["in"] == "header"}
    assert headers == {"x-hoasen-signature", "idempotency-key"}
    assert {"401", "404", "413", "422"} <= set(inbox["responses"])


async def test_concurrent_resends_with_one_key_ingest_once(env: Env) -> None:
    results: list[httpx.Response] = []

    async def send() -> None:
        results.append(await env.post(ninjs("en"), idempotency="same"))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(send)
    assert sorted(r.status_code for r in results) == [200, 200, 200, 201]
    assert len(received(env.desk)) == 1
