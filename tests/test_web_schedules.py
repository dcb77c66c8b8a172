"""The report schedule API and page: editors add, edit, switch, run and delete schedules (each
change in the audit log); viewers read and change nothing; bad input is a 400."""

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
from sqlalchemy import select

from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

API = "/api/v1/report-schedules"


@dataclass
class Site:
    app: Any
    desk: Desk
    accounts: Accounts
    tokens: dict[str, str]


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    desk = Desk(replace(settings, mail_outbox_dir=str(tmp_path / "outbox")))
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    tokens = {}
    for role in ("viewer", "editor"):
        user, _ = accounts.add_user(f"{role}-api", role)
        tokens[role] = accounts.create_token(user, "tests")
    app = create_app(desk.settings, desk, accounts=accounts)
    yield Site(app, desk, accounts, tokens)
    app.state.jobs.stop()
    desk.close()


def _api(site: Site, role: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app),
        base_url="http://desk.test",
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
    )


def _browser(site: Site, role: str, name: str = "") -> httpx.AsyncClient:
    user, _ = site.accounts.add_user(name or f"{role}-user", role)
    cookies = {"hoasen_lang": "en", "hoasen_session": site.accounts.start_session(user).token}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", cookies=cookies
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _audit(site: Site) -> list[str]:
    with site.desk.store.engine.connect() as conn:
        rows = conn.execute(select(schema.audit_log.c.action)).all()
    return [str(r[0]) for r in rows if str(r[0]).startswith("schedule.")]


def test_the_api_manages_and_runs_schedules(site: Site, tmp_path: Path) -> None:
    async def go() -> None:
        async with _api(site, "editor") as c:
            body = {
                "name": "Morning brief",
                "kind": "weekly",
                "at": "07:30",
                "weekday": "tue",
                "formats": ["md"],
                "recipients": ["lan@example.org"],
                "filters": {"languages": ["en"]},
            }
            r = await c.post(API, json=body)
            assert r.status_code == 201, r.text
            made = r.json()
            assert made["weekday"] == 1 and made["next_due"] and made["enabled"]
            assert made["filters"] == {"languages": ["en"]}
            sid = made["id"]
            bad = await c.post(API, json={**body, "name": "x", "recipients": ["nope"]})
            assert bad.status_code == 400 and "e-mail address" in bad.text
            dup = await c.post(API, json=body)
            assert dup.status_code == 400
            r = await c.patch(f"{API}/{sid}", json={"at": "09:15", "enabled": False})
            assert r.status_code == 200, r.text
            assert r.json()["at"] == "09:15" and r.json()["next_due"] is None
            r = await c.post(f"{API}/{sid}/run", json={"at": "2026-03-11T12:00:00+07:00"})
            assert r.status_code == 200, r.text
            run = r.json()
            assert run["created"] and run["sent"] == ["lan@example.org"]
            assert run["key"] == f"report:{sid}:2026-03-10T02:15:00+00:00"
            r = await c.get(f"{API}/{sid}")
            assert r.json()["last_number"] == run["number"]
            assert (await c.get(f"{API}/999")).status_code == 404
        async with _api(site, "viewer") as c:
            listed = (await c.get(API)).json()
            assert listed["total"] == 1 and listed["items"][0]["name"] == "Morning brief"
            assert (await c.patch(f"{API}/{sid}", json={"at": "10:00"})).status_code == 403
            assert (await c.delete(f"{API}/{sid}")).status_code == 403
        async with _api(site, "editor") as c:
            assert (await c.delete(f"{API}/{sid}")).status_code == 204
            assert (await c.get(API)).json()["total"] == 0

    asyncio.run(go())
    assert _audit(site) == ["schedule.add", "schedule.edit", "schedule.run", "schedule.remove"]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_the_page_lists_schedules_and_editors_use_the_forms(site: Site) -> None:
    async def go() -> list[str]:
        pages = []
        async with _browser(site, "editor") as c:
            token = _csrf((await c.get("/schedules")).text)
            form = {
                "csrf_token": token,
                "name": "Daily <b>brief</b>",
                "kind": "daily",
                "at": "07:30",
                "language": "en",
                "formats": ["md", "json"],
                "recipients": "lan@example.org\nminh@example.org",
            }
            r = await c.post("/schedules", data=form)
            assert r.status_code == 303, r.text
            r = await c.post("/schedules", data={**form, "name": "bad", "at": "7h"})
            assert r.status_code == 400 and "HH:MM" in r.text
            sid = site.desk.schedules.get("Daily <b>brief</b>").id
            edit = (await c.get(f"/schedules?edit={sid}")).text
            assert f'action="/schedules/{sid}"' in edit and "minh@example.org" in edit
            r = await c.post(
                f"/schedules/{sid}",
                data={**form, "kind": "monthly", "day": "5", "recipients": "lan@example.org"},
            )
            assert r.status_code == 303, r.text
            r = await c.post(f"/schedules/{sid}/run", data={"csrf_token": token})
            assert r.status_code == 200 and "mailed to 1" in r.text
            pages.append(r.text)
            r = await c.post(f"/schedules/{sid}/disable", data={"csrf_token": token})
            assert r.status_code == 303
            pages.append((await c.get("/schedules")).text)
        async with _browser(site, "viewer") as c:
            page = (await c.get("/schedules")).text
            assert 'id="schedule-form"' not in page
            r = await c.post(f"/schedules/{sid}/delete", data={"csrf_token": _csrf(page)})
            assert r.status_code == 403
            pages.append(page)
        async with _browser(site, "editor", "second-editor") as c:
            token = _csrf((await c.get("/schedules")).text)
            r = await c.post(f"/schedules/{sid}/delete", data={"csrf_token": token})
            assert r.status_code == 303
        return pages

    ran, disabled, viewed = asyncio.run(go())
    row_html = "Daily &lt;b&gt;brief&lt;/b&gt;"
    assert row_html in ran and row_html in viewed and "<b>brief" not in viewed
    number = re.search(r'href="/reports\?made=([^"]+)"', viewed)
    assert number, viewed
    assert "disabled" in disabled and "day 5" in disabled
    assert site.desk.schedules.list() == []
