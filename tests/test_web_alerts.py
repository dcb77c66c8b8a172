"""The alert pages and API: a viewer keeps their own alerts and an editor manages every one
(create, read, change, delete, each change audited), notifications are listed and marked read,
the nav shows the unread count, and the signed unsubscribe link shows a confirm page on GET and
pauses the alert on the one-click POST, with no login."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts, User

API = "/api/v1"


@dataclass
class Site:
    app: Any
    desk: Desk
    accounts: Accounts
    users: dict[str, User]
    tokens: dict[str, str]


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    settings = replace(settings, public_base_url="https://press.example.org")
    desk = Desk(settings)
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    users, tokens = {}, {}
    for name, role in (("viewer", "viewer"), ("other", "viewer"), ("editor", "editor")):
        user, _ = accounts.add_user(name, role)
        users[name] = user
        tokens[name] = accounts.create_token(user, "tests")
    app = create_app(settings, desk, accounts=accounts)
    yield Site(app, desk, accounts, users, tokens)
    app.state.jobs.stop()
    desk.close()


def _api(site: Site, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app),
        base_url="http://desk.test",
        headers={"Authorization": f"Bearer {site.tokens[name]}"},
    )


def _anonymous(site: Site) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url="http://t")


def _browser(site: Site, name: str) -> httpx.AsyncClient:
    session = site.accounts.start_session(site.users[name]).token
    cookies = {"hoasen_lang": "en", "hoasen_session": session}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", cookies=cookies
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_api_keeps_each_users_alerts_and_audits_changes(site: Site) -> None:
    async def go() -> None:
        async with _api(site, "viewer") as viewer, _api(site, "other") as other:
            r = await viewer.post(
                f"{API}/alerts", json={"name": "QN", "kind": "entity", "target": "Quảng Ninh"}
            )
            assert r.status_code == 201, r.text
            alert = r.json()
            assert alert["target"] == "vn.quang-ninh" and alert["watches"] == "Quảng Ninh"
            assert alert["owner_id"] == site.users["viewer"].id
            r = await viewer.post(
                f"{API}/alerts", json={"name": "x", "kind": "entity", "target": "Atlantis"}
            )
            assert r.status_code == 404
            r = await viewer.post(f"{API}/alerts", json={"name": "x", "kind": "horoscope"})
            assert r.status_code == 422
            assert (await viewer.get(f"{API}/alerts")).json()["total"] == 1
            assert (await other.get(f"{API}/alerts")).json()["total"] == 0
            assert (await other.get(f"{API}/alerts/{alert['id']}")).status_code == 403
            r = await other.patch(f"{API}/alerts/{alert['id']}", json={"active": False})
            assert r.status_code == 403
            r = await viewer.patch(
                f"{API}/alerts/{alert['id']}",
                json={"name": "Quảng Ninh", "digest_at": "07:30", "mode": "digest"},
            )
            assert r.status_code == 200, r.text
            assert (r.json()["name"], r.json()["mode"], r.json()["digest_at"]) == (
                "Quảng Ninh",
                "digest",
                "07:30",
            )
            r = await viewer.patch(f"{API}/alerts/{alert['id']}", json={"digest_at": "7h"})
            assert r.status_code == 400
            got = (await viewer.get(f"{API}/alerts/{alert['id']}")).json()
            assert got["hits"] == [] and got["mode"] == "digest"
        async with _api(site, "editor") as editor:
            assert (await editor.get(f"{API}/alerts")).json()["total"] == 1
            r = await editor.patch(f"{API}/alerts/{alert['id']}", json={"active": False})
            assert r.status_code == 200 and r.json()["active"] is False
            assert (await editor.delete(f"{API}/alerts/{alert['id']}")).status_code == 204
            assert (await editor.get(f"{API}/alerts/{alert['id']}")).status_code == 404

    asyncio.run(go())
    actions = [e.action for e in site.accounts.audit_log() if e.action.startswith("alert.")]
    assert sorted(actions) == ["alert.add", "alert.change", "alert.change", "alert.remove"]


def test_notifications_in_the_api_and_the_pages(site: Site) -> None:
    alerts = site.desk.alerts.rows
    alerts.notify("k1", None, "alert", "For everyone", link="/articles/1")
    alerts.notify("k2", site.users["viewer"].id, "alert", "For the viewer")
    alerts.notify("k3", site.users["other"].id, "alert", "Not for the viewer")
    assert not alerts.notify("k1", None, "alert", "Twice")  # one notice per key

    async def go() -> list[str]:
        async with _api(site, "viewer") as api:
            doc = (await api.get(f"{API}/notifications")).json()
            assert doc["total"] == 2 and doc["unread"] == 2
            first = doc["items"][0]["id"]
            r = await api.post(f"{API}/notifications/{first}/read")
            assert r.status_code == 200 and r.json()["read"]
            foreign = next(n for n in alerts.notifications() if n.key == "k3").id
            assert (await api.post(f"{API}/notifications/{foreign}/read")).status_code == 404
            unread = (await api.get(f"{API}/notifications", params={"unread": True})).json()
            assert unread["total"] == 1
        async with _browser(site, "viewer") as browser:
            page = await browser.get("/notifications")
            assert page.status_code == 200
            count = (await browser.get("/notifications/count")).text
            assert "(1)" in count
            r = await browser.post("/notifications/read", data={"csrf_token": _csrf(page.text)})
            assert r.status_code == 303
            after = (await browser.get("/notifications/count")).text
            home = (await browser.get("/")).text
            return [page.text, after, home]

    page, after, home = asyncio.run(go())
    assert "For everyone" in page and "For the viewer" in page and "Not for the viewer" not in page
    assert "(" not in after
    assert 'href="/alerts"' in home and 'hx-get="/notifications/count"' in home


def test_the_alert_pages_create_pause_and_delete(site: Site) -> None:
    async def go() -> list[str]:
        async with _browser(site, "viewer") as browser, _browser(site, "other") as other:
            page = await browser.get("/alerts")
            token = _csrf(page.text)
            form = {
                "csrf_token": token,
                "name": "Bão",
                "kind": "query",
                "target": "bão số 3",
                "desk_notice": "1",
            }
            r = await browser.post("/alerts", data=form)
            assert r.status_code == 303, r.text
            bad = await browser.post(
                "/alerts", data={**form, "kind": "entity", "target": "Atlantis"}
            )
            assert bad.status_code == 404 and "Atlantis" in bad.text
            [alert] = site.desk.alerts.alerts()
            r = await browser.post(f"/alerts/{alert.id}/pause", data={"csrf_token": token})
            assert r.status_code == 303 and not site.desk.alerts.get(alert.id).active
            r = await browser.post(f"/alerts/{alert.id}/pause", data={})
            assert r.status_code == 403  # no CSRF token
            theirs = await other.post(
                f"/alerts/{alert.id}/delete",
                data={"csrf_token": _csrf((await other.get("/alerts")).text)},
            )
            assert theirs.status_code == 404 and site.desk.alerts.get(alert.id)
            detail = (await browser.get(f"/alerts/{alert.id}")).text
            listing = (await browser.get("/alerts")).text
            r = await browser.post(f"/alerts/{alert.id}/delete", data={"csrf_token": token})
            assert r.status_code == 303 and site.desk.alerts.alerts() == []
            return [detail, listing]

    detail, listing = asyncio.run(go())
    assert "No hits yet." in detail and "bão số 3" in detail
    assert "Bão" in listing and "paused" in listing


def test_the_unsubscribe_link_confirms_on_get_and_pauses_on_one_click_post(site: Site) -> None:
    alert = site.desk.alerts.add("QN", "entity", "Quảng Ninh", email="lan@example.org")
    link = site.desk.alerts.unsubscribe_link(alert.id)
    assert link.startswith("https://press.example.org/alerts/unsubscribe/")
    path = link.removeprefix("https://press.example.org")

    async def go() -> list[httpx.Response]:
        async with _anonymous(site) as client:
            page = await client.get(path)
            still = site.desk.alerts.get(alert.id).active
            assert still  # a GET changes nothing
            forged = await client.post(path[:-3] + "abc")
            done = await client.post(
                path,
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            return [page, forged, done]

    page, forged, done = asyncio.run(go())
    assert page.status_code == 200 and "QN" in page.text and f'action="{path}"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert forged.status_code == 400
    assert done.status_code == 200 and "paused" in done.text
    assert not site.desk.alerts.get(alert.id).active
