"""The protocol officer's everyday actions: a delegation and its programme from the command line,
the statistics as a CSV/XLSX table (the same figures as `stats()`), and on the web desk the
programme form (editors add, viewers are refused) and the year's figures as a download."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.registers.tables import stats_table
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

YEAR = date.today().year


def _cli(args: list[str], settings: Settings, code: int = 0) -> Any:
    env = {
        "HOASEN_CONFIG": "/nonexistent.toml",
        "HOASEN_DATABASE_URL": settings.database_url,
        "HOASEN_ANALYZE_ON_INGEST": "false",
    }
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result.output


def _seed(desk: Desk) -> int:
    regs = desk.registers
    lao = regs.delegations.add(
        direction="incoming", title="Luang Prabang delegation", country="LA", members=9,
        starts=f"{YEAR}-03-10", ends=f"{YEAR}-03-12", purpose="trade; culture",
    )  # fmt: skip
    regs.delegations.add(
        direction="outgoing", title="Trade mission to Seoul", country="KR", members=4,
        starts=f"{YEAR}-06-01", level="provincial",
    )  # fmt: skip
    regs.delegations.add(
        direction="incoming", title="Cancelled visit", country="JP", members=30,
        starts=f"{YEAR}-07-01", status="cancelled",
    )  # fmt: skip
    regs.press.add(
        group="NHK crew", outlet="NHK", name="Sato Yuki", nationality="JP", starts=f"{YEAR}-03-11"
    )
    return lao.id


# ---------------------------------------------------------------- CLI


def test_cli_adds_a_delegation_and_its_programme(settings: Settings) -> None:
    doc = _cli(
        ["register", "delegations", "add", "--title", "Vientiane visit", "--direction",
         "incoming", "--country", "LA", "--starts", f"{YEAR}-04-02", "--ends", f"{YEAR}-04-04",
         "--members", "12", "--level", "provincial", "--purpose", "trade; education",
         "--organisation", "Vientiane People's Committee", "--status", "confirmed", "--json"],
        settings,
    )  # fmt: skip
    assert doc["title"] == "Vientiane visit" and doc["direction"] == "incoming"
    assert doc["members"] == 12 and doc["status"] == "confirmed"
    assert doc.get("head_id") is None
    did = str(doc["id"])
    out = _cli(
        ["register", "delegations", "activity", "add", did, "--on", f"{YEAR}-04-03", "--at",
         "09:30", "--place", "Provincial People's Committee", "--description", "Courtesy call"],
        settings,
    )  # fmt: skip
    assert "Added programme item" in out
    _cli(
        ["register", "delegations", "activity", "add", did, "--on", f"{YEAR}-04-02",
         "--place", "Ha Long", "--description", "Welcome dinner"],
        settings,
    )  # fmt: skip
    items = _cli(["register", "delegations", "activity", "list", did, "--json"], settings)
    assert [(a["on"], a["at"], a["description"]) for a in items] == [
        (f"{YEAR}-04-02", "", "Welcome dinner"),
        (f"{YEAR}-04-03", "09:30", "Courtesy call"),
    ]
    table = _cli(["register", "delegations", "activity", "list", did], settings)
    assert "Courtesy call" in table
    # refused in plain words: outside the dates, a bad time, a duplicate delegation
    bad = _cli(
        ["register", "delegations", "activity", "add", did, "--on", f"{YEAR}-05-01",
         "--place", "x", "--description", "y"],
        settings, code=2,
    )  # fmt: skip
    assert "outside the delegation's dates" in bad
    bad = _cli(
        ["register", "delegations", "activity", "add", did, "--on", f"{YEAR}-04-02", "--at",
         "25:00", "--place", "x", "--description", "y"],
        settings, code=2,
    )  # fmt: skip
    assert "HH:MM" in bad
    again = _cli(
        ["register", "delegations", "add", "--title", "Vientiane visit", "--direction", "in",
         "--country", "LA", "--starts", f"{YEAR}-04-02"],
        settings, code=2,
    )  # fmt: skip
    assert "already recorded" in again


# ---------------------------------------------------------------- statistics export


def _figures(rows: list[list[Any]]) -> dict[tuple[str, str], str]:
    return {(str(r[0]), str(r[1])): "" if r[2] is None else str(r[2]) for r in rows}


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_stats_export_has_the_figures_of_stats(
    settings: Settings, tmp_path: Path, suffix: str
) -> None:
    with Desk(settings) as desk:
        _seed(desk)
        doc = desk.registers.stats(YEAR)
    target = tmp_path / f"stats.{suffix}"
    _cli(["register", "stats", "--year", str(YEAR), "-o", str(target)], settings)
    if suffix == "csv":
        rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
    else:
        sheet = load_workbook(target).active
        assert sheet is not None
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["section", "key", "value"]
    got = _figures(rows[1:])
    for name in ("delegations", "delegates", "press_delegations", "journalists", "events"):
        assert got[("totals", name)] == str(doc[name])
    assert got[("totals", "delegations")] == "2" and got[("totals", "delegates")] == "13"
    assert got[("incoming", "delegates")] == str(doc["incoming"]["delegates"])
    assert got[("by_country", "LA delegations")] == "1"
    assert got[("by_country", "KR delegates")] == "4"
    assert ("by_country", "JP delegations") not in got  # cancelled: not counted
    assert got[("period", "year")] == str(YEAR)
    # the table holds every figure of stats(), nothing more
    assert len(rows) - 1 == len(stats_table(doc)[1])
    # --json still prints the document
    assert _cli(["register", "stats", "--year", str(YEAR), "--json"], settings) == doc


def test_stats_export_refuses_another_format(settings: Settings, tmp_path: Path) -> None:
    out = _cli(
        ["register", "stats", "--year", str(YEAR), "-o", str(tmp_path / "x.pdf")], settings, 2
    )
    assert ".csv or .xlsx" in out


# ---------------------------------------------------------------- web


@pytest.fixture
def web(settings: Settings) -> Iterator[tuple[Any, Desk, Accounts, int]]:
    desk = Desk(settings)
    lao = _seed(desk)
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    app_ = create_app(settings, desk, accounts=accounts)
    yield app_, desk, accounts, lao
    app_.state.jobs.stop()
    desk.close()


def _client(app_: Any, accounts: Accounts, role: str) -> httpx.AsyncClient:
    user, _ = accounts.add_user(f"{role}-user", role)
    cookies = {"hoasen_lang": "en", "hoasen_session": accounts.start_session(user).token}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_), base_url="http://desk.test", cookies=cookies
    )


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_an_editor_adds_to_the_programme_and_a_viewer_cannot(
    web: tuple[Any, Desk, Accounts, int],
) -> None:
    app_, desk, accounts, lao = web
    url = f"/registers/delegations/{lao}"

    async def go() -> None:
        async with _client(app_, accounts, "viewer") as viewer:
            page = await viewer.get(url)
            assert page.status_code == 200 and 'id="add-activity"' not in page.text
            token = _csrf((await viewer.get("/registers/calendar")).text)
            form = {"csrf_token": token, "on": f"{YEAR}-03-11", "description": "Sneaky"}
            assert (await viewer.post(f"{url}/activities", data=form)).status_code == 403
        async with _client(app_, accounts, "editor") as editor:
            page = await editor.get(url)
            assert 'id="add-activity"' in page.text
            token = _csrf(page.text)
            form = {
                "csrf_token": token,
                "on": f"{YEAR}-03-11",
                "at": "14:00",
                "place": "Bai Chay wharf",
                "description": "Cruise on Ha Long Bay",
            }
            r = await editor.post(f"{url}/activities", data=form)
            assert r.status_code == 303, r.text
            assert "Cruise on Ha Long Bay" in (await editor.get(url)).text
            # refused in plain words, the form refilled
            bad = {**form, "on": f"{YEAR}-04-01", "description": "Late item"}
            r = await editor.post(f"{url}/activities", data=bad)
            assert r.status_code == 400 and "outside the delegation" in r.text
            assert "Late item" in r.text
            r = await editor.post(f"{url}/activities", data={**form, "description": " "})
            assert r.status_code == 400 and "needs a description" in r.text
            r = await editor.post(f"{url}/activities", data={**form, "at": "9h"})
            assert r.status_code == 400 and "HH:MM" in r.text
            missing = await editor.post("/registers/delegations/9999/activities", data=form)
            assert missing.status_code == 404

    asyncio.run(go())
    items = desk.registers.delegations.activities(lao)
    assert [(a.on, a.at, a.place, a.description) for a in items] == [
        (date(YEAR, 3, 11), "14:00", "Bai Chay wharf", "Cruise on Ha Long Bay")
    ]


def test_the_api_adds_to_the_programme(web: tuple[Any, Desk, Accounts, int]) -> None:
    app_, desk, accounts, lao = web
    tokens = {}
    for role in ("viewer", "editor"):
        user, _ = accounts.add_user(f"{role}-api", role)
        tokens[role] = accounts.create_token(user, "tests")
    body = {"on": f"{YEAR}-03-12", "at": "08:00", "place": "Airport", "description": "Farewell"}

    async def go() -> None:
        for role, code in (("viewer", 403), ("editor", 201)):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app_),
                base_url="http://desk.test",
                headers={"Authorization": f"Bearer {tokens[role]}"},
            ) as api:
                url = f"/api/v1/registers/delegations/{lao}/activities"
                r = await api.post(url, json=body)
                assert r.status_code == code, r.text
                if code == 201:
                    assert r.json()["description"] == "Farewell"

    asyncio.run(go())
    assert [a.description for a in desk.registers.delegations.activities(lao)] == ["Farewell"]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_registers_page_downloads_the_years_figures(
    web: tuple[Any, Desk, Accounts, int], suffix: str
) -> None:
    app_, desk, accounts, _ = web

    async def go() -> tuple[str, httpx.Response]:
        async with _client(app_, accounts, "viewer") as viewer:
            page = (await viewer.get(f"/registers?year={YEAR}")).text
            return page, await viewer.get(f"/registers/stats.{suffix}?year={YEAR}")

    page, r = asyncio.run(go())
    assert f"/registers/stats.{suffix}?year={YEAR}" in page
    assert r.status_code == 200
    assert f"register-stats-{YEAR}.{suffix}" in r.headers["content-disposition"]
    if suffix == "csv":
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(r.content)).active
        assert sheet is not None
        rows = [list(x) for x in sheet.iter_rows(values_only=True)]
    got = _figures(rows[1:])
    doc = desk.registers.stats(YEAR)
    assert got[("totals", "delegations")] == str(doc["delegations"]) == "2"
    assert got[("totals", "journalists")] == str(doc["journalists"])
