"""The mailing pages and API through httpx.ASGITransport: lists with counts by status (no
addresses for a viewer), import with bad rows reported, a campaign's preview in a sandboxed
frame, test copy and a send in the background, the outbox notice, the API's lists, subscribers
(editors only), campaigns and sends, and the public form always asking for confirmation."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from hoasen.desk import Desk
from hoasen.publish.mailing import MailingDesk
from hoasen.settings import Settings
from hoasen.web.api_mail import wait_sends
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

CSV = "email,name,language\nlan@example.vn,Lan,vi\nBAD,Nobody,en\njohn@example.org,John,en\n"


@dataclass
class Site:
    app: FastAPI
    desk: Desk
    accounts: Accounts
    outbox: Path

    def client(self, role: str | None) -> httpx.AsyncClient:
        cookies = {"hoasen_lang": "en"}
        if role is not None:
            user, _ = self.accounts.add_user(f"{role}-u", role)
            cookies["hoasen_session"] = self.accounts.start_session(user).token
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://desk.test", cookies=cookies)

    def api(self, role: str) -> httpx.AsyncClient:
        user, _ = self.accounts.add_user(f"{role}-api", role)
        token = self.accounts.create_token(user, "tests")
        transport = httpx.ASGITransport(app=self.app)
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.AsyncClient(transport=transport, base_url="http://desk.test", headers=headers)


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    outbox = tmp_path / "outbox"
    desk = Desk(replace(settings, mail_outbox_dir=str(outbox), smtp_url=""))
    accounts = Accounts(desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64))
    app = create_app(desk.settings, desk, accounts=accounts)
    yield Site(app, desk, accounts, outbox)
    wait_sends(app)
    app.state.jobs.stop()
    desk.close()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_pages_lists_import_campaign_and_send(site: Site) -> None:
    async def go() -> dict[str, str]:
        seen: dict[str, str] = {}
        async with site.client("editor") as c:
            page = await c.get("/lists")
            assert page.status_code == 200 and "outbox" in page.text
            token = _csrf(page.text)
            made = await c.post("/lists", data={"csrf_token": token, "name": "Official"})
            assert made.status_code == 303
            list_url = made.headers["location"]
            files = {"file": ("people.csv", CSV.encode(), "text/csv")}
            imported = await c.post(f"{list_url}/import", data={"csrf_token": token}, files=files)
            assert imported.status_code == 200
            seen["import"] = imported.text
            new = await c.post(
                f"{list_url}/campaigns",
                data={
                    "csrf_token": token,
                    "subject": "December news",
                    "text": "Hello",
                    "html": "<p>Hi <script>alert(1)</script></p>",
                },
            )
            assert new.status_code == 303
            campaign_url = new.headers["location"]
            seen["campaign"] = (await c.get(campaign_url)).text
            test = await c.post(
                f"{campaign_url}/test", data={"csrf_token": token, "to": "ed@example.vn"}
            )
            assert test.status_code == 200 and "outbox" in test.text
            sent = await c.post(f"{campaign_url}/send", data={"csrf_token": token})
            assert sent.status_code == 303
            await asyncio.to_thread(wait_sends, site.app)
            seen["after"] = (await c.get(campaign_url)).text
            seen["list_editor"] = (await c.get(list_url)).text
        async with site.client("viewer") as v:
            seen["list_viewer"] = (await v.get(list_url)).text
            seen["lists_viewer"] = (await v.get("/lists")).text
            seen["campaign_viewer"] = (await v.get(campaign_url)).text
            token = _csrf(seen["lists_viewer"])
            refused = await v.post(f"{campaign_url}/send", data={"csrf_token": token})
            assert refused.status_code == 403
        return seen

    seen = asyncio.run(go())
    assert "row" in seen["import"].lower() and "not an e-mail address" in seen["import"]
    assert 'sandbox=""' in seen["campaign"] and "srcdoc=" in seen["campaign"]
    assert "<script>alert(1)" not in seen["campaign"]  # escaped inside srcdoc
    assert "sent</strong>" in seen["after"]
    assert "lan@example.vn" in seen["list_editor"]
    for page in ("list_viewer", "lists_viewer", "campaign_viewer"):
        assert "@example" not in seen[page], page
    assert ">active: 2<" in seen["list_viewer"].replace("</li>", "<")
    eml = sorted(site.outbox.glob("*.eml"))
    assert len(eml) == 3  # two members and the test copy


def test_api_lists_subscribers_campaigns(site: Site) -> None:
    async def go() -> None:
        async with site.api("editor") as c:
            made = await c.post("/api/v1/mail/lists", json={"name": "Official", "language": "en"})
            assert made.status_code == 201, made.text
            list_id = made.json()["id"]
            MailingDesk(site.desk).subscribe(list_id, "a@example.org")
            lists = (await c.get("/api/v1/mail/lists")).json()
            assert lists["items"][0]["members_by_status"]["active"] == 1
            people = await c.get(f"/api/v1/mail/lists/{list_id}/subscribers")
            assert [p["email"] for p in people.json()["items"]] == ["a@example.org"]
            campaign = await c.post(
                "/api/v1/mail/campaigns", json={"list": "Official", "subject": "S", "text": "T"}
            )
            assert campaign.status_code == 201, campaign.text
            cid = campaign.json()["id"]
            test = await c.post(f"/api/v1/mail/campaigns/{cid}/test", json={"to": "e@x.org"})
            assert test.status_code == 200 and test.json()["dry_run"] is True
            sent = await c.post(f"/api/v1/mail/campaigns/{cid}/send")
            assert sent.status_code == 202
            await asyncio.to_thread(wait_sends, site.app)
            status = (await c.get(f"/api/v1/mail/campaigns/{cid}")).json()
            assert status["status"] == "sent" and status["sends"]["sent"] == 1
            cancel = await c.post(f"/api/v1/mail/campaigns/{cid}/cancel")
            assert cancel.status_code == 400  # sent already
            assert (await c.get("/api/v1/mail/bounces")).status_code == 200
        async with site.api("viewer") as v:
            assert (await v.get("/api/v1/mail/lists")).status_code == 200
            assert (await v.get(f"/api/v1/mail/lists/{list_id}/subscribers")).status_code == 403
            assert (await v.get("/api/v1/mail/bounces")).status_code == 403
            assert (await v.get(f"/api/v1/mail/campaigns/{cid}")).status_code == 200

    asyncio.run(go())


def test_public_form_always_asks_for_confirmation(site: Site) -> None:
    mailing = MailingDesk(site.desk)
    mailing.create_list("Open")  # single opt-in: the office's own additions are active at once
    _, status = mailing.subscribe("Open", "office@example.org")
    assert status == "active"

    async def go() -> httpx.Response:
        async with site.client(None) as c:
            return await c.post("/mail/subscribe/Open", data={"email": "stranger@example.org"})

    answer = asyncio.run(go())
    assert answer.status_code == 200 and "Check your mail" in answer.text
    statuses = {s.email: s.member_status for s in mailing.subscribers("Open")}
    assert statuses == {"office@example.org": "active", "stranger@example.org": "unconfirmed"}
    assert len(list(site.outbox.glob("*.eml"))) == 1  # the confirmation only
