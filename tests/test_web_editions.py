"""The edition pages and API through httpx.ASGITransport on a real SQLite database: an editor
adds a series, opens an issue, adds articles, writes the Chinese texts, moves the issue to
review and approval and publishes it through the forms; the API does the same; a viewer reads
the pages and the issue but gets 403 on every write."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from exchange_helpers import seed
from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

API = "/api/v1"


@dataclass
class Site:
    app: Any
    desk: Desk
    accounts: Accounts
    articles: list[int]
    tokens: dict[str, str]


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    desk = Desk(settings)
    articles = seed(desk, 2)
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    tokens = {}
    for role in ("viewer", "editor"):
        user, _ = accounts.add_user(f"{role}-api", role)
        tokens[role] = accounts.create_token(user, "tests")
    app = create_app(settings, desk, accounts=accounts)
    yield Site(app, desk, accounts, articles, tokens)
    app.state.jobs.stop()
    desk.close()


def _client(site: Site, role: str) -> httpx.AsyncClient:
    user, _ = site.accounts.add_user(f"{role}-user", role)
    cookies = {"hoasen_lang": "en", "hoasen_session": site.accounts.start_session(user).token}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", cookies=cookies
    )


def _api(site: Site, role: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app),
        base_url="http://desk.test",
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_an_editor_makes_and_publishes_an_issue_through_the_pages(site: Site) -> None:
    async def go() -> str:
        async with _client(site, "editor") as c:
            page = await c.get("/editions")
            assert page.status_code == 200 and 'action="/editions/series"' in page.text
            token = _csrf(page.text)
            made = await c.post(
                "/editions/series",
                data={"csrf_token": token, "name": "Hoa Sen", "languages": "vi,zh"},
            )
            assert made.status_code == 303
            series_url = made.headers["location"]
            refused = await c.post(
                "/editions/series", data={"csrf_token": token, "name": "X", "languages": "vi"}
            )
            assert "error=" in refused.headers["location"]
            opened = await c.post(
                series_url + "/issues", data={"csrf_token": token, "title": "Xuân 2026"}
            )
            issue = opened.headers["location"]
            ids = " ".join(str(i) for i in site.articles)
            await c.post(issue + "/items", data={"csrf_token": token, "articles": ids})
            blocked = await c.post(
                issue + "/status", data={"csrf_token": token, "status": "review"}
            )
            assert "error=" in blocked.headers["location"]
            items = site.desk.editions.rows.items(int(issue.rsplit("/", 1)[1]))
            for item in items:
                wrote = await c.post(
                    f"{issue}/items/{item.id}/texts/zh",
                    data={"csrf_token": token, "title": f"标题 {item.id}", "body": "正文。"},
                )
                assert "done=" in wrote.headers["location"]
            for status in ("review", "approved"):
                moved = await c.post(
                    issue + "/status", data={"csrf_token": token, "status": status}
                )
                assert "done=" in moved.headers["location"], moved.headers["location"]
            published = await c.post(issue + "/publish", data={"csrf_token": token})
            assert "done=published" in published.headers["location"]
            shown = await c.get(issue)
            assert shown.status_code == 200
            return shown.text

    html = asyncio.run(go())
    assert "标题" in html and "published" in html and "/render/pdf" in html
    assert 'action="/editions/1/items"' not in html  # frozen: no more edit forms
    actions = [e.action for e in site.accounts.audit_log(20)]
    assert "edition.series.add" in actions and "edition.publish" in actions


def test_the_api_does_the_same_and_a_viewer_reads(site: Site) -> None:
    async def go() -> None:
        async with _api(site, "editor") as c:
            series = await c.post(
                API + "/editions/series", json={"name": "Newsletter", "languages": ["vi", "en"]}
            )
            assert series.status_code == 201, series.text
            issue = (await c.post(API + "/editions", json={"series": "newsletter"})).json()
            assert issue["number"] == 1
            base = f"{API}/editions/{issue['id']}"
            added = await c.post(
                base + "/items",
                json={"article_ids": site.articles[:1], "texts": {"vi": ["Lời ngỏ", "Chào."]}},
            )
            assert added.status_code == 201 and len(added.json()["items"]) == 2
            for item in added.json()["items"]:
                put = await c.put(
                    f"{API}/editions/items/{item}/texts/en", json={"title": "T", "body": "Hello."}
                )
                assert put.status_code == 200 and put.json()["approved_by"] == "editor-api"
            bad = await c.post(base + "/status", json={"status": "published"})
            assert bad.status_code == 400
            assert (await c.post(base + "/status", json={"status": "review"})).status_code == 200
        async with _api(site, "viewer") as v:
            doc = (await v.get(f"{API}/editions/{issue['id']}")).json()
            assert doc["status"] == "review" and len(doc["items"]) == 2
            assert doc["items"][1]["texts"]["en"]["origin"] == "editor"
            assert (await v.get(API + "/editions/series")).json()["total"] == 1
            assert (await v.get(API + "/editions")).json()["total"] == 1
            assert (await v.post(base + "/publish")).status_code == 403

    asyncio.run(go())


def test_a_viewer_gets_403_on_every_edition_form(site: Site) -> None:
    eds = site.desk.editions
    eds.add_series("Hoa Sen", "vi,zh")
    issue = eds.new_issue("Hoa Sen", operator="lan")
    items, _ = eds.add_items(issue.id, site.articles[:1])
    base = f"/editions/{issue.id}"
    forms = [
        "/editions/series",
        "/editions/series/1/issues",
        base + "/items",
        f"{base}/items/{items[0].id}/texts/zh",
        f"{base}/items/{items[0].id}/texts/zh/approve",
        base + "/translate",
        base + "/status",
        base + "/publish",
    ]

    async def go() -> dict[str, int]:
        async with _client(site, "viewer") as c:
            for url in ("/editions", "/editions/series/1", base):
                page = await c.get(url)
                assert page.status_code == 200, url
                assert "/status" not in page.text or url != base
            token = _csrf((await c.get("/editions")).text)
            return {u: (await c.post(u, data={"csrf_token": token})).status_code for u in forms}

    statuses = asyncio.run(go())
    assert statuses == dict.fromkeys(forms, 403), statuses
    assert site.desk.editions.rows.events(issue.id)[-1].to_status == "draft"


def test_downloads_when_the_renderers_exist(site: Site) -> None:
    render = pytest.importorskip("hoasen.publish.render")
    if not hasattr(render, "render_edition"):
        pytest.skip("the renderers have not landed yet")
    eds = site.desk.editions
    eds.add_series("Hoa Sen", "vi,zh")
    issue = eds.new_issue("Hoa Sen", operator="lan")
    eds.add_items(issue.id, site.articles[:1])

    async def go() -> list[httpx.Response]:
        async with _client(site, "viewer") as c:
            return [await c.get(f"/editions/{issue.id}/render/{f}") for f in ("html", "pdf")]

    for response in asyncio.run(go()):
        assert (
            response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        )
