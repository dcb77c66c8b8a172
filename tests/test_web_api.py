"""The REST API under /api/v1 through httpx.ASGITransport, on SQLite and PostgreSQL: listings,
filters and pagination, the JSON error body, roles (a viewer writes nothing), CSRF for browser
sessions, the audit log, report downloads and background ingest jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.store.analysis import StoryFields
from hoasen.store.db import Store
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts
from hoasen.web.jobs import INTERRUPTED, JobRunner
from transport_server import LoopbackServer, Reply

pytestmark = pytest.mark.anyio

API = "/api/v1"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

SEED = [
    {
        "url": "https://partner.example.kr/news/1",
        "title": "Gangwon and Quang Ninh broadcasters agree to swap tourism programmes",
        "text": "Gangwon Radio and Television and the Quang Ninh Provincial Media Center agreed "
        "on Tuesday to swap tourism programmes every month. The exchange should bring "
        "3 million Korean visitors to the bay.",
        "published": "2026-11-10T08:00:00+07:00",
        "language": "en",
    },
    {
        "url": "https://partner.example.kr/news/2",
        "title": "Korean tourists return to Ha Long Bay",
        "text": "Tour operators in Quang Ninh report that Korean tourists are returning to Ha "
        "Long Bay after the typhoon season, with hotels nearly full for the winter.",
        "published": "2026-11-11T09:00:00+07:00",
        "language": "en",
    },
    {
        "url": "https://baomoi.example.vn/tin/3",
        "title": "Quảng Ninh đón đoàn du khách Hàn Quốc",
        "text": "Tỉnh Quảng Ninh đã đón đoàn du khách Hàn Quốc đầu tiên sau mùa bão. Các khách "
        "sạn ở Hạ Long gần như kín phòng trong mùa đông năm nay.",
        "published": "2026-11-12T10:00:00+07:00",
        "language": "vi",
    },
]


@dataclass
class Env:
    """An app on a seeded database, with a token per role."""

    app: FastAPI
    desk: Desk
    accounts: Accounts
    tokens: dict[str, str]
    ids: dict[str, int]

    def client(self, role: str | None = "viewer", **headers: str) -> httpx.AsyncClient:
        """A client calling the app in-process, with the role's API token (None: anonymous)."""
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://testserver",
            headers=headers,
        )

    def audit_actions(self) -> list[str]:
        """Audit log actions, oldest first."""
        return [e.action for e in reversed(self.accounts.audit_log(limit=1000))]

    async def finished(self, job: int) -> dict[str, Any]:
        """The job's status once the worker has run every queued job."""
        await anyio.to_thread.run_sync(self.app.state.jobs.wait_idle)
        async with self.client() as c:
            r = await c.get(f"{API}/ingest/{job}")
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _seed(desk: Desk, tmp_path: Path) -> dict[str, int]:
    """Three articles (two from a registered source), a copy of one, analysis rows, a story."""
    store = desk.store
    store.add_source("https://partner.example.kr/rss", "partner-kr", country="KR", partner=True)
    first = tmp_path / "partner.jsonl"
    first.write_text("\n".join(json.dumps(x) for x in SEED[:2]), encoding="utf-8")
    desk.ingest(paths=[first], source_name="partner-kr")
    rest = tmp_path / "other.jsonl"
    copy = {**SEED[0], "url": "https://copy.example.com/1"}
    rest.write_text("\n".join(json.dumps(x) for x in [SEED[2], copy]), encoding="utf-8")
    desk.ingest(paths=[rest])
    by_url = {a.url: a for a in store.list_articles(limit=None, include_duplicates=True)}
    ids = {
        "gangwon": by_url[SEED[0]["url"]].id,
        "tourists": by_url[SEED[1]["url"]].id,
        "vi": by_url[SEED[2]["url"]].id,
        "copy": by_url["https://copy.example.com/1"].id,
    }
    assert by_url["https://copy.example.com/1"].duplicate_of == ids["gangwon"]
    results = desk.results

    def mention(entity: str | None, text: str, start: int) -> dict[str, Any]:
        return {
            "entity_id": entity,
            "text": text,
            "type": "LOC",
            "start": start,
            "end": start + len(text),
            "origin": "gazetteer",
        }

    when = datetime(2026, 11, 10, tzinfo=UTC)
    with store.begin() as conn:
        results.replace_mentions(
            conn,
            ids["gangwon"],
            [mention("kr.gangwon", "Gangwon", 0), mention("vn.quang-ninh", "Quang Ninh", 43)],
        )
        quang_ninh = mention("vn.quang-ninh", "Quang Ninh", 16)
        results.replace_mentions(conn, ids["tourists"], [quang_ninh])
        results.replace_mentions(conn, ids["vi"], [mention("vn.quang-ninh", "Quảng Ninh", 5)])
        figure = {"text": "3 million", "value": 3e6, "unit": None, "scale": "million"}
        results.replace_figures(
            conn, ids["gangwon"], [{**figure, "subject": "visitors", "start": 150, "end": 159}]
        )
        results.replace_topics(conn, ids["gangwon"], [("tourism", 0.9), ("media", 0.4)])
        fields = StoryFields(
            title="Korean tourists back in Quang Ninh",
            title_language="en",
            first_seen=when,
            last_seen=datetime(2026, 11, 12, tzinfo=UTC),
            article_count=3,
            languages=("en", "vi"),
            sources=("partner-kr", "baomoi.example.vn"),
            countries=("KR",),
            state={},
            centroid=b"\0" * 8,
            version="test",
        )
        story = results.save_story(conn, None, fields)
        members = {ids["gangwon"]: 1.0, ids["tourists"]: 0.9, ids["vi"]: 0.8}
        results.add_members(conn, story, members)
    ids["story"] = story
    return ids


@pytest.fixture
def env(settings: Settings, store: Store, tmp_path: Path) -> Iterator[Env]:
    desk = Desk(settings, store=store)
    accounts = Accounts(store, hasher=FAST_HASHER)
    app = create_app(settings, desk, accounts=accounts)
    tokens = {}
    for role in ("viewer", "editor", "admin"):
        user, _ = accounts.add_user(f"{role}1", role)
        tokens[role] = accounts.create_token(user, "tests")
    ids = _seed(desk, tmp_path)
    yield Env(app, desk, accounts, tokens, ids)
    app.state.jobs.stop()


def _error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The error object of a response, after checking it has the one error shape."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "reasons"}
    assert err["status"] == status and err["message"]
    if code is not None:
        assert err["code"] == code
    return dict(err)


# ---------------------------------------------------------------------------- reading


async def test_sign_in_is_needed(env: Env) -> None:
    async with env.client(role=None) as c:
        _error(await c.get(f"{API}/articles"), 401, "unauthorized")
        _error(await c.get(f"{API}/search", params={"q": "Quang Ninh"}), 401)
    async with env.client(role=None, Authorization="Bearer hoasen_not-a-token") as c:
        _error(await c.get(f"{API}/stories"), 401)
    async with env.client(role=None) as c:  # an anonymous write: not signed in, not "csrf"
        _error(await c.post(f"{API}/sources", json={"url": "https://x.example", "name": "x"}), 401)


async def test_articles_filters_and_pagination(env: Env) -> None:
    ids = env.ids
    async with env.client() as c:
        r = await c.get(f"{API}/articles")
        assert r.status_code == 200
        page = r.json()
        assert page["total"] == 3 and page["limit"] == 50 and page["offset"] == 0
        assert [a["id"] for a in page["items"]] == [ids["vi"], ids["tourists"], ids["gangwon"]]

        r = await c.get(f"{API}/articles", params={"include_duplicates": "true"})
        assert r.json()["total"] == 4

        r = await c.get(f"{API}/articles", params={"language": "en"})
        assert [a["id"] for a in r.json()["items"]] == [ids["tourists"], ids["gangwon"]]

        r = await c.get(f"{API}/articles", params={"source": "partner-kr", "limit": 1})
        page = r.json()
        assert page["total"] == 2 and [a["id"] for a in page["items"]] == [ids["tourists"]]
        assert page["items"][0]["source"] == "partner-kr"
        r = await c.get(f"{API}/articles", params={"source": "partner-kr", "offset": 1})
        assert [a["id"] for a in r.json()["items"]] == [ids["gangwon"]]

        r = await c.get(
            f"{API}/articles", params={"since": "2026-11-11", "until": "2026-11-11T23:59:59Z"}
        )
        assert [a["id"] for a in r.json()["items"]] == [ids["tourists"]]

        _error(await c.get(f"{API}/articles", params={"source": "nope"}), 404, "not_found")
        err = _error(await c.get(f"{API}/articles", params={"limit": 0}), 422, "invalid_request")
        assert any("limit" in reason for reason in err["reasons"])
        params = {"since": "2026-11-12", "until": "2026-11-01"}
        _error(await c.get(f"{API}/articles", params=params), 400, "bad_request")


async def test_article_detail(env: Env) -> None:
    ids = env.ids
    async with env.client() as c:
        r = await c.get(f"{API}/articles/{ids['gangwon']}")
        assert r.status_code == 200
        a = r.json()
        assert a["title"] == SEED[0]["title"] and "swap tourism programmes" in a["text"]
        assert a["story"] == ids["story"] and a["duplicates"] == [ids["copy"]]
        assert {e["id"] for e in a["entities"]} == {"kr.gangwon", "vn.quang-ninh"}
        assert [m["text"] for m in a["mentions"]] == ["Gangwon", "Quang Ninh"]
        assert a["figures"][0]["value"] == 3e6 and a["figures"][0]["subject"] == "visitors"
        assert [t["topic"] for t in a["topics"]] == ["tourism", "media"]

        r = await c.get(f"{API}/articles/{ids['copy']}")
        assert r.json()["duplicate_of"] == ids["gangwon"] and r.json()["story"] is None

        err = _error(await c.get(f"{API}/articles/999999"), 404, "not_found")
        assert "999999" in err["message"]
        _error(await c.get(f"{API}/articles/abc"), 422)


async def test_search(env: Env) -> None:
    ids = env.ids
    async with env.client() as c:
        r = await c.get(f"{API}/search", params={"q": "quang ninh"})
        page = r.json()
        assert r.status_code == 200, r.text
        assert {h["id"] for h in page["items"]} == {ids["gangwon"], ids["tourists"], ids["vi"]}
        assert page["total"] == 3 and all(h["snippet"] for h in page["items"])

        r = await c.get(f"{API}/search", params={"q": "quang ninh", "language": "vi"})
        assert [h["id"] for h in r.json()["items"]] == [ids["vi"]]

        r = await c.get(f"{API}/search", params={"q": "quang ninh", "limit": 2})
        first = r.json()
        assert len(first["items"]) == 2 and first["total"] is None
        r = await c.get(f"{API}/search", params={"q": "quang ninh", "limit": 2, "offset": 2})
        second = r.json()
        assert second["total"] == 3 and len(second["items"]) == 1
        seen = {h["id"] for h in first["items"]} | {h["id"] for h in second["items"]}
        assert seen == {ids["gangwon"], ids["tourists"], ids["vi"]}

        _error(await c.get(f"{API}/search", params={"q": "x", "language": "xx"}), 400)
        _error(await c.get(f"{API}/search", params={"q": ""}), 422, "invalid_request")
        _error(await c.get(f"{API}/search"), 422)


async def _widest_search_overlap(env: Env, monkeypatch: pytest.MonkeyPatch, n: int) -> int:
    """Send `n` searches at once; the most that ran at the same time in the desk."""
    import threading
    import time

    running, widest = 0, 0
    lock = threading.Lock()
    original = env.desk.search_page

    def slow(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, widest
        with lock:
            running += 1
            widest = max(widest, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return original(*args, **kwargs)

    monkeypatch.setattr(env.desk, "search_page", slow)
    async with env.client() as c:
        statuses: list[int] = []

        async def one() -> None:
            r = await c.get(f"{API}/search", params={"q": "quang ninh"})
            statuses.append(r.status_code)

        async with anyio.create_task_group() as group:
            for _ in range(n):
                group.start_soon(one)
    assert statuses == [200] * n
    return widest


async def test_searches_wait_their_turn(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """One search at a time per process by default (web_search_concurrency): the others queue
    instead of sharing the core, and all of them are answered."""
    assert await _widest_search_overlap(env, monkeypatch, 5) == 1
    env.app.state.search_limiter.total_tokens = 3
    assert 1 < await _widest_search_overlap(env, monkeypatch, 6) <= 3


def test_search_concurrency_must_be_positive(settings: Settings, store: Store) -> None:
    from dataclasses import replace

    from hoasen.errors import ConfigError

    desk = Desk(settings, store=store)
    with pytest.raises(ConfigError, match="web_search_concurrency"):
        create_app(replace(settings, web_search_concurrency=0), desk)


async def test_stories(env: Env) -> None:
    ids = env.ids
    async with env.client() as c:
        page = (await c.get(f"{API}/stories")).json()
        assert page["total"] == 1 and page["items"][0]["id"] == ids["story"]
        assert page["items"][0]["languages"] == ["en", "vi"]
        r = await c.get(f"{API}/stories", params={"min_articles": 4})
        assert r.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
        r = await c.get(f"{API}/stories", params={"since": "2026-12-01"})
        assert r.json()["items"] == []

        s = (await c.get(f"{API}/stories/{ids['story']}")).json()
        assert [a["id"] for a in s["article_list"]] == [ids["gangwon"], ids["tourists"], ids["vi"]]
        assert {a["language"] for a in s["article_list"]} == {"en", "vi"}
        assert s["entities"][0]["id"] == "vn.quang-ninh" and s["entities"][0]["articles"] == 3
        assert s["entities"][0]["name"] == "Quảng Ninh"  # office language vi
        assert [f["text"] for f in s["figures"]] == ["3 million"]
        _error(await c.get(f"{API}/stories/12345"), 404, "not_found")


async def test_entities(env: Env) -> None:
    ids = env.ids
    async with env.client() as c:
        page = (await c.get(f"{API}/entities")).json()
        assert [(e["id"], e["articles"]) for e in page["items"]] == [
            ("vn.quang-ninh", 3),
            ("kr.gangwon", 1),
        ]
        r = await c.get(f"{API}/entities", params={"limit": 1, "offset": 1})
        assert [e["id"] for e in r.json()["items"]] == ["kr.gangwon"]

        report = (await c.get(f"{API}/entities/Quảng Ninh")).json()
        assert report["id"] == "vn.quang-ninh" and report["names"]["vi"] == "Quảng Ninh"
        assert {a["id"] for a in report["articles"]} == {ids["gangwon"], ids["tourists"], ids["vi"]}
        assert (await c.get(f"{API}/entities/vn.quang-ninh")).json()["id"] == "vn.quang-ninh"
        _error(await c.get(f"{API}/entities/Atlantis Province"), 404, "not_found")


# ---------------------------------------------------------------------------- writing


async def test_sources_crud_is_audited(env: Env) -> None:
    async with env.client("editor") as c:
        page = (await c.get(f"{API}/sources")).json()
        assert [s["name"] for s in page["items"]] == ["partner-kr"] and page["total"] == 1

        new = {"name": "vnx", "url": "https://vnx.example.vn/rss", "country": "vn"}
        r = await c.post(f"{API}/sources", json=new)
        assert r.status_code == 201, r.text
        assert r.json()["country"] == "VN" and r.json()["poll_minutes"] == 60
        _error(await c.post(f"{API}/sources", json=new), 400, "bad_request")
        bad = {"name": "x", "url": "ftp://x.example/", "kind": "site"}
        _error(await c.post(f"{API}/sources", json=bad), 400)
        _error(await c.post(f"{API}/sources", json={**new, "colour": "red"}), 422)

        r = await c.patch(f"{API}/sources/vnx", json={"name": "vnexpress", "poll_minutes": 15})
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "vnexpress" and r.json()["poll_minutes"] == 15
        _error(await c.get(f"{API}/sources/vnx"), 404)
        assert (await c.get(f"{API}/sources/vnexpress")).json()["url"] == new["url"]
        _error(await c.patch(f"{API}/sources/vnexpress", json={"name": "partner-kr"}), 400)
        _error(await c.patch(f"{API}/sources/vnexpress", json={"poll_minutes": 0}), 422)
        _error(await c.patch(f"{API}/sources/vnexpress", json={"url": None}), 400)

        r = await c.delete(f"{API}/sources/vnexpress")
        assert r.status_code == 204 and r.content == b""
        _error(await c.delete(f"{API}/sources/vnexpress"), 404)
    actions = env.audit_actions()
    assert [a for a in actions if a.startswith("source.")] == [
        "source.add",
        "source.edit",
        "source.remove",
    ]


WRITES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/sources"): {"json": {"name": "v", "url": "https://v.example/rss"}},
    ("PATCH", "/sources/{name}"): {"json": {"poll_minutes": 5}},
    ("DELETE", "/sources/{name}"): {},
    ("POST", "/reports"): {"json": {"kind": "daily", "date": "2026-11-10"}},
    ("POST", "/ingest"): {"json": {"urls": ["https://example.com/a"]}},
    ("POST", "/translate"): {"json": {"segments": ["你好"], "from": "zh", "to": "en"}},
    ("POST", "/articles/{article_id}/translations"): {"json": {"to": "en"}},
    ("PATCH", "/translations/{translation_id}"): {"json": {"targets": {"0": "x"}}},
    ("POST", "/translations/{translation_id}/status"): {"json": {"status": "approved"}},
    ("POST", "/termbase/terms"): {"json": {"concept": "x", "lang": "en", "text": "X"}},
    ("POST", "/partners"): {"json": {"name": "Xinhua"}},
    ("POST", "/partners/{ref}/contacts"): {"json": {"name": "Lan", "email": "lan@x.example"}},
    ("DELETE", "/partners/{ref}/contacts/{contact_id}"): {},
    ("POST", "/agreements"): {"json": {"partner": "x", "title": "T", "starts": "2026-01-01"}},
    ("POST", "/agreements/{agreement_id}/status"): {"json": {"status": "expired"}},
    ("POST", "/agreements/{agreement_id}/activities"): {
        "json": {"on": "2026-01-02", "kind": "exchange"}
    },
    ("POST", "/exchange/plans"): {"json": {"partner": "x", "name": "weekly"}},
    ("POST", "/exchange/plans/{plan}/pause"): {},
    ("POST", "/exchange/plans/{plan}/resume"): {},
    ("POST", "/exchange/plans/{plan}/build"): {},
    ("POST", "/exchange/packages/{package_id}/approve"): {},
    ("POST", "/exchange/packages/{package_id}/cancel"): {},
    ("POST", "/exchange/packages/{package_id}/send"): {},
    ("POST", "/exchange/packages/{package_id}/retry"): {},
    ("POST", "/mail/lists"): {"json": {"name": "Newsletter"}},
    ("POST", "/mail/campaigns"): {"json": {"list": "1", "subject": "S", "text": "T"}},
    ("POST", "/mail/campaigns/{campaign_id}/test"): {"json": {"to": "a@example.org"}},
    ("POST", "/mail/campaigns/{campaign_id}/send"): {},
    ("POST", "/mail/campaigns/{campaign_id}/cancel"): {},
    ("POST", "/channels"): {"json": {"name": "tg", "kind": "telegram", "config": {}}},
    ("POST", "/channels/{channel_id}/enable"): {},
    ("POST", "/channels/{channel_id}/disable"): {},
    ("POST", "/posts"): {"json": {"channel": "tg", "text": "x"}},
    ("POST", "/posts/{post_id}/approve"): {},
    ("POST", "/posts/schedule"): {"json": {"channel": "tg"}},
    ("POST", "/posts/send-due"): {},
    ("POST", "/editions/series"): {"json": {"name": "Hoa Sen", "languages": ["vi", "zh"]}},
    ("POST", "/editions"): {"json": {"series": "1"}},
    ("POST", "/editions/{issue_id}/items"): {"json": {"article_ids": [1]}},
    ("PUT", "/editions/items/{item_id}/texts/{lang}"): {"json": {"title": "T", "body": "B"}},
    ("POST", "/editions/items/{item_id}/texts/{lang}/approve"): {},
    ("POST", "/editions/{issue_id}/translate"): {"json": {"language": "zh"}},
    ("POST", "/editions/{issue_id}/status"): {"json": {"status": "review"}},
    ("POST", "/editions/{issue_id}/publish"): {},
    ("POST", "/registers/delegations"): {
        "json": {"direction": "in", "title": "T", "country": "KR", "starts": "2026-01-01"}
    },
    ("POST", "/registers/delegations/{delegation_id}/activities"): {
        "json": {"on": "2026-01-01", "description": "Visit"}
    },
    ("POST", "/registers/events"): {"json": {"title": "Fair", "start": "2026-01-01"}},
    ("POST", "/registers/events/{event_id}/coverage"): {},
    ("POST", "/registers/events/{event_id}/articles/{article_id}/confirm"): {},
    ("POST", "/registers/events/{event_id}/articles/{article_id}/reject"): {},
    ("POST", "/registers/press/{group_id}/coverage"): {},
    ("POST", "/registers/links/{link_id}/confirm"): {},
    ("POST", "/registers/links/{link_id}/reject"): {},
    ("POST", "/registers/people/{person_id}/erase"): {},
    ("POST", "/report-schedules"): {"json": {"name": "morning", "kind": "daily"}},
    ("PATCH", "/report-schedules/{schedule_id}"): {"json": {"at": "08:00"}},
    ("DELETE", "/report-schedules/{schedule_id}"): {},
    ("POST", "/report-schedules/{schedule_id}/run"): {},
    ("POST", "/jobs/{run_id}/retry"): {},
}
# POSTs that change nothing (a QA check of the text sent): open to viewers.
READ_ONLY_POSTS = {("POST", "/qa")}
# POSTs from partners' machines, authenticated by an HMAC signature of the body (no user, so
# no role): the exchange inbox (test_exchange_inbox.py) and the bounce webhook (test_bounces.py).
SIGNED_POSTS = {("POST", "/exchange/inbox/{partner}"), ("POST", "/mail/bounces")}
# Writes anyone signed in makes on their own things: their alerts, their notifications (a
# viewer changing another's alert gets 403: test_web_alerts.py).
OWN_WRITES = {
    ("POST", "/alerts"),
    ("PATCH", "/alerts/{alert_id}"),
    ("DELETE", "/alerts/{alert_id}"),
    ("POST", "/notifications/{notification_id}/read"),
}


def _write_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) of the API that changes something, from its OpenAPI schema."""
    found = set()
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if path.startswith(API) and method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
                found.add((method.upper(), path.removeprefix(API)))
    return found


@pytest.mark.parametrize("write", sorted(WRITES), ids=lambda w: f"{w[0]} {w[1]}")
async def test_a_viewer_cannot_write(env: Env, write: tuple[str, str]) -> None:
    method, path = write
    url = API + path.replace("{name}", "partner-kr").replace("{article_id}", "1")
    url = url.replace("{translation_id}", "1").replace("{ref}", "1").replace("{contact_id}", "1")
    url = url.replace("{agreement_id}", "1").replace("{plan}", "1").replace("{package_id}", "1")
    url = url.replace("{campaign_id}", "1")
    url = url.replace("{issue_id}", "1").replace("{item_id}", "1").replace("{lang}", "zh")
    url = url.replace("{channel_id}", "1").replace("{post_id}", "1")
    url = url.replace("{event_id}", "1").replace("{group_id}", "1").replace("{link_id}", "1")
    url = url.replace("{person_id}", "1").replace("{delegation_id}", "1")
    url = url.replace("{schedule_id}", "1").replace("{run_id}", "1")
    before = env.desk.store.list_sources()
    async with env.client("viewer") as c:
        err = _error(await c.request(method, url, **WRITES[write]), 403, "forbidden")
        assert "editor" in err["message"] or "registrar" in err["message"]  # people: registrar
    assert env.desk.store.list_sources() == before
    assert env.desk.reports.register.entries() == []
    assert env.app.state.jobs.recent(10)[1] == 0


def test_every_write_endpoint_is_in_the_viewer_test(
    settings: Settings, sqlite_store: Store
) -> None:
    app = create_app(settings, Desk(settings, store=sqlite_store))
    assert _write_routes(app) == set(WRITES) | READ_ONLY_POSTS | SIGNED_POSTS | OWN_WRITES


async def test_browser_sessions_need_the_csrf_token(env: Env) -> None:
    user = env.accounts.get_user("editor1")
    session = env.accounts.start_session(user)
    source = {"name": "s1", "url": "https://s1.example/rss"}
    async with env.client(role=None) as c:
        c.cookies.set("hoasen_session", session.token)
        assert (await c.get(f"{API}/sources")).status_code == 200
        _error(await c.post(f"{API}/sources", json=source), 403, "csrf")
        headers = {"X-CSRF-Token": "wrong"}
        _error(await c.post(f"{API}/sources", json=source, headers=headers), 403, "csrf")
        headers = {"X-CSRF-Token": session.csrf}
        r = await c.post(f"{API}/sources", json=source, headers=headers)
        assert r.status_code == 201, r.text


async def test_reports_create_list_download(env: Env) -> None:
    async with env.client("editor") as c:
        body = {"kind": "weekly", "date": "2026-11-10", "language": "en", "title": "Week 46"}
        r = await c.post(f"{API}/reports", json=body)
        assert r.status_code == 201, r.text
        entry = r.json()
        number = entry["number"]
        assert "/" in number and entry["kind"] == "weekly" and entry["generated_by"] == "editor1"
        assert entry["period"] == {"from": "2026-11-09", "to": "2026-11-15"}

        body = {"kind": "thematic", "from": "2026-11-01", "to": "2026-11-30"}
        r = await c.post(f"{API}/reports", json={**body, "filters": {"query": "Quang Ninh"}})
        assert r.status_code == 201, r.text
        _error(await c.post(f"{API}/reports", json={"kind": "daily", "from": "2026-11-01"}), 400)
        _error(await c.post(f"{API}/reports", json={"kind": "hourly"}), 422)
        _error(await c.post(f"{API}/reports", json={**body, "language": "zh"}), 422)

    async with env.client("viewer") as c:
        page = (await c.get(f"{API}/reports")).json()
        assert page["total"] == 2 and page["items"][1]["number"] == number
        assert (await c.get(f"{API}/reports", params={"kind": "weekly"})).json()["total"] == 1

        r = await c.get(page["items"][1]["downloads"]["json"])
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert r.json()["number"] == number and r.json()["title"] == "Week 46"
        assert r.headers["content-disposition"].startswith("attachment;")
        assert "/" not in r.headers["content-disposition"].split("filename=")[1].split(";")[0]

        r = await c.get(f"{API}/reports/{number}/md")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
        encoded = await c.get(f"{API}/reports/{quote(number, safe='')}/md")
        assert encoded.status_code == 200 and encoded.content == r.content

        _error(await c.get(f"{API}/reports/{number}/exe"), 400, "bad_request")
        _error(await c.get(f"{API}/reports/file", params={"number": "9/NOPE"}), 404)
    assert env.audit_actions().count("report.create") == 2


# ---------------------------------------------------------------------------- ingest


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.routes["/robots.txt"] = Reply(body=b"User-agent: *\nAllow: /\n")
        page = (
            "<html><head><title>Ha Long welcomes cruise ships</title></head><body><article>"
            "<h1>Ha Long welcomes cruise ships</h1>"
            + "<p>Three international cruise ships docked at Ha Long port this week, bringing "
            "thousands of visitors from Korea, Japan and Singapore to Quang Ninh province.</p>"
            * 4
            + "</article></body></html>"
        )
        server.routes["/news/cruise"] = Reply(body=page.encode(), content_type="text/html")
        yield server


async def test_ingest_urls_in_the_background(env: Env, site: LoopbackServer) -> None:
    urls = [site.url("/news/cruise"), site.url("/news/missing")]
    async with env.client("editor") as c:
        r = await c.post(f"{API}/ingest", json={"urls": urls, "source": "partner-kr"})
        assert r.status_code == 202, r.text
        accepted = r.json()
        assert accepted["url"] == f"{API}/ingest/{accepted['job']}"
        _error(await c.post(f"{API}/ingest", json={"urls": []}), 400)
        err = _error(await c.post(f"{API}/ingest", json={"urls": ["file:///etc/passwd"]}), 400)
        assert err["reasons"] == ["file:///etc/passwd: not an http:// or https:// URL"]
        _error(await c.post(f"{API}/ingest", json={"urls": urls, "source": "nope"}), 404)
        _error(await c.post(f"{API}/ingest", json={"url": urls[0]}), 422)
        _error(await c.post(f"{API}/ingest", content=b"x", headers={"content-type": "text/x"}), 415)
    job = await env.finished(accepted["job"])
    assert job["status"] == "done" and job["kind"] == "fetch" and job["error"] is None
    assert job["result"]["ingested"] == 1
    assert [e["input"] for e in job["result"]["errors"]] == [urls[1]]
    assert job["input"]["urls"] == urls and job["submitted_by"] is not None
    assert job["started"] and job["finished"]
    titles = [a.title for a in env.desk.store.list_articles(limit=None)]
    assert "Ha Long welcomes cruise ships" in titles
    assert "ingest.submit" in env.audit_actions()
    async with env.client() as c:
        page = (await c.get(f"{API}/ingest")).json()
        assert page["total"] == 1 and page["items"][0]["id"] == accepted["job"]
        _error(await c.get(f"{API}/ingest/4242"), 404)


async def test_ingest_upload(env: Env, settings: Settings) -> None:
    good = {
        "title": "Ninh Binh hosts Korean film crew",
        "text": "A Korean film crew spent a week in Ninh Binh shooting scenes for a drama "
        "series set among the limestone karsts of Trang An.",
        "language": "en",
    }
    files = [
        ("file", ("../../news.jsonl", json.dumps(good).encode(), "application/json")),
        ("file", ("empty.txt", b"   ", "text/plain")),
    ]
    async with env.client("editor") as c:
        r = await c.post(f"{API}/ingest", files=files, data={"source": "partner-kr"})
        assert r.status_code == 202, r.text
        job_id = r.json()["job"]
        bad = [("file", ("tool.exe", b"MZ", "application/octet-stream"))]
        err = _error(await c.post(f"{API}/ingest", files=bad), 415, "unsupported_type")
        assert err["reasons"] == ["tool.exe: not one of .html .htm .txt .json .jsonl .gz"]
        no_file = [("source", (None, b"partner-kr"))]
        _error(await c.post(f"{API}/ingest", files=no_file), 400, "bad_request")
        _error(await c.post(f"{API}/ingest", data={"source": "partner-kr"}), 415)
        limit = settings.web_upload_max_mb * 1_000_000
        big = [("file", ("big.txt", b"a" * (limit + 1), "text/plain"))]
        _error(await c.post(f"{API}/ingest", files=big), 413, "too_large")
    job = await env.finished(job_id)
    assert job["status"] == "done" and job["kind"] == "upload", job
    assert job["input"] == {"files": ["news.jsonl", "empty.txt"], "source": "partner-kr"}
    assert job["result"]["ingested"] == 1
    assert job["result"]["errors"] == [{"input": "empty.txt", "reason": "empty file"}]
    found = [a for a in env.desk.store.list_articles(limit=None) if a.title == good["title"]]
    assert [a.source_name for a in found] == ["partner-kr"]
    assert not Path(env.app.state.jobs.get(job_id).input["folder"]).exists()


def test_jobs_left_by_a_stopped_server(settings: Settings, store: Store, tmp_path: Path) -> None:
    desk = Desk(settings, store=store)
    folder = tmp_path / "upload"
    folder.mkdir()
    page = folder / "one.txt"
    page.write_text("Hue festival opens\n\nThe Hue festival opened with music and lanterns.")
    with store.begin() as conn:
        for status in ("running", "queued"):
            payload = {"files": ["one.txt"], "source": None, "folder": str(folder)}
            conn.execute(
                schema.ingest_jobs.insert().values(
                    status=status, kind="upload", input=json.dumps(payload)
                )
            )
    runner = JobRunner(desk)
    runner.start()
    runner.wait_idle()
    runner.stop()
    jobs, total = runner.recent(10)
    assert total == 2
    queued, running = jobs
    assert running.status == "failed" and running.error == INTERRUPTED
    assert queued.status == "done" and queued.result is not None
    assert queued.result["ingested"] == 1


async def test_openapi_schema(env: Env) -> None:
    async with env.client(role=None) as c:
        schema_doc = (await c.get(f"{API}/openapi.json")).json()
    paths = schema_doc["paths"]
    for path in ("/articles", "/search", "/stories/{story_id}", "/entities/{name}", "/ingest"):
        assert API + path in paths
    article_list = paths[f"{API}/articles"]["get"]["responses"]["200"]["content"]
    assert "Page" in article_list["application/json"]["schema"]["$ref"]
    assert "ErrorBody" in schema_doc["components"]["schemas"]
    upload = paths[f"{API}/ingest"]["post"]["requestBody"]["content"]
    assert set(upload) == {"application/json", "multipart/form-data"}
