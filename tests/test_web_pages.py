"""The web desk's pages through httpx.ASGITransport on a real SQLite database: every page renders
for a viewer, ingested markup comes out escaped, the language switch, roles and CSRF on forms."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.store.analysis import StoryFields
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts
from hoasen.web.pages_render import highlight, safe_next

EVIL = '<script>alert("x")</script>'
NOW = datetime.now(UTC).replace(microsecond=0)


def _articles() -> list[dict[str, Any]]:
    when = (NOW - timedelta(hours=1)).isoformat()
    return [
        {
            "language": "vi",
            "published": when,
            "source": "Báo Quảng Ninh",
            "url": "https://baoquangninh.example/hop-tac",
            "title": "Quảng Ninh đẩy mạnh hợp tác thương mại biên giới",
            "text": "Tỉnh Quảng Ninh và Quảng Tây thống nhất đẩy mạnh hợp tác thương mại "
            "biên giới, kim ngạch đạt 2,5 tỷ USD trong năm nay.",
        },
        {
            "language": "en",
            "published": when,
            "source": "Daily Example",
            "url": "https://daily.example/quang-ninh-trade",
            "title": f"{EVIL} Quang Ninh border trade grows",
            "text": f"Border trade between Quang Ninh and Guangxi grew this year. {EVIL} "
            "Officials expect more cooperation in tourism and logistics.",
        },
    ]


@dataclass
class Site:
    """The app, its desk and accounts, and ids of the fixture's rows."""

    app: Any
    desk: Desk
    accounts: Accounts
    article_ids: list[int]
    story_id: int


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    desk = Desk(settings)
    desk.store.add_source("https://baoquangninh.example/rss", "Báo Quảng Ninh", country="VN")
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in _articles()), encoding="utf-8")
    report = desk.ingest([path])
    ids = sorted(report.article_ids)
    assert len(ids) == 2
    story_id = _story(desk, ids)
    # A cheap hasher: the tests check pages, not password hashing.
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    app = create_app(settings, desk, accounts=accounts)
    yield Site(app, desk, accounts, ids, story_id)
    desk.close()


def _story(desk: Desk, ids: list[int]) -> int:
    """One story with both articles, an entity mention and a figure (no models needed)."""
    fields = StoryFields(
        title=f"{EVIL} Quang Ninh trade",
        title_language="en",
        first_seen=NOW - timedelta(hours=1),
        last_seen=NOW - timedelta(hours=1),
        article_count=2,
        languages=("vi", "en"),
        sources=("Báo Quảng Ninh", "Daily Example"),
        countries=("VN",),
        state={},
        centroid=b"",
        version="test",
    )
    results = desk.results
    with desk.store.begin() as conn:
        story_id = results.save_story(conn, None, fields)
        results.add_members(conn, story_id, {i: 1.0 for i in ids})
        mention = {"entity_id": "vn.quang-ninh", "text": "Quảng Ninh", "type": "LOC"}
        results.replace_mentions(conn, ids[0], [{**mention, "start": 5, "end": 15, "origin": "t"}])
        figure = {"text": "2,5 tỷ USD", "value": 2.5e9, "unit": "USD", "scale": "billion"}
        results.replace_figures(conn, ids[0], [{**figure, "subject": None, "start": 0, "end": 9}])
    return story_id


def _client(site: Site, role: str | None = "viewer", lang: str = "en") -> httpx.AsyncClient:
    """A client signed in (through Accounts' sessions) as a new user with `role`."""
    cookies = {"hoasen_lang": lang}
    if role is not None:
        user, _ = site.accounts.add_user(f"{role}-user", role)
        cookies["hoasen_session"] = site.accounts.start_session(user).token
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", cookies=cookies
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def _pages(site: Site) -> list[str]:
    first, second = site.article_ids
    return [
        "/",
        "/search?q=quang+ninh",
        "/search?q=bien+gioi&language=vi",
        "/search?q=quang+ninh&country=VN",
        f"/stories/{site.story_id}",
        f"/articles/{first}",
        f"/articles/{second}",
        "/reports",
        "/sources",
        "/entities",
        "/entities?q=quang",
        "/entities/vn.quang-ninh",
        "/partners",
        "/agreements",
        "/exchange",
        "/exchange/ledger",
        "/exchange/ledger?direction=sent",
        "/editions",
        "/lists",
        "/channels",
        "/posts",
    ]


def test_every_page_renders_for_a_viewer_and_escapes_ingested_markup(site: Site) -> None:
    async def go() -> dict[str, str]:
        async with _client(site) as client:
            out = {}
            for url in _pages(site):
                response = await client.get(url)
                assert response.status_code == 200, (url, response.text[:500])
                out[url] = response.text
            return out

    pages = asyncio.run(go())
    for url, html in pages.items():
        assert "<script>alert" not in html, url
        assert 'src="/static/htmx.min.js"' in html
    evil = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert evil in pages[f"/articles/{site.article_ids[1]}"]
    assert evil in pages[f"/stories/{site.story_id}"]
    assert evil in pages["/search?q=quang+ninh"]
    assert "<mark>" in pages["/search?q=bien+gioi&language=vi"]  # no diacritics typed
    assert "Quảng Ninh đẩy mạnh" in pages["/search?q=bien+gioi&language=vi"]
    # The country facet keeps the Vietnamese source's article and drops the unregistered one.
    by_country = pages["/search?q=quang+ninh&country=VN"].split('class="hits"')[1]
    assert "Quảng Ninh đẩy mạnh" in by_country and "border trade grows" not in by_country
    assert "2,5 tỷ USD" in pages[f"/stories/{site.story_id}"]
    assert "/entities/vn.quang-ninh" in pages[f"/articles/{site.article_ids[0]}"]


def test_a_viewer_sees_no_edit_forms_and_cannot_post(site: Site) -> None:
    async def go() -> None:
        async with _client(site) as client:
            page = await client.get("/sources")
            assert 'action="/sources"' not in page.text
            assert "/remove" not in page.text
            assert 'action="/reports"' not in (await client.get("/reports")).text
            assert 'action="/entities/alias"' not in (await client.get("/entities")).text
            token = _csrf(page.text)  # the logout form's token
            form = {"csrf_token": token, "name": "x", "url": "https://x.example/rss"}
            assert (await client.post("/sources", data=form)).status_code == 403
            gone = {"csrf_token": token}
            assert (
                await client.post("/sources/Báo Quảng Ninh/remove", data=gone)
            ).status_code == 403
            assert (await client.get("/users")).status_code == 403

    asyncio.run(go())
    assert [s.name for s in site.desk.store.list_sources()] == ["Báo Quảng Ninh"]


def test_an_editor_manages_sources_with_the_csrf_token(site: Site) -> None:
    async def go() -> None:
        async with _client(site, "editor") as client:
            page = await client.get("/sources")
            assert 'action="/sources"' in page.text
            form = {"name": "Xinhua", "url": "https://xinhua.example/rss", "country": "cn"}
            assert (await client.post("/sources", data=form)).status_code == 403  # no token
            form["csrf_token"] = _csrf(page.text)
            added = await client.post("/sources", data=form)
            assert added.status_code == 303
            edit = {
                "csrf_token": form["csrf_token"],
                "url": "https://xinhua.example/en.rss",
                "kind": "feed",
                "poll_minutes": "30",
                "partner": "true",
            }
            assert (await client.post("/sources/Xinhua/edit", data=edit)).status_code == 303
            bad = {**edit, "url": "ftp://nope"}
            refused = await client.post("/sources/Xinhua/edit", data=bad)
            assert refused.status_code == 400 and "http://" in refused.text

    asyncio.run(go())
    source = site.desk.store.get_source("Xinhua")
    assert (source.url, source.country, source.poll_minutes, source.partner) == (
        "https://xinhua.example/en.rss",
        None,
        30,
        True,
    )
    actions = [e.action for e in site.accounts.audit_log(10)]
    assert "source.add" in actions and "source.edit" in actions


def test_language_switch(site: Site) -> None:
    async def go() -> tuple[str, str, httpx.Response, httpx.Response]:
        async with _client(site, lang="vi") as client:
            vi = (await client.get("/sources")).text
            switched = await client.get("/lang/en", params={"next": "/sources"})
            en = (await client.get("/sources")).text
            away = await client.get("/lang/vi", params={"next": "//evil.example/"})
            return vi, en, switched, away

    vi, en, switched, away = asyncio.run(go())
    assert '<html lang="vi">' in vi and "Nguồn tin" in vi and "Tổng quan" in vi
    assert switched.status_code == 303 and switched.headers["location"] == "/sources"
    assert '<html lang="en">' in en and "Dashboard" in en and "Tổng quan" not in en
    assert away.headers["location"] == "/"
    # a source never fetched: the desk's own words, not the report's "new" (mới)
    assert "chưa lấy tin" in vi and "not fetched yet" in en


def test_admin_adds_a_user_and_changes_roles(site: Site) -> None:
    async def go() -> str:
        async with _client(site, "admin") as client:
            page = await client.get("/users")
            token = _csrf(page.text)
            made = await client.post(
                "/users", data={"csrf_token": token, "name": "tuan", "role": "viewer"}
            )
            assert made.status_code == 200
            tuan = site.accounts.get_user("tuan")
            role = {"csrf_token": token, "role": "editor"}
            assert (await client.post(f"/users/{tuan.id}/role", data=role)).status_code == 303
            off = {"csrf_token": token}
            assert (await client.post(f"/users/{tuan.id}/deactivate", data=off)).status_code == 303
            return made.text

    html = asyncio.run(go())
    assert 'class="password"' in html
    tuan = site.accounts.get_user("tuan")
    assert (tuan.role, tuan.active) == ("editor", False)


def test_editor_adds_an_alias_through_a_gazetteer_row(site: Site) -> None:
    async def go() -> httpx.Response:
        async with _client(site, "editor") as client:
            token = _csrf((await client.get("/entities")).text)
            form = {
                "csrf_token": token,
                "entity": "vn.quang-ninh",
                "alias_lang": "en",
                "alias": "Ha Long Bay province",
            }
            return await client.post("/entities/alias", data=form)

    assert asyncio.run(go()).status_code == 303
    assert site.desk.find_entity("Ha Long Bay province").id == "vn.quang-ninh"


def test_snippets_and_redirect_targets_are_safe() -> None:
    assert safe_next("//evil.example") == "/" and safe_next("/search?q=x") == "/search?q=x"
    assert (
        str(highlight('**<b>x</b>** & "y"'))
        == "<mark>&lt;b&gt;x&lt;/b&gt;</mark> &amp; &#34;y&#34;"
    )


def test_pages_need_a_login_and_unknown_ids_are_404(site: Site) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        async with _client(site, None) as anonymous:
            redirect = await anonymous.get("/sources")
        async with _client(site) as client:
            story = await client.get("/stories/9999")
            article = await client.get("/articles/9999")
        return redirect, story, article

    redirect, story, article = asyncio.run(go())
    assert redirect.status_code == 303 and redirect.headers["location"].startswith("/login")
    assert story.status_code == 404 and article.status_code == 404


def test_an_editor_generates_a_report_and_downloads_it(site: Site) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response, str]:
        async with _client(site, "editor") as client:
            token = _csrf((await client.get("/reports")).text)
            form = {"csrf_token": token, "kind": "weekly", "language": "en"}
            made = await client.post("/reports", data=form)
            listed = (await client.get("/reports")).text
            number = site.desk.reports.register.entries()[0].number
            md = await client.get("/reports/download", params={"number": number, "fmt": "md"})
            return made, md, listed

    made, md, listed = asyncio.run(go())
    assert made.status_code == 303 and made.headers["location"].startswith("/reports?made=")
    assert md.status_code == 200 and "attachment" in md.headers["content-disposition"]
    assert "fmt=pdf" in listed and "fmt=docx" in listed


def _form_routes(site: Site) -> list[str]:
    """Every page route that changes something (POST), with sample path parameters filled."""
    from starlette.routing import Route

    def walk(routes: list[Any]) -> list[Any]:
        found = []
        for route in routes:
            inner = getattr(route, "original_router", None)  # an included router
            found += walk(inner.routes) if inner is not None else [route]
        return found

    paths = []
    for route in walk(list(site.app.routes)):
        if not isinstance(route, Route) or route.path.startswith(("/api", "/static")):
            continue
        if route.path.startswith(("/mail/", "/alerts/unsubscribe/")):
            continue  # public mail links act only on signed tokens: see the test below
        if "POST" in (route.methods or set()):
            paths.append(
                route.path.replace("{name}", "Báo Quảng Ninh")
                .replace("{user_id}", "1")
                .replace("{id}", "1")
                .replace("{article_id}", "1")
                .replace("{translation_id}", "1")
                .replace("{position}", "1")
                .replace("{ref}", "1")
                .replace("{agreement_id}", "1")
                .replace("{contact_id}", "1")
                .replace("{plan_id}", "1")
                .replace("{package_id}", "1")
                .replace("{series_id}", "1")
                .replace("{issue_id}", "1")
                .replace("{item_id}", "1")
                .replace("{lang}", "zh")
                .replace("{list_id}", "1")
                .replace("{campaign_id}", "1")
                .replace("{channel_id}", "1")
                .replace("{post_id}", "1")
                .replace("{event_id}", "1")
                .replace("{group_id}", "1")
                .replace("{link_id}", "1")
                .replace("{delegation_id}", "1")
                .replace("{alert_id}", "1")
                .replace("{notification_id}", "1")
            )
    assert len(paths) >= 8, paths  # login, logout, reports, sources, entities, users...
    return sorted(paths)


def test_every_form_rejects_a_missing_csrf_token(site: Site) -> None:
    async def go() -> dict[str, int]:
        async with _client(site, "admin") as client:
            return {p: (await client.post(p, data={})).status_code for p in _form_routes(site)}

    statuses = asyncio.run(go())
    assert statuses == dict.fromkeys(statuses, 403), statuses


def test_a_viewer_gets_403_on_every_form(site: Site) -> None:
    async def go() -> dict[str, int]:
        async with _client(site, "viewer") as client:
            token = _csrf((await client.get("/reports")).text)
            # open to everyone by design; /qa checks pasted text and changes nothing; anyone
            # signed in makes (and revokes) their own calendar subscription address
            skip = {"/login", "/logout", "/qa", "/registers/calendar/token"}
            skip.add("/registers/calendar/revoke")
            # anyone signed in keeps their own alerts and reads their own notifications
            skip.update({"/alerts", "/notifications/read", "/notifications/1/read"})
            skip.update(f"/alerts/1/{action}" for action in ("pause", "resume", "delete"))
            return {
                p: (await client.post(p, data={"csrf_token": token})).status_code
                for p in _form_routes(site)
                if p not in skip and not p.startswith("/lang")
            }

    statuses = asyncio.run(go())
    assert statuses == dict.fromkeys(statuses, 403), statuses


def test_public_mail_links_refuse_a_forged_token(site: Site) -> None:
    """The subscriber pages need no login or CSRF token; a forged token changes nothing."""

    async def go() -> dict[str, int]:
        async with _client(site, "viewer") as client:
            return {
                p: (await client.post(p, data={"List-Unsubscribe": "One-Click"})).status_code
                for p in ("/mail/unsubscribe/1.1.forged", "/mail/preferences/1.1.forged")
            }

    statuses = asyncio.run(go())
    assert all(400 <= code < 500 for code in statuses.values()), statuses
