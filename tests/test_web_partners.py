"""The partner pages and API through httpx.ASGITransport on a real SQLite database: partners are
listed with their names in every language, agreements due for renewal reach the dashboard, an
editor adds partners, agreements, activities and contacts, and a viewer writes nothing and never
sees a contact's email or phone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

API = "/api/v1"
EMAIL = "lan.nguyen@gxrb.example.cn"
PHONE = "+86 771 555 0101"
TODAY = date.today()


@dataclass
class Site:
    """The app, its desk and accounts, the seeded rows' ids and an API token per role."""

    app: Any
    desk: Desk
    accounts: Accounts
    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    desk = Desk(settings)
    partners = desk.partners
    gx = partners.add_partner("Guangxi Daily Media Group", languages="vi,zh", kind="media-group")
    partners.add_partner("Gangwon Radio & Television", country="KR", kind="broadcaster")
    soon = partners.add_agreement(
        gx.id,
        title="News exchange 2024-2026",
        starts="2024-06-15",
        ends=TODAY + timedelta(days=14),
        scope="news-exchange,training",
    )
    late = partners.add_agreement(
        "Gangwon Radio & Television",
        title="Co-production of tourism programmes",
        starts="2023-01-01",
        ends=TODAY - timedelta(days=12),
        scope="co-production",
    )
    partners.add_agreement(gx.id, title="Far away", starts="2025-01-01", ends="2099-12-31")
    partners.add_activity(soon.id, "2025-03-02", "exchange", "120 articles each way")
    contact = partners.add_contact(
        gx.id, name="Nguyễn Thị Lan", role="foreign desk", email=EMAIL, phone=PHONE
    )
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    tokens = {}
    for role in ("viewer", "editor", "admin"):
        user, _ = accounts.add_user(f"{role}-api", role)
        tokens[role] = accounts.create_token(user, "tests")
    app = create_app(settings, desk, accounts=accounts)
    ids = {"gx": gx.id, "soon": soon.id, "late": late.id, "contact": contact.id}
    yield Site(app, desk, accounts, ids, tokens)
    app.state.jobs.stop()
    desk.close()


def _client(site: Site, role: str | None = "viewer") -> httpx.AsyncClient:
    """A browser-like client signed in (session cookie) as a new user with `role`."""
    cookies = {"hoasen_lang": "en"}
    if role is not None:
        user, _ = site.accounts.add_user(f"{role}-user", role)
        cookies["hoasen_session"] = site.accounts.start_session(user).token
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", cookies=cookies
    )


def _api(site: Site, role: str) -> httpx.AsyncClient:
    """An API client with the role's bearer token."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app),
        base_url="http://desk.test",
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


# ---------------------------------------------------------------- pages


def test_a_viewer_reads_partners_and_never_sees_contacts(site: Site) -> None:
    async def go() -> dict[str, httpx.Response]:
        async with _client(site) as client:
            urls = [
                "/",
                "/partners",
                "/partners/guangxi-daily-media-group",
                f"/partners/{site.ids['gx']}",
                "/partners/广西日报传媒集团",
                "/agreements",
                "/agreements?status=active&days=30",
            ]
            return {url: await client.get(url) for url in urls}

    pages = asyncio.run(go())
    for url, page in pages.items():
        assert page.status_code == 200, (url, page.text[:300])
        assert EMAIL not in page.text and PHONE not in page.text, url
        assert "Nguyễn Thị Lan" not in page.text, url
        assert 'href="/partners"' in page.text  # the nav
    listing = pages["/partners"].text
    assert "广西日报传媒集团" in listing and "Tập đoàn Truyền thông Báo Quảng Tây" in listing
    assert "Gangwon Radio &amp; Television" in listing and 'action="/partners"' not in listing
    partner = pages["/partners/guangxi-daily-media-group"].text
    assert "Contacts are visible to editors." in partner
    assert "News exchange 2024-2026" in partner and "120 articles each way" in partner
    assert "14 days left" in partner and "Far away" in partner
    assert "/contacts" not in partner and "/status" not in partner
    by_chinese_name = pages["/partners/广西日报传媒集团"].text
    assert by_chinese_name.split("<main")[1] == partner.split("<main")[1]
    board = pages["/"].text.split('id="agreements-due"')[1].split("</section>")[0]
    assert f"/partners/guangxi-daily-media-group#agreement-{site.ids['soon']}" in board
    assert "/partners/gangwon-radio-television#agreement-" in board
    assert "overdue" in board and "Far away" not in board
    due = pages["/agreements"].text.split('id="due"')[1].split("</section>")[0]
    assert "Co-production of tourism programmes" in due and "Far away" not in due


def test_pages_in_vietnamese_and_unknown_partner(site: Site) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response]:
        async with _client(site) as client:
            client.cookies.set("hoasen_lang", "vi")
            page = await client.get("/partners/guangxi-daily-media-group")
            missing = await client.get("/partners/nobody-at-all")
            return page, missing

    page, missing = asyncio.run(go())
    assert "Thỏa thuận hợp tác" in page.text and "chỉ hiển thị với biên tập viên" in page.text
    assert missing.status_code == 404 and "no partner" in missing.text


def test_an_editor_sees_contacts_and_fills_every_form(site: Site) -> None:
    soon = site.ids["soon"]

    async def go() -> dict[str, Any]:
        async with _client(site, "editor") as client:
            page = await client.get("/partners/guangxi-daily-media-group")
            token = _csrf(page.text)
            out: dict[str, Any] = {"page": page.text}
            out["partner"] = await client.post(
                "/partners",
                data={
                    "csrf_token": token,
                    "name": "Vietnam News Agency",
                    "country": "vn",
                    "languages": "vi,en",
                    "kind": "press-agency",
                },
            )
            out["bad_partner"] = await client.post(
                "/partners", data={"csrf_token": token, "name": "X", "country": "China"}
            )
            out["agreement"] = await client.post(
                "/partners/vietnam-news-agency/agreements",
                data={
                    "csrf_token": token,
                    "title": "Photo exchange",
                    "starts": "2026-01-01",
                    "ends": "2027-12-31",
                    "scope": ["news-exchange", "training"],
                },
            )
            out["bad_agreement"] = await client.post(
                "/partners/vietnam-news-agency/agreements",
                data={
                    "csrf_token": token,
                    "title": "Backwards",
                    "starts": "2026-02-01",
                    "ends": "2026-01-01",
                },
            )
            out["activity"] = await client.post(
                f"/agreements/{soon}/activities",
                data={
                    "csrf_token": token,
                    "on": "2026-04-01",
                    "kind": "delegation",
                    "description": "Five editors visit Nanning",
                },
            )
            out["bad_activity"] = await client.post(
                f"/agreements/{soon}/activities",
                data={"csrf_token": token, "on": "01/04/2026", "kind": "delegation"},
            )
            out["status"] = await client.post(
                f"/agreements/{site.ids['late']}/status",
                data={"csrf_token": token, "agreement_status": "expired"},
            )
            out["bad_status"] = await client.post(
                f"/agreements/{soon}/status",
                data={"csrf_token": token, "agreement_status": "pending"},
            )
            out["contact"] = await client.post(
                "/partners/vietnam-news-agency/contacts",
                data={
                    "csrf_token": token,
                    "name": "Trần Minh",
                    "email": "minh@vna.example.vn",
                    "phone": "+84 24 3825 2931",
                },
            )
            out["bad_contact"] = await client.post(
                "/partners/vietnam-news-agency/contacts",
                data={"csrf_token": token, "name": "Nobody", "email": "not-an-email"},
            )
            out["missing"] = await client.post(
                "/agreements/9999/status", data={"csrf_token": token, "agreement_status": "active"}
            )
            out["after"] = (await client.get("/partners/vietnam-news-agency")).text
            minh = site.desk.partners.contacts("vietnam-news-agency")[0]
            out["foreign_contact"] = await client.post(
                f"/partners/guangxi-daily-media-group/contacts/{minh.id}/remove",
                data={"csrf_token": token},
            )
            out["remove"] = await client.post(
                f"/partners/vietnam-news-agency/contacts/{minh.id}/remove",
                data={"csrf_token": token},
            )
            return out

    out = asyncio.run(go())
    assert EMAIL in out["page"] and PHONE in out["page"] and 'action="/partners/' in out["page"]
    assert out["partner"].status_code == 303
    assert out["partner"].headers["location"] == "/partners/vietnam-news-agency"
    assert out["bad_partner"].status_code == 400 and "ISO" in out["bad_partner"].text
    assert out["agreement"].status_code == 303
    assert (
        out["bad_agreement"].status_code == 400 and "before it starts" in out["bad_agreement"].text
    )
    assert out["activity"].status_code == 303
    assert out["activity"].headers["location"].endswith(f"#agreement-{soon}")
    assert out["bad_activity"].status_code == 400
    assert out["status"].status_code == 303
    assert out["bad_status"].status_code == 400 and "unknown status" in out["bad_status"].text
    assert out["contact"].status_code == 303
    assert out["bad_contact"].status_code == 400 and "not an email" in out["bad_contact"].text
    assert out["missing"].status_code == 404
    assert "minh@vna.example.vn" in out["after"] and "Photo exchange" in out["after"]
    assert out["foreign_contact"].status_code == 404
    assert out["remove"].status_code == 303
    partners = site.desk.partners
    vna = partners.partner("Vietnam News Agency")
    assert (vna.country, vna.languages, vna.kind) == ("VN", ("vi", "en"), "press-agency")
    [photo] = partners.agreements(vna.id)
    assert photo.scope == ("news-exchange", "training") and photo.ends == date(2027, 12, 31)
    assert [a.kind for a in partners.activities(site.ids["soon"])] == ["exchange", "delegation"]
    assert partners.agreement(site.ids["late"]).status == "expired"
    assert partners.contacts(vna.id) == []
    actions = [e.action for e in site.accounts.audit_log(50)]
    for action in ("partner.add", "agreement.add", "agreement.activity", "agreement.status"):
        assert action in actions
    assert "partner.contact.add" in actions and "partner.contact.remove" in actions
    assert all("minh@" not in str(e.detail) for e in site.accounts.audit_log(50))


def test_a_viewer_cannot_post_any_partner_form(site: Site) -> None:
    async def go() -> dict[str, int]:
        async with _client(site) as client:
            token = _csrf((await client.get("/partners")).text)  # the logout form's token
            posts = {
                "/partners": {"name": "Xinhua"},
                "/partners/guangxi-daily-media-group/agreements": {
                    "title": "T",
                    "starts": "2026-01-01",
                },
                "/partners/guangxi-daily-media-group/contacts": {"name": "Spy", "email": "a@b.cn"},
                f"/partners/guangxi-daily-media-group/contacts/{site.ids['contact']}/remove": {},
                f"/agreements/{site.ids['soon']}/status": {"agreement_status": "expired"},
                f"/agreements/{site.ids['soon']}/activities": {"on": "2026-01-01", "kind": "x"},
            }
            return {
                url: (await client.post(url, data={**form, "csrf_token": token})).status_code
                for url, form in posts.items()
            }

    statuses = asyncio.run(go())
    assert statuses == dict.fromkeys(statuses, 403), statuses
    partners = site.desk.partners
    assert len(partners.partners()) == 2 and len(partners.contacts(site.ids["gx"])) == 1
    assert partners.agreement(site.ids["soon"]).status == "active"
    assert len(partners.activities(site.ids["soon"])) == 1


# ---------------------------------------------------------------- API


def test_api_reads_partners_and_agreements(site: Site) -> None:
    async def go() -> dict[str, httpx.Response]:
        async with _api(site, "viewer") as c:
            return {
                "list": await c.get(f"{API}/partners"),
                "one": await c.get(f"{API}/partners/Tập đoàn Truyền thông Báo Quảng Tây"),
                "missing": await c.get(f"{API}/partners/nobody"),
                "agreements": await c.get(f"{API}/agreements"),
                "of_gx": await c.get(f"{API}/agreements", params={"partner": "广西日报传媒集团"}),
                "due": await c.get(f"{API}/agreements/due", params={"days": 30}),
                "due_bad": await c.get(f"{API}/agreements/due", params={"days": -1}),
                "agreement": await c.get(f"{API}/agreements/{site.ids['soon']}"),
                "no_agreement": await c.get(f"{API}/agreements/9999"),
            }

    r = asyncio.run(go())
    listed = r["list"].json()
    assert listed["total"] == 2
    gx = next(p for p in listed["items"] if p["slug"] == "guangxi-daily-media-group")
    assert gx["agreements"] == 2 and {"lang": "zh", "name": "广西日报传媒集团"} in gx["names"]
    one = r["one"].json()
    assert one["id"] == site.ids["gx"] and "contacts" not in one
    assert [a["title"] for a in one["agreements"]] == ["News exchange 2024-2026", "Far away"]
    assert one["agreements"][0]["activities"][0]["kind"] == "exchange"
    assert EMAIL not in r["one"].text and EMAIL not in r["list"].text
    assert r["missing"].status_code == 404 and r["missing"].json()["error"]["code"] == "not_found"
    assert len(r["agreements"].json()["items"]) == 3
    assert {a["partner_slug"] for a in r["of_gx"].json()["items"]} == {"guangxi-daily-media-group"}
    due = r["due"].json()["items"]
    assert [(d["id"], d["state"]) for d in due] == [
        (site.ids["late"], "overdue"),
        (site.ids["soon"], "due"),
    ]
    assert r["due_bad"].status_code == 422
    assert r["agreement"].json()["partner_slug"] == "guangxi-daily-media-group"
    assert r["no_agreement"].status_code == 404


def test_api_contacts_are_for_editors_only(site: Site) -> None:
    url = f"{API}/partners/guangxi-daily-media-group/contacts"

    async def go() -> dict[str, httpx.Response]:
        out = {}
        async with _api(site, "viewer") as c:
            out["viewer"] = await c.get(url)
        async with _api(site, "editor") as c:
            out["editor"] = await c.get(url)
            out["add"] = await c.post(url, json={"name": "Trương Hải", "phone": "+86 771 1234"})
            out["bad"] = await c.post(url, json={"name": "X", "phone": "call me maybe"})
            new_id = out["add"].json()["id"]
            out["wrong_partner"] = await c.delete(
                f"{API}/partners/gangwon-radio-television/contacts/{new_id}"
            )
            out["delete"] = await c.delete(f"{url}/{new_id}")
            out["again"] = await c.delete(f"{url}/{new_id}")
        async with _client(site, None) as anonymous:
            out["anonymous"] = await anonymous.get(url)
        return out

    r = asyncio.run(go())
    assert r["viewer"].status_code == 403 and EMAIL not in r["viewer"].text
    assert r["viewer"].json()["error"]["code"] == "forbidden"
    assert r["editor"].json()["items"][0]["email"] == EMAIL
    assert r["add"].status_code == 201 and r["add"].json()["phone"] == "+86 771 1234"
    assert r["bad"].status_code == 400 and "phone" in r["bad"].json()["error"]["message"]
    assert r["wrong_partner"].status_code == 404
    assert r["delete"].status_code == 204 and r["again"].status_code == 404
    assert r["anonymous"].status_code == 401
    assert [c.email for c in site.desk.partners.contacts(site.ids["gx"])] == [EMAIL]


def test_api_editor_writes(site: Site) -> None:
    async def go() -> dict[str, httpx.Response]:
        async with _api(site, "editor") as c:
            out = {"partner": await c.post(f"{API}/partners", json={"name": "广西广播电视台"})}
            out["dupe"] = await c.post(f"{API}/partners", json={"name": "广西广播电视台"})
            body = {
                "partner": "Guangxi Radio and Television",
                "title": "Programme exchange",
                "starts": "2026-01-01",
                "ends": (TODAY + timedelta(days=40)).isoformat(),
                "scope": ["co-production"],
            }
            out["agreement"] = await c.post(f"{API}/agreements", json=body)
            out["backwards"] = await c.post(
                f"{API}/agreements", json={**body, "ends": "2025-01-01"}
            )
            out["bad_date"] = await c.post(f"{API}/agreements", json={**body, "starts": "soon"})
            new = out["agreement"].json()["id"]
            out["activity"] = await c.post(
                f"{API}/agreements/{new}/activities",
                json={"on": "2026-02-01", "kind": "exchange", "description": "first round"},
            )
            out["status"] = await c.post(
                f"{API}/agreements/{new}/status", json={"status": "terminated"}
            )
            out["bad_status"] = await c.post(
                f"{API}/agreements/{new}/status", json={"status": "pending"}
            )
            out["no_agreement"] = await c.post(
                f"{API}/agreements/9999/activities", json={"on": "2026-02-01", "kind": "x"}
            )
            return out

    r = asyncio.run(go())
    assert r["partner"].status_code == 201, r["partner"].text
    assert r["partner"].json()["entity_id"] == "org.guangxi-radio-tv"
    assert r["dupe"].status_code == 400 and "already exists" in r["dupe"].json()["error"]["message"]
    assert r["agreement"].status_code == 201 and r["agreement"].json()["scope"] == ["co-production"]
    assert r["backwards"].status_code == 400
    assert r["bad_date"].status_code == 422
    assert r["activity"].status_code == 201 and r["activity"].json()["on"] == "2026-02-01"
    assert r["status"].json()["status"] == "terminated"
    assert r["bad_status"].status_code == 400 and r["no_agreement"].status_code == 404
    actions = [e.action for e in site.accounts.audit_log(20)]
    assert {"partner.add", "agreement.add", "agreement.activity", "agreement.status"} <= set(
        actions
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/partners", {"name": "Xinhua"}),
        ("POST", "/partners/{gx}/contacts", {"name": "Spy", "email": "spy@x.example"}),
        ("DELETE", "/partners/{gx}/contacts/{contact}", None),
        ("POST", "/agreements", {"partner": "{gx}", "title": "T", "starts": "2026-01-01"}),
        ("POST", "/agreements/{soon}/status", {"status": "expired"}),
        ("POST", "/agreements/{soon}/activities", {"on": "2026-01-01", "kind": "exchange"}),
    ],
)
def test_api_viewer_gets_403_on_every_write(
    site: Site, method: str, path: str, body: dict[str, str] | None
) -> None:
    fill = {k: str(v) for k, v in site.ids.items()}
    url = API + path.format(**fill)
    if body is not None:
        body = {k: v.format(**fill) for k, v in body.items()}

    async def go() -> httpx.Response:
        async with _api(site, "viewer") as c:
            return await c.request(method, url, json=body)

    r = asyncio.run(go())
    assert r.status_code == 403 and "editor" in r.json()["error"]["message"]
    partners = site.desk.partners
    assert len(partners.partners()) == 2 and len(partners.contacts(site.ids["gx"])) == 1
    assert len(partners.agreements()) == 3 and len(partners.activities(site.ids["soon"])) == 1
    assert partners.agreement(site.ids["soon"]).status == "active"


def test_browser_api_writes_need_the_csrf_token(site: Site) -> None:
    async def go() -> tuple[int, int]:
        async with _client(site, "editor") as client:
            page = await client.get("/partners")
            url = f"{API}/partners"
            without = await client.post(url, json={"name": "Xinhua"})
            headers = {"X-CSRF-Token": _csrf(page.text)}
            with_token = await client.post(url, json={"name": "Xinhua"}, headers=headers)
            return without.status_code, with_token.status_code

    assert asyncio.run(go()) == (403, 201)
