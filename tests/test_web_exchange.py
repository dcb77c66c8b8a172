"""The news exchange pages and API through httpx.ASGITransport on a real SQLite database: an
editor adds a plan through the form, builds a package, previews it, approves and sends it into
a folder and finds it in the ledger; a package that fails shows its attempts and can be tried
again; the API does the same; a viewer reads everything and writes nothing; a plan's secret is
shown by name, never its value."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from argon2 import PasswordHasher

from exchange_helpers import PARTNER, exchange_settings, partner, seed
from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

API = "/api/v1"
SECRET = "s3cr3t-Hmac-Key-9f2c1a"
SECRET_NAME = "gx-key"
SLUG = "guangxi-daily-media-group"


@dataclass
class Site:
    """The app, its desk and accounts, the seeded article ids, an API token per role, and the
    folder the partner's packages go to."""

    app: Any
    desk: Desk
    accounts: Accounts
    articles: list[int]
    tokens: dict[str, str]
    outbox: Path
    tmp: Path


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    settings = exchange_settings(
        settings, tmp_path, exchange_secrets=(f"{SECRET_NAME}={SECRET}", "other=x")
    )
    desk = Desk(settings)
    articles = seed(desk, 4)
    partner(desk)
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    tokens = {}
    for role in ("viewer", "editor"):
        user, _ = accounts.add_user(f"{role}-api", role)
        tokens[role] = accounts.create_token(user, "tests")
    app = create_app(settings, desk, accounts=accounts)
    yield Site(app, desk, accounts, articles, tokens, tmp_path / "outbox", tmp_path)
    app.state.jobs.stop()
    desk.close()


def _client(site: Site, role: str = "viewer") -> httpx.AsyncClient:
    """A browser-like client signed in (session cookie) as a new user with `role`."""
    user, _ = site.accounts.add_user(f"{role}-user", role)
    cookies = {"hoasen_lang": "en", "hoasen_session": site.accounts.start_session(user).token}
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


def _plan(site: Site, name: str = "gx weekly", **changes: Any) -> int:
    """A plan sending every stored article into the outbox folder, as HTML (core calls)."""
    values: dict[str, Any] = {
        "name": name,
        "schedule": "every week on MON at 09:00",
        "selection": {"since_days": 3650},
        "fmt": "html",
        "transport": "folder",
        "config": {"path": str(site.outbox)},
        "secret": SECRET_NAME,
        **changes,
    }
    return site.desk.exchange.planning.add_plan(PARTNER, **values).id


def _built(site: Site, plan_id: int) -> int:
    result = site.desk.exchange.planning.build(plan_id, "chief")
    assert result.package is not None, result.message
    return result.package.id


def _sent_files(site: Site) -> list[str]:
    return sorted(p.name for p in site.outbox.rglob("*") if p.is_file())


def _audit(site: Site) -> list[str]:
    """The exchange's audit log actions, oldest first."""
    entries = reversed(site.accounts.audit_log(limit=1000))
    return [e.action for e in entries if e.action.startswith("exchange.")]


# ---------------------------------------------------------------- the editor's round trip


def test_an_editor_adds_builds_approves_and_sends_a_package(site: Site) -> None:
    form = {
        "partner": SLUG,
        "name": "Quảng Tây hằng tuần",
        "direction": "out",
        "schedule": "every 2 weeks on MON at 09:00",
        "since_days": "3650",
        "min_items": "1",
        "max_items": "10",
        "languages": "original",
        "fmt": "html",
        "transport": "folder",
        "target": str(site.outbox),
        "secret": SECRET_NAME,
    }

    early_files: list[str] = []

    async def go() -> dict[str, httpx.Response]:
        out: dict[str, httpx.Response] = {}
        async with _client(site, "editor") as client:
            out["new"] = await client.get(f"/exchange/plans/new?partner={SLUG}")
            token = _csrf(out["new"].text)
            out["add"] = await client.post("/exchange/plans", data={**form, "csrf_token": token})
            plan_url = out["add"].headers["location"].split("?")[0]
            out["plan"] = await client.get(plan_url)
            out["build"] = await client.post(f"{plan_url}/build", data={"csrf_token": token})
            url = out["build"].headers["location"].split("?")[0]
            out["preview"] = await client.get(out["build"].headers["location"])
            out["file"] = await client.get(f"{url}/files/digest.html")
            out["early"] = await client.post(f"{url}/send", data={"csrf_token": token})
            early_files.extend(_sent_files(site))
            out["approve"] = await client.post(f"{url}/approve", data={"csrf_token": token})
            out["approved"] = await client.get(url)
            out["send"] = await client.post(f"{url}/send", data={"csrf_token": token})
            out["sent"] = await client.get(out["send"].headers["location"])
            out["ledger"] = await client.get("/exchange/ledger?direction=sent")
            out["received"] = await client.get("/exchange/ledger?direction=received")
            out["overview"] = await client.get("/exchange")
            out["partner"] = await client.get(f"/exchange/partners/{SLUG}/plans")
        return out

    r = asyncio.run(go())
    assert r["new"].status_code == 200 and "every 2 weeks on MON at 09:00" in r["new"].text
    assert f'<option value="{SLUG}" selected>' in r["new"].text
    assert r["add"].status_code == 303, r["add"].text[:500]
    plan = site.desk.exchange.planning.plan("Quảng Tây hằng tuần")
    assert r["add"].headers["location"] == f"/exchange/plans/{plan.id}?done=added"
    assert plan.schedule == "every 2 weeks on MON at 09:00" and plan.format == "html"
    assert plan.transport_config == {"path": str(site.outbox)} and plan.secret == SECRET_NAME
    assert plan.selection["since_days"] == 3650 and plan.selection["max"] == 10
    page = r["plan"].text
    assert "Quảng Tây hằng tuần" in page and SECRET_NAME in page and "Build a package" in page
    assert str(site.outbox) in page  # where it goes, in words

    # the preview: items with their articles, files with download links, the digest framed
    package = site.desk.exchange.planning.packages(plan=plan.id)[0]
    assert r["build"].headers["location"] == f"/exchange/packages/{package.id}?done=built"
    preview = r["preview"].text
    assert "Package built." in preview and "not approved yet" in preview
    for article_id in site.articles:
        assert f'href="/articles/{article_id}"' in preview
    assert "Quảng Ninh và Quảng Tây: tin số 0 về hợp tác" in preview
    assert f'href="/exchange/packages/{package.id}/files/digest.html"' in preview
    assert f'href="/exchange/packages/{package.id}/files/manifest.json"' in preview
    assert '<iframe class="digest"' in preview and 'sandbox=""' in preview
    assert f"/exchange/packages/{package.id}/approve" in preview
    assert f"/exchange/packages/{package.id}/send" not in preview  # not before approval

    # the file as stored, as an attachment with its media type
    stored = site.desk.exchange.planning.rows.files(package.id)
    assert r["file"].status_code == 200 and r["file"].content == stored[0].data
    assert r["file"].headers["content-type"].startswith("text/html")
    assert r["file"].headers["content-disposition"].startswith('attachment; filename="digest.html"')

    # sending before approval is refused in plain words, and nothing leaves
    assert r["early"].status_code == 400
    assert "needs an editor&#39;s approval first" in r["early"].text and early_files == []
    assert r["approve"].status_code == 303
    assert "Approved by" in r["approved"].text and "editor-user" in r["approved"].text
    assert f"/exchange/packages/{package.id}/send" in r["approved"].text

    # sent: the files are in the partner's folder, the ledger says so
    assert r["send"].headers["location"] == f"/exchange/packages/{package.id}?done=sent"
    assert "Package sent." in r["sent"].text and "attempts" in r["sent"].text
    assert _sent_files(site) == ["digest.html", "manifest.json"]
    assert (site.outbox / f"{SLUG}-00001" / "digest.html").read_bytes() == stored[0].data
    ledger = r["ledger"].text
    assert f'href="/exchange/packages/{package.id}"' in ledger and PARTNER in ledger
    assert "editor-user" in ledger and "ledger-sent" in ledger
    assert "ledger-sent" not in r["received"].text
    overview = r["overview"].text
    assert 'id="stats"' in overview and PARTNER in overview.split('id="stats"')[1]
    assert f'href="/exchange/plans/{plan.id}"' in overview
    assert f'href="/exchange/plans/{plan.id}"' in r["partner"].text
    assert _audit(site) == [
        "exchange.plan.add",
        "exchange.build",
        "exchange.approve",
        "exchange.send",
    ]
    entry = site.desk.exchange.outbox.ledger()[0]
    assert (entry.status, entry.operator, entry.package_id) == ("sent", "editor-user", package.id)


def test_the_form_says_what_is_wrong_in_plain_words(site: Site) -> None:
    base = {"partner": SLUG, "name": "bad plan", "transport": "folder", "target": "x"}

    async def go() -> list[httpx.Response]:
        async with _client(site, "editor") as client:
            token = _csrf((await client.get("/exchange/plans/new")).text)
            tries = [
                {"schedule": "every fortnight or so"},
                {"min_items": "9", "max_items": "3"},
                {"fmt": "pdf"},
                {"transport": "pigeon"},
                {"secret": "not a name!"},
                {"partner": "nobody at all"},
            ]
            return [
                await client.post("/exchange/plans", data={**base, **t, "csrf_token": token})
                for t in tries
            ]

    schedule, numbers, fmt, transport, secret, nobody = asyncio.run(go())
    assert schedule.status_code == 400 and "cannot read the schedule" in schedule.text
    assert 'value="bad plan"' in schedule.text  # the form comes back filled in
    assert numbers.status_code == 400 and "min (9) is more than max (3)" in numbers.text
    assert fmt.status_code == 400 and "unknown format" in fmt.text
    assert transport.status_code == 400 and "pigeon" in transport.text
    assert secret.status_code == 400 and "by its name" in secret.text
    assert 'value="not a name!"' not in secret.text
    assert nobody.status_code == 404 and 'value="bad plan"' in nobody.text
    assert site.desk.exchange.planning.plans() == []


def test_nothing_to_send_says_why_and_pause_resume(site: Site) -> None:
    plan_id = _plan(site, selection={"since_days": 3650, "min": 50, "max": 60})

    async def go() -> tuple[httpx.Response, httpx.Response, httpx.Response, httpx.Response]:
        async with _client(site, "editor") as client:
            token = _csrf((await client.get(f"/exchange/plans/{plan_id}")).text)
            url = f"/exchange/plans/{plan_id}"
            build = await client.post(f"{url}/build", data={"csrf_token": token})
            paused = await client.post(f"{url}/pause", data={"csrf_token": token})
            page = await client.get(paused.headers["location"])
            resumed = await client.post(f"{url}/resume", data={"csrf_token": token})
            return build, paused, page, resumed

    build, paused, page, resumed = asyncio.run(go())
    assert build.status_code == 200 and "no package built" in build.text
    assert paused.headers["location"].endswith("?done=paused")
    assert "Plan paused" in page.text and f"/exchange/plans/{plan_id}/resume" in page.text
    assert resumed.status_code == 303
    assert site.desk.exchange.planning.plan(plan_id).active
    assert site.desk.exchange.planning.packages() == []


def test_a_failed_package_shows_its_attempts_and_is_tried_again(site: Site) -> None:
    blocker = site.tmp / "not-a-folder"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    package_id = _built(site, _plan(site, config={"path": str(blocker)}))
    site.desk.exchange.planning.approve(package_id, "chief")

    async def go() -> tuple[httpx.Response, httpx.Response, httpx.Response, httpx.Response]:
        async with _client(site, "editor") as client:
            url = f"/exchange/packages/{package_id}"
            token = _csrf((await client.get(url)).text)
            send = await client.post(f"{url}/send", data={"csrf_token": token})
            failed = await client.get(send.headers["location"])
            retry = await client.post(f"{url}/retry", data={"csrf_token": token})
            cancel = await client.post(f"{url}/cancel", data={"csrf_token": token})
            return send, failed, retry, cancel

    send, failed, retry, cancel = asyncio.run(go())
    assert send.headers["location"].endswith("?done=failed")
    page = failed.text
    assert "The package was not sent" in page and "Delivery" in page
    assert "not-a-folder" in page and f"/exchange/packages/{package_id}/retry" in page
    assert retry.headers["location"].endswith("?done=failed")
    assert cancel.headers["location"].endswith("?done=cancelled")
    row = site.desk.exchange.planning.package(package_id)
    assert row.status == "cancelled" and "editor-user" in row.error
    entry = site.desk.exchange.outbox.ledger()[0]
    assert entry.status == "failed" and entry.error


# ---------------------------------------------------------------- the API


def test_the_api_runs_a_package_and_refuses_an_unapproved_send(site: Site) -> None:
    body = {
        "partner": SLUG,
        "name": "gx api",
        "schedule": "monthly on 1 at 08:00",
        "selection": {"since_days": 3650, "max": 3},
        "format": "ninjs",
        "transport": "folder",
        "to": [str(site.outbox)],
        "secret": SECRET_NAME,
    }

    early_files: list[str] = []

    async def go() -> dict[str, httpx.Response]:
        r: dict[str, httpx.Response] = {}
        async with _api(site, "editor") as c:
            r["add"] = await c.post(f"{API}/exchange/plans", json=body)
            r["again"] = await c.post(f"{API}/exchange/plans", json=body)
            r["bad"] = await c.post(f"{API}/exchange/plans", json={**body, "schedule": "often"})
            r["list"] = await c.get(f"{API}/exchange/plans", params={"partner": SLUG})
            r["pause"] = await c.post(f"{API}/exchange/plans/gx api/pause")
            r["resume"] = await c.post(f"{API}/exchange/plans/gx api/resume")
            r["build"] = await c.post(f"{API}/exchange/plans/gx api/build")
            package_id = r["build"].json()["package"]["id"]
            url = f"{API}/exchange/packages/{package_id}"
            r["early"] = await c.post(f"{url}/send")
            early_files.extend(_sent_files(site))
            r["waiting"] = await c.get(f"{API}/exchange/packages", params={"status": "built"})
            r["approve"] = await c.post(f"{url}/approve")
            r["send"] = await c.post(f"{url}/send")
            r["twice"] = await c.post(f"{url}/send")
            r["retry"] = await c.post(f"{url}/retry")
            r["cancel"] = await c.post(f"{url}/cancel")
            r["show"] = await c.get(url)
            r["file"] = await c.get(r["show"].json()["files"][0]["url"])
            r["nofile"] = await c.get(f"{url}/files/nothing.json")
            r["plan"] = await c.get(f"{API}/exchange/plans/gx api")
            r["stats"] = await c.get(f"{API}/exchange/stats", params={"since": "2020-01-01"})
            r["ledger"] = await c.get(f"{API}/exchange/ledger", params={"direction": "sent"})
            r["badstatus"] = await c.get(f"{API}/exchange/packages", params={"status": "gone"})
        return r

    r = asyncio.run(go())
    assert r["add"].status_code == 201, r["add"].text
    plan = r["add"].json()
    assert plan["secret"] == SECRET_NAME and plan["secret_set"] is True
    assert plan["transport_config"] == {"path": str(site.outbox)}
    again = r["again"].json()["error"]
    assert r["again"].status_code == 400 and "already exists" in again["message"]
    assert r["bad"].status_code == 400
    assert "cannot read the schedule" in r["bad"].json()["error"]["message"]
    assert [p["name"] for p in r["list"].json()["items"]] == ["gx api"]
    assert r["pause"].json()["active"] is False and r["pause"].json()["next_due"] is None
    assert r["resume"].json()["active"] is True and r["resume"].json()["next_due"]
    assert r["build"].status_code == 201
    built = r["build"].json()
    assert len(built["package"]["items"]) == 3 and built["package"]["status"] == "built"

    # not approved: refused with the reason, nothing written
    early = r["early"].json()["error"]
    assert r["early"].status_code == 400 and "needs an editor's approval" in early["message"]
    assert early_files == []
    assert [p["status"] for p in r["waiting"].json()["items"]] == ["built"]

    assert r["approve"].json()["approved_by"] == "editor-api"
    sent = r["send"].json()
    assert r["send"].status_code == 200 and sent["status"] == "sent", sent
    assert sent["package"]["deliveries"][0]["attempts_made"][0]["ok"] is True
    assert len(_sent_files(site)) == 4  # three ninjs documents and the manifest
    assert r["twice"].json()["status"] == "already-sent"
    assert r["retry"].status_code == 400 and r["cancel"].status_code == 400
    assert r["show"].json()["status"] == "sent"
    assert r["file"].status_code == 200 and r["file"].headers["content-disposition"]
    stored = site.desk.exchange.planning.rows.files(built["package"]["id"])
    assert r["file"].content == stored[0].data
    assert r["nofile"].status_code == 404 and "manifest.json" in r["nofile"].text
    assert [p["status"] for p in r["plan"].json()["packages"]] == ["sent"]
    stats = r["stats"].json()["items"]
    assert stats[0]["partner"] == SLUG and stats[0]["items"] == 3
    assert r["ledger"].json()["items"][0]["operator"] == "editor-api"
    assert r["badstatus"].status_code == 400
    assert _audit(site) == [
        "exchange.plan.add",
        "exchange.plan.pause",
        "exchange.plan.resume",
        "exchange.build",
        "exchange.approve",
        "exchange.send",
        "exchange.send",
    ]


# ---------------------------------------------------------------- viewers and secrets


def _reads(site: Site, plan_id: int, package_id: int) -> list[str]:
    """Every exchange page and API read, with sample ids."""
    pages = [
        "/exchange",
        f"/exchange?partner={SLUG}",
        "/exchange/ledger",
        f"/exchange/ledger?partner={SLUG}&direction=sent",
        f"/exchange/plans/{plan_id}",
        f"/exchange/packages/{package_id}",
        f"/exchange/packages/{package_id}/files/manifest.json",
        f"/exchange/partners/{SLUG}/plans",
        f"/partners/{SLUG}",
    ]
    api = [
        f"{API}/exchange/plans",
        f"{API}/exchange/plans/{plan_id}",
        f"{API}/exchange/packages",
        f"{API}/exchange/packages/{package_id}",
        f"{API}/exchange/packages/{package_id}/files/manifest.json",
        f"{API}/exchange/stats",
        f"{API}/exchange/ledger",
    ]
    return pages + api


def _page_writes(plan_id: int, package_id: int) -> list[str]:
    return [
        "/exchange/plans",
        *(f"/exchange/plans/{plan_id}/{a}" for a in ("pause", "resume", "build")),
        *(f"/exchange/packages/{package_id}/{a}" for a in ("approve", "cancel", "send", "retry")),
    ]


def _api_writes(plan_id: int, package_id: int) -> list[tuple[str, dict[str, Any]]]:
    body = {"partner": SLUG, "name": "viewer plan", "transport": "folder"}
    return [
        (f"{API}/exchange/plans", body),
        *((f"{API}/exchange/plans/{plan_id}/{a}", {}) for a in ("pause", "resume", "build")),
        *(
            (f"{API}/exchange/packages/{package_id}/{a}", {})
            for a in ("approve", "cancel", "send", "retry")
        ),
    ]


def test_a_viewer_reads_everything_and_writes_nothing(site: Site) -> None:
    plan_id = _plan(site)
    package_id = _built(site, plan_id)
    form = {"partner": SLUG, "name": "viewer plan", "target": str(site.outbox)}

    async def go() -> tuple[dict[str, httpx.Response], dict[str, int], dict[str, int], int]:
        async with _client(site) as client:
            reads = {url: await client.get(url) for url in _reads(site, plan_id, package_id)}
            token = _csrf(reads["/exchange"].text)
            pages = {
                url: (await client.post(url, data={**form, "csrf_token": token})).status_code
                for url in _page_writes(plan_id, package_id)
            }
            new_form = (await client.get("/exchange/plans/new")).status_code
        async with _api(site, "viewer") as c:
            api = {
                url: (await c.post(url, json=body)).status_code
                for url, body in _api_writes(plan_id, package_id)
            }
        return reads, pages, api, new_form

    reads, pages, api, new_form = asyncio.run(go())
    for url, response in reads.items():
        assert response.status_code == 200, (url, response.text[:300])
    assert pages == dict.fromkeys(pages, 403), pages
    assert api == dict.fromkeys(api, 403), api
    assert new_form == 403
    overview = reads["/exchange"].text
    assert 'href="/exchange" aria-current="page"' in overview  # the nav
    assert "/exchange/plans/new" not in overview
    package = reads[f"/exchange/packages/{package_id}"].text
    assert 'action="/exchange' not in package and 'action="/exchange' not in overview
    assert 'action="/exchange' not in reads[f"/exchange/plans/{plan_id}"].text
    partner_page = reads[f"/partners/{SLUG}"].text
    assert f'hx-get="/exchange/partners/{SLUG}/plans"' in partner_page
    assert "/exchange/plans/new" not in partner_page
    assert site.desk.exchange.planning.package(package_id).status == "built"
    assert [p.name for p in site.desk.exchange.planning.plans()] == ["gx weekly"]
    assert site.desk.exchange.planning.plan(plan_id).active
    assert _sent_files(site) == [] and _audit(site) == []


def test_secrets_are_named_never_shown(site: Site) -> None:
    plan_id = _plan(site)
    site.desk.exchange.planning.add_plan(
        PARTNER, name="gx inbox", direction="in", transport="inbox", fmt="auto", secret=SECRET_NAME
    )
    site.desk.exchange.planning.add_plan(
        PARTNER,
        name="gx unset",
        transport="folder",
        config={"path": str(site.outbox)},
        secret="missing-key",
    )
    package_id = _built(site, plan_id)
    site.desk.exchange.planning.approve(package_id, "chief")
    site.desk.exchange.outbox.send(package_id, "chief")

    async def go() -> dict[str, str]:
        out: dict[str, str] = {}
        for role in ("viewer", "editor"):
            async with _client(site, role) as client:
                for url in _reads(site, plan_id, package_id):
                    out[f"{role} {url}"] = (await client.get(url)).text
                for plan in site.desk.exchange.planning.plans():
                    page = await client.get(f"/exchange/plans/{plan.id}")
                    out[f"{role} {plan.name}"] = page.text
                out[f"{role} new"] = (await client.get("/exchange/plans/new")).text
            async with _api(site, role) as c:
                for url in _reads(site, plan_id, package_id):
                    if url.startswith(API):
                        out[f"{role} api {url}"] = (await c.get(url)).text
        return out

    pages = asyncio.run(go())
    assert len(pages) > 30
    for name, text in pages.items():
        assert SECRET not in text, name
    inbox = next(p for p in site.desk.exchange.planning.plans() if p.name == "gx inbox")
    assert SECRET_NAME in pages[f"viewer {inbox.name}"]
    assert "not set in exchange_secrets" in pages["viewer gx unset"]
    assert "not set in exchange_secrets" not in pages["viewer gx inbox"]
    plans = pages[f"viewer api {API}/exchange/plans"]
    assert '"secret":"gx-key"' in plans and '"secret_set":true' in plans


def test_unknown_plans_packages_and_files_are_404(site: Site) -> None:
    package_id = _built(site, _plan(site))

    async def go() -> list[int]:
        async with _client(site) as client:
            urls = [
                "/exchange/plans/999",
                "/exchange/packages/999",
                f"/exchange/packages/{package_id}/files/{quote('../etc/passwd', safe='')}",
                f"/exchange/packages/{package_id}/files/nothing.xml",
                "/exchange?partner=nobody",
                "/exchange/partners/nobody/plans",
            ]
            statuses = [(await client.get(url)).status_code for url in urls]
        async with _api(site, "viewer") as c:
            statuses.append((await c.get(f"{API}/exchange/plans/999")).status_code)
            statuses.append((await c.get(f"{API}/exchange/packages/999")).status_code)
        return statuses

    assert asyncio.run(go()) == [404] * 8


def test_the_exchange_pages_speak_vietnamese(site: Site) -> None:
    from hoasen.reports import i18n
    from hoasen.web.pages_render import TEMPLATES

    vi = i18n.translations("vi")
    words = set()
    for path in TEMPLATES.glob("exchange*.html"):
        words |= set(re.findall(r'_\("([^"]+)"\)', path.read_text("utf-8")))
    assert len(words) > 80
    assert [w for w in sorted(words) if vi.gettext(w) == w] == []
    for status in ("built", "waiting", "approved", "sending", "sent", "failed", "cancelled"):
        assert vi.gettext(status) != status

    async def go() -> str:
        user, _ = site.accounts.add_user("viewer-vi", "viewer")
        cookies = {"hoasen_lang": "vi", "hoasen_session": site.accounts.start_session(user).token}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=site.app),
            base_url="http://desk.test",
            cookies=cookies,
        ) as client:
            return (await client.get("/exchange")).text

    page = asyncio.run(go())
    assert "Kế hoạch trao đổi tin" in page and ">Trao đổi tin</a>" in page


def test_the_form_reads_email_addresses_and_sftp_fields(site: Site) -> None:
    base = {"partner": SLUG, "fmt": "ninjs"}
    tries = [
        {"name": "by mail", "transport": "email", "target": "desk@gx.example, chief@gx.example"},
        {
            "name": "by sftp",
            "transport": "sftp",
            "sftp_host": "sftp.gx.example",
            "sftp_user": "hoasen",
            "sftp_port": "2222",
            "sftp_path": "/incoming",
            "secret": SECRET_NAME,
        },
        {"name": "by url", "transport": "sftp", "target": "sftp://vn@files.gx.example/in"},
    ]

    async def go() -> list[int]:
        async with _client(site, "editor") as client:
            token = _csrf((await client.get("/exchange/plans/new")).text)
            return [
                (
                    await client.post("/exchange/plans", data={**base, **t, "csrf_token": token})
                ).status_code
                for t in tries
            ]

    assert asyncio.run(go()) == [303, 303, 303]
    planning = site.desk.exchange.planning
    assert planning.plan("by mail").transport_config["to"] == [
        "desk@gx.example",
        "chief@gx.example",
    ]
    by_fields = planning.plan("by sftp").transport_config
    assert {k: by_fields[k] for k in ("host", "user", "port", "path")} == {
        "host": "sftp.gx.example",
        "user": "hoasen",
        "port": 2222,
        "path": "/incoming",
    }
    by_url = planning.plan("by url").transport_config
    assert (by_url["host"], by_url["user"], by_url["path"]) == ("files.gx.example", "vn", "/in")
