"""The tasks page, the health endpoint and the job API: health answers without sign-in (503 when
work waits with no worker) and names no worker to an anonymous caller; runs are listed to a
signed-in user; only an editor retries a failed run, and it is audited."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.store.jobs import NewRun
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

API = "/api/v1"
NOW = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)


@dataclass
class Site:
    app: Any
    desk: Desk
    accounts: Accounts
    tokens: dict[str, str]


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    settings = replace(settings, queue_file=str(tmp_path / "queue.db"))
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


def _client(site: Site, role: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {site.tokens[role]}"} if role else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", headers=headers
    )


def _browser(site: Site, role: str) -> httpx.AsyncClient:
    user, _ = site.accounts.add_user(f"{role}-user", role)
    cookies = {"hoasen_lang": "en", "hoasen_session": site.accounts.start_session(user).token}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="http://desk.test", cookies=cookies
    )


def _failed_run(desk: Desk) -> int:
    runs = desk.jobs.runs
    (run,) = runs.create([NewRun("poll:1:first", "poll", "fetch", NOW, {"source": "x"})], NOW)
    runs.claim(run.id, "host:1:t", NOW, 60)
    runs.fail(run.id, "host:1:t", NOW, "could not connect", None)
    return run.id


def test_health_is_public_and_says_when_work_waits(site: Site) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response]:
        async with _client(site) as anonymous:
            healthy = await anonymous.get(f"{API}/health")
            site.desk.jobs.runs.create([NewRun("prune:x", "prune", "work", NOW, {})], NOW)
            waiting = await anonymous.get(f"{API}/health")
        return healthy, waiting

    healthy, waiting = asyncio.run(go())
    assert healthy.status_code == 200 and healthy.json()["ok"] is True
    assert healthy.json()["workers"] == 0  # a count only: no host name for strangers
    assert waiting.status_code == 503
    doc = waiting.json()
    assert doc["runs"]["queued"] == 1 and doc["oldest_waiting"]["key"] == "prune:x"
    assert any("no worker" in p for p in doc["problems"])


def test_runs_are_listed_and_only_an_editor_retries(site: Site) -> None:
    run_id = _failed_run(site.desk)

    async def go() -> tuple[httpx.Response, ...]:
        async with (
            _client(site) as anonymous,
            _client(site, "viewer") as viewer,
            _client(site, "editor") as editor,
        ):
            return (
                await anonymous.get(f"{API}/jobs"),
                await viewer.get(f"{API}/jobs?status=failed"),
                await viewer.get(f"{API}/jobs/{run_id}"),
                await viewer.post(f"{API}/jobs/{run_id}/retry"),
                await editor.post(f"{API}/jobs/{run_id}/retry"),
                await editor.post(f"{API}/jobs/{run_id}/retry"),
                await viewer.get(f"{API}/jobs?status=bogus"),
            )

    anon, listed, one, refused, retried, again, bad = asyncio.run(go())
    assert anon.status_code == 401
    assert [r["key"] for r in listed.json()] == ["poll:1:first"]
    assert one.json()["error"] == "could not connect"
    assert refused.status_code == 403
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert again.status_code == 400  # not failed any more
    assert bad.status_code == 400
    assert site.desk.jobs.queue.depth()["fetch"] == 1
    assert any(e.action == "job.retry" for e in site.accounts.audit_log())


def test_tasks_page_shows_health_and_runs(site: Site) -> None:
    run_id = _failed_run(site.desk)

    async def go() -> tuple[str, str, httpx.Response, httpx.Response]:
        async with _browser(site, "viewer") as viewer, _browser(site, "editor") as editor:
            seen = (await viewer.get("/jobs")).text
            page = (await editor.get("/jobs?status=failed")).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert csrf
            refused = await viewer.post(f"/jobs/{run_id}/retry", data={"csrf_token": csrf.group(1)})
            done = await editor.post(f"/jobs/{run_id}/retry", data={"csrf_token": csrf.group(1)})
            return seen, page, refused, done

    seen, page, refused, done = asyncio.run(go())
    assert "poll:1:first" in seen and "could not connect" in seen
    assert f"/jobs/{run_id}/retry" not in seen  # no retry button for a viewer
    assert f"/jobs/{run_id}/retry" in page
    assert refused.status_code == 403
    assert done.status_code == 303 and site.desk.jobs.get(run_id).status == "queued"
