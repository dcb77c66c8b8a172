"""The register pages and API through httpx.ASGITransport on a real SQLite database: viewers and
editors never see a person's name, a registrar does and every such read is in the audit log;
viewers write nothing and editors cannot touch people; the month view puts an all-day event on
its day; an import's dry run lists bad rows and writes nothing; the calendar feed opens with
its token alone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from hoasen.desk import Desk
from hoasen.errors import NotFoundError
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

API = "/api/v1/registers"
HEAD = "Somchai Phommavong"
HEAD_ROLE = "Vice governor of Luang Prabang"
JOURNALIST = "Sato Yuki"
YEAR = date.today().year
NAMES = (HEAD, HEAD_ROLE, JOURNALIST, "J-7777")
ROLES = ("viewer", "editor", "registrar", "admin")


@dataclass
class Site:
    """The app, its desk and accounts, seeded ids and an API token per role."""

    app: Any
    desk: Desk
    accounts: Accounts
    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    desk = Desk(settings)
    regs = desk.registers
    lao = regs.delegations.add(
        direction="incoming", title="Luang Prabang delegation", country="LA", head=HEAD,
        head_role=HEAD_ROLE, members=9, starts=f"{YEAR}-03-10", ends=f"{YEAR}-03-12",
        organisation="Luang Prabang People's Committee",
    )  # fmt: skip
    journalist = regs.press.add(
        group="NHK crew", outlet="NHK", name=JOURNALIST, nationality="JP", starts=f"{YEAR}-03-11",
        permit_number="J-7777", valid_from=f"{YEAR}-03-10", valid_to=f"{YEAR}-03-20",
    )  # fmt: skip
    festival = regs.events.add(
        "Hokkaido Festival", start=date(YEAR, 3, 14), end=date(YEAR, 3, 15), kind="festival"
    )
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    tokens = {}
    for role in ROLES:
        user, _ = accounts.add_user(f"{role}-api", role)
        tokens[role] = accounts.create_token(user, "tests")
    app = create_app(settings, desk, accounts=accounts)
    ids = {
        "lao": lao.id,
        "head": lao.head_id or 0,
        "person": journalist.person_id,
        "event": festival.id,
    }
    yield Site(app, desk, accounts, ids, tokens)
    app.state.jobs.stop()
    desk.close()


def _client(site: Site, role: str | None = "viewer") -> httpx.AsyncClient:
    """A browser-like client signed in (session cookie) as a new user with `role`."""
    cookies = {"hoasen_lang": "en"}
    if role is not None:
        name = f"{role}-user"
        try:
            user = site.accounts.get_user(name)
        except NotFoundError:
            user, _ = site.accounts.add_user(name, role)
        cookies["hoasen_session"] = site.accounts.start_session(user).token
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


def _reads(site: Site) -> list[dict[str, Any]]:
    """Every audit row about the seeded people."""
    rows = site.desk.registers.rows
    return rows.audit_entries(f"person:{site.ids['head']}") + rows.audit_entries(
        f"person:{site.ids['person']}"
    )


PAGES = (
    "/registers",
    "/registers/delegations",
    f"/registers/delegations?year={YEAR}&direction=incoming&country=LA",
    "/registers/delegations/{lao}",
    "/registers/press",
    f"/registers/events?year={YEAR}&month=3",
    "/registers/events/{event}",
    "/registers/calendar",
    f"/registers/delegations.csv?year={YEAR}",
)
API_READS = (
    f"/stats?year={YEAR}",
    "/delegations",
    "/delegations/{lao}",
    "/press",
    f"/events?year={YEAR}&month=3",
    "/events/{event}",
)


def _fill(site: Site, url: str) -> str:
    return url.format(**site.ids)


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_viewers_and_editors_never_see_a_persons_name(site: Site, role: str) -> None:
    async def go() -> list[tuple[str, httpx.Response]]:
        found = []
        async with _client(site, role) as client:
            for url in PAGES:
                found.append((url, await client.get(_fill(site, url))))
        async with _api(site, role) as api:
            for url in API_READS:
                found.append((url, await api.get(API + _fill(site, url))))
        return found

    for url, page in asyncio.run(go()):
        assert page.status_code == 200, (url, page.text[:300])
        for name in NAMES:
            assert name not in page.text, (role, url, name)
    pages = dict(asyncio.run(go()))
    assert "Luang Prabang delegation" in pages["/registers/delegations"].text
    assert "NHK crew" in pages["/registers/press"].text
    assert not _reads(site)


def test_a_registrar_sees_people_and_every_read_is_audited(site: Site) -> None:
    async def go() -> dict[str, httpx.Response]:
        async with _client(site, "registrar") as client:
            pages = {url: await client.get(_fill(site, url)) for url in PAGES}
        async with _api(site, "registrar") as api:
            pages["api:delegations"] = await api.get(f"{API}/delegations")
            pages["api:person"] = await api.get(f"{API}/people/{site.ids['head']}")
            pages["api:press"] = await api.get(f"{API}/press")
        return pages

    pages = asyncio.run(go())
    assert HEAD in pages["/registers/delegations"].text
    assert HEAD in pages["/registers/delegations/{lao}"].text
    press = pages["/registers/press"].text
    assert JOURNALIST in press and "J-7777" in press
    assert HEAD in pages[f"/registers/delegations.csv?year={YEAR}"].text
    assert pages["api:delegations"].json()[0]["head"]["name"] == HEAD
    assert pages["api:person"].json()["name"] == HEAD
    member = pages["api:press"].json()[0]["members"][0]
    assert member["person"]["name"] == JOURNALIST
    reads = _reads(site)
    assert {r["user"] for r in reads} == {"registrar-user", "registrar-api"}
    assert {r["action"] for r in reads} == {"register.person.read"}
    # one read per page or answer that showed the person: list, detail, export; 3 API reads
    heads = site.desk.registers.rows.audit_entries(f"person:{site.ids['head']}")
    assert len([r for r in heads if r["user"] == "registrar-user"]) == 4
    assert len([r for r in heads if r["user"] == "registrar-api"]) == 2


REGISTER_WRITES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/delegations"): {
        "json": {"direction": "in", "title": "X", "starts": f"{YEAR}-05-01"}
    },
    ("POST", "/events"): {"json": {"title": "Fair", "start": f"{YEAR}-05-01"}},
    ("POST", "/events/{event}/coverage"): {},
    ("POST", "/events/{event}/articles/1/confirm"): {},
    ("POST", "/events/{event}/articles/1/reject"): {},
    ("POST", "/press/1/coverage"): {},
    ("POST", "/links/1/confirm"): {},
    ("POST", "/links/1/reject"): {},
    ("POST", "/people/{head}/erase"): {},
}
PEOPLE = (
    ("GET", "/people/{head}"),
    ("GET", "/people/{head}/export"),
    ("POST", "/people/{head}/erase"),
    ("GET", "/press/permits"),
    ("POST", "/press/1/coverage"),
    ("POST", "/links/1/confirm"),
)


def test_a_viewer_writes_nothing_and_an_editor_touches_no_person(site: Site) -> None:
    async def go() -> None:
        async with _api(site, "viewer") as api:
            for (method, url), kwargs in REGISTER_WRITES.items():
                r = await api.request(method, API + _fill(site, url), **kwargs)
                assert r.status_code == 403, (url, r.text)
        async with _api(site, "editor") as api:
            for method, url in PEOPLE:
                r = await api.request(method, API + _fill(site, url))
                assert r.status_code == 403, (url, r.text)
                assert "registrar" in r.json()["error"]["message"]
            body = {"direction": "in", "title": "Y", "starts": f"{YEAR}-05-02", "head": "Z Z"}
            r = await api.post(f"{API}/delegations", json=body)
            assert r.status_code == 400 and "registrar" in r.text
        async with _client(site, "viewer") as client:
            page = await client.get("/registers/events")
            token = _csrf(page.text) if 'name="csrf_token"' in page.text else "x"
            form = {"csrf_token": token, "title": "Fair", "start": f"{YEAR}-05-01"}
            assert (await client.post("/registers/events", data=form)).status_code == 403

    asyncio.run(go())
    regs = site.desk.registers
    assert len(regs.delegations.find()) == 1 and len(regs.events.list()) == 1
    assert regs.rows.person(site.ids["head"]).name == HEAD


def test_an_editor_adds_and_a_registrar_erases(site: Site) -> None:
    async def go() -> None:
        async with _api(site, "editor") as api:
            body = {"direction": "out", "title": "To Busan", "country": "KR"}
            body["starts"] = f"{YEAR}-06-01"
            r = await api.post(f"{API}/delegations", json=body)
            assert r.status_code == 201 and "head" not in r.json()
            r = await api.post(f"{API}/events", json={"title": "Fair", "start": f"{YEAR}-06-03"})
            assert r.status_code == 201
        async with _client(site, "editor") as client:
            page = await client.get("/registers/delegations")
            form = {"csrf_token": _csrf(page.text), "direction": "incoming", "title": "Bad"}
            form |= {"country": "KR", "starts": f"{YEAR}-07-05", "ends": f"{YEAR}-07-01"}
            r = await client.post("/registers/delegations", data=form)
            assert r.status_code == 400 and "is before the start date" in r.text
        async with _api(site, "registrar") as api:
            r = await api.post(f"{API}/people/{site.ids['head']}/erase")
            assert r.status_code == 200 and r.json()["name"] == ""
            doc = (await api.get(f"{API}/people/{site.ids['head']}/export")).json()
            assert [e["action"] for e in doc["access_log"]][:1] == ["register.person.erase"]

    asyncio.run(go())
    assert len(site.desk.registers.delegations.find()) == 2


def test_the_month_view_shows_an_all_day_event_on_its_day(site: Site) -> None:
    async def go() -> str:
        async with _client(site) as client:
            r = await client.get(f"/registers/events?year={YEAR}&month=3")
            assert r.status_code == 200
            return r.text

    html = asyncio.run(go())
    for day in (14, 15):
        cell = html.split(f'data-day="{YEAR}-03-{day:02d}"')[1].split("</td>")[0]
        assert "Hokkaido Festival" in cell
    for day in (13, 16):
        cell = html.split(f'data-day="{YEAR}-03-{day:02d}"')[1].split("</td>")[0]
        assert "Hokkaido Festival" not in cell
    assert f"year={YEAR}&amp;month=2" in html and f"year={YEAR}&amp;month=4" in html


def test_an_import_dry_run_lists_bad_rows_and_imports_nothing(site: Site) -> None:
    csv = (
        "direction,title,country,members,starts,ends\n"
        f"incoming,Good one,KR,4,{YEAR}-08-01,{YEAR}-08-02\n"
        f"sideways,Bad direction,KR,4,{YEAR}-08-01,\n"
        f"incoming,Bad dates,KR,4,{YEAR}-08-05,{YEAR}-08-01\n"
    )
    good = f"direction,title,country,members,starts\nincoming,Fine,KR,3,{YEAR}-09-01\n"

    async def go() -> tuple[str, str, str]:
        async with _client(site, "editor") as client:
            token = _csrf((await client.get("/registers/import")).text)
            files = {"file": ("register.csv", csv.encode(), "text/csv")}
            data = {"csrf_token": token, "table": "delegations"}
            bad = await client.post("/registers/import", data=data, files=files)
            assert bad.status_code == 200
            files = {"file": ("register.csv", good.encode(), "text/csv")}
            checked = await client.post("/registers/import", data=data, files=files)
            staged = re.search(r'name="staged" value="([^"]+)"', checked.text)
            assert staged and len(site.desk.registers.delegations.find()) == 1
            data["staged"] = staged.group(1)
            done = await client.post("/registers/import/run", data=data)
            return bad.text, checked.text, done.text

    bad, checked, done = asyncio.run(go())
    assert "sideways" in bad and "is before the start date" in bad
    assert 'id="import-run"' not in bad and "Nothing was imported" in bad
    assert 'id="import-run"' in checked
    assert "Imported rows" in done
    titles = [d.title for d in site.desk.registers.delegations.find()]
    assert titles == ["Luang Prabang delegation", "Fine"]


def test_the_calendar_feed_opens_with_its_token_only(site: Site) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response]:
        async with _client(site) as client:
            page = await client.get("/registers/calendar")
            made = await client.post(
                "/registers/calendar/token", data={"csrf_token": _csrf(page.text)}
            )
            found = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics", made.text)
            assert found
        async with _client(site, None) as stranger:
            feed = await stranger.get(f"/calendar/{found.group(1)}.ics")
            unknown = await stranger.get("/calendar/not-a-token.ics")
            return feed, unknown

    feed, unknown = asyncio.run(go())
    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "BEGIN:VCALENDAR" in feed.text and "Hokkaido Festival" in feed.text
    assert unknown.status_code == 404


def test_stats_api_has_the_cli_shape(site: Site) -> None:
    async def go() -> dict[str, Any]:
        async with _api(site, "viewer") as api:
            r = await api.get(f"{API}/stats", params={"year": YEAR, "quarter": 1})
            assert r.status_code == 200
            return dict(r.json())

    doc = asyncio.run(go())
    assert doc == site.desk.registers.stats(YEAR, quarter=1)
    assert doc["delegations"] == 1 and doc["delegates"] == 9 and doc["events"] == 1


def test_the_pages_render_in_vietnamese(site: Site) -> None:
    async def go() -> list[httpx.Response]:
        async with _client(site, "registrar") as client:
            client.cookies.set("hoasen_lang", "vi")
            return [await client.get(_fill(site, url)) for url in PAGES[:-1]]

    for page in asyncio.run(go()):
        assert page.status_code == 200, page.text[:300]
        assert "Sổ theo dõi" in page.text  # the nav
