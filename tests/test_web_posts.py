"""The channel and post pages, API and CLI: an editor adds a channel (its secret by name), drafts,
approves, schedules and sends in dry run; a viewer writes nothing; no page, API document or CLI
output ever carries the secret's value."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from hoasen.cli import app as cli_app
from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

API = "/api/v1"
SECRET = "123456789:AAHsuperSECRETvalue"


@dataclass
class Site:
    app: Any
    desk: Desk
    accounts: Accounts
    tokens: dict[str, str]


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    settings = replace(settings, exchange_secrets=(f"tg-token={SECRET}",))
    desk = Desk(settings)
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    tokens = {}
    for role in ("viewer", "editor"):
        user, _ = accounts.add_user(f"{role}-api", role)
        tokens[role] = accounts.create_token(user, "tests")
    app = create_app(settings, desk, accounts=accounts)
    yield Site(app, desk, accounts, tokens)
    app.state.jobs.stop()
    desk.close()


def _api(site: Site, role: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app),
        base_url="http://desk.test",
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
    )


def _browser(site: Site, role: str) -> httpx.AsyncClient:
    user, _ = site.accounts.add_user(f"{role}-user", role)
    cookies = {"hoasen_lang": "en", "hoasen_session": site.accounts.start_session(user).token}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", cookies=cookies
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


CHANNEL = {
    "name": "tg",
    "kind": "telegram",
    "config": {"chat_id": "@hoasen_news", "api_url": "http://127.0.0.1:9"},
    "secret": "tg-token",
}


def test_the_api_manages_channels_and_posts_without_the_secret(site: Site) -> None:
    async def go() -> list[httpx.Response]:
        seen = []
        async with _api(site, "editor") as c:
            r = await c.post(f"{API}/channels", json=CHANNEL)
            assert r.status_code == 201, r.text
            channel = r.json()
            assert channel["dry_run"] and channel["secret"] == "tg-token"
            seen.append(r)
            bad = await c.post(f"{API}/channels", json={**CHANNEL, "name": "x", "config": {}})
            assert bad.status_code == 400
            r = await c.post(f"{API}/posts", json={"channel": "tg", "text": "Giá lúa tăng."})
            assert r.status_code == 201, r.text
            post_id = r.json()["id"]
            r = await c.post(f"{API}/posts/{post_id}/approve")
            assert r.json()["status"] == "approved"
            r = await c.post(
                f"{API}/posts/schedule", json={"channel": "tg", "at": "2020-01-06T09:00:00+07:00"}
            )
            assert r.json()["total"] == 1
            r = await c.post(f"{API}/posts/send-due")
            assert [i["outcome"] for i in r.json()["items"]] == ["dry run"]
            seen += [r, await c.get(f"{API}/channels"), await c.get(f"{API}/posts")]
            seen.append(await c.get(f"{API}/channels/{channel['id']}/test"))
        async with _api(site, "viewer") as c:
            r = await c.post(f"{API}/channels/{channel['id']}/enable")
            assert r.status_code == 403
        return seen

    for response in asyncio.run(go()):
        assert SECRET not in response.text
    [post] = site.desk.posts.posts("tg")
    assert post.status == "sent" and post.dry_run


def test_pages_show_channels_and_posts_and_editors_use_the_forms(site: Site) -> None:
    async def go() -> list[str]:
        pages = []
        async with _browser(site, "editor") as c:
            token = _csrf((await c.get("/channels")).text)
            form = {
                "csrf_token": token,
                "name": "tg",
                "kind": "telegram",
                "config": "chat_id=@hoasen_news\napi_url=http://127.0.0.1:9",
                "secret": "tg-token",
            }
            r = await c.post("/channels", data=form)
            assert r.status_code == 303, r.text
            r = await c.post("/channels/1/test", data={"csrf_token": token})
            assert "nothing sent" in r.text
            pages.append(r.text)
            r = await c.post(
                "/posts", data={"csrf_token": token, "channel": "tg", "text": "Tin <b>mới</b>."}
            )
            assert r.status_code == 303
            r = await c.post("/posts/1/approve", data={"csrf_token": token})
            assert r.status_code == 303
            pages += [(await c.get("/channels")).text, (await c.get("/posts?channel=tg")).text]
        async with _browser(site, "viewer") as c:
            page = (await c.get("/channels")).text
            assert 'action="/channels"' not in page
            token = _csrf(page)
            r = await c.post("/channels/1/enable", data={"csrf_token": token})
            assert r.status_code == 403
            pages.append(page)
        return pages

    pages = asyncio.run(go())
    for html in pages:
        assert SECRET not in html
    assert "tg-token" in pages[1] and "dry run" in pages[1]
    assert "Tin &lt;b&gt;mới&lt;/b&gt;." in pages[2] and "approved" in pages[2]
    assert site.desk.posts.channel("tg").dry_run


def test_the_cli_adds_lists_and_tests_channels_without_the_secret(
    settings: Settings, tmp_path: Path
) -> None:
    db = settings.database_url
    env = {"HOASEN_EXCHANGE_SECRETS": f"tg-token={SECRET}"}
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli_app, ["--db", db, *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    outputs = [
        run(
            "channels",
            "add",
            "tg",
            "--kind",
            "telegram",
            "--config",
            "chat_id=@hoasen_news",
            "--secret",
            "tg-token",
            "--per-day",
            "5",
        ),
        run("channels", "list", "--json"),
        run("channels", "test", "tg"),
        run("channels", "enable", "tg"),
        run("posts", "schedule", "tg", "--text", "Giá lúa tăng.", "--approve", "--json"),
        run("posts", "list", "--channel", "tg"),
        run("channels", "disable", "tg"),
    ]
    for text in outputs:
        assert SECRET not in text
    assert '"secret": "tg-token"' in outputs[1] and "nothing sent" in outputs[2]
    assert '"status": "approved"' in outputs[4]
