"""Scale-out proof: three `hoasen worker` processes share Redis and PostgreSQL, poll 500 loopback
feeds, one is killed with SIGKILL while it holds a task, and still every item is ingested
exactly once and the due report is built once.

Skipped (with the reason) when Redis or PostgreSQL is not reachable; `.ci/run` provides both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hoasen.desk import Desk
from hoasen.settings import Settings, load_settings
from hoasen.store import schema
from test_jobs import _text
from transport_server import LoopbackServer, Reply

FEEDS = 500
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, flushed by this test
HOASEN = Path(sys.executable).with_name("hoasen")


def _redis() -> object:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("the scale-out test needs Redis at 127.0.0.1:6379 (.ci/run starts one)")
    return client


def _serve_feeds(server: LoopbackServer) -> list[str]:
    urls = []
    for n in range(FEEDS):
        page = server.url(f"/f{n}/story.html")
        server.routes[f"/f{n}.xml"] = Reply(
            body=(
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
                f"<item><title>Story {n}</title><link>{page}</link></item></channel></rss>"
            ).encode(),
            content_type="application/rss+xml",
        )
        server.routes[f"/f{n}/story.html"] = Reply(
            body=(
                f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
                f"<p>{_text(str(n), 150)}</p></article></body></html>"
            ).encode()
        )
        urls.append(server.url(f"/f{n}.xml"))
    return urls


@pytest.fixture
def cluster_env(pg_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    client = _redis()
    client.flushdb()  # type: ignore[attr-defined]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOASEN_")},
        "HOASEN_CONFIG": str(tmp_path / "none.toml"),
        "HOASEN_DATABASE_URL": pg_url,
        "HOASEN_QUEUE_URL": REDIS_URL,
        "HOASEN_HTTP_ALLOW_PRIVATE": "true",
        "HOASEN_HTTP_HOST_DELAY": "0",
        "HOASEN_ANALYZE_ON_INGEST": "false",
        "HOASEN_SCHEDULER_INTERVAL": "1",
        "HOASEN_JOB_LEASE": "10",
        "HOASEN_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    yield env
    client.flushdb()  # type: ignore[attr-defined]


def _settings(env: dict[str, str]) -> Settings:
    return load_settings(env=env)


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(HOASEN), "worker", "--concurrency", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def _held_runs(desk: Desk, pid: int) -> set[int]:
    prefix = f"{socket.gethostname()}:{pid}:"
    return {r.id for r in desk.jobs.list("running") if r.worker and r.worker.startswith(prefix)}


def _kill_while_holding(desk: Desk, victim: subprocess.Popen[bytes], deadline: float) -> set[int]:
    """SIGKILL the victim at a moment it holds a run, and return the runs it held.

    The victim is frozen (SIGSTOP) before the check that decides, so its run cannot finish
    between the look and the kill; when it holds nothing it is thawed and watched again.
    """
    while time.monotonic() < deadline:
        if desk.store.count_articles() >= FEEDS // 4 and _held_runs(desk, victim.pid):
            victim.send_signal(signal.SIGSTOP)
            time.sleep(0.2)  # a commit already on its way to the database lands first
            held = _held_runs(desk, victim.pid)
            if held:
                victim.send_signal(signal.SIGKILL)
                victim.wait(10)
                return held
            victim.send_signal(signal.SIGCONT)
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    return set()


def test_three_workers_one_killed_nothing_lost_nothing_twice(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    settings = _settings(cluster_env)
    with LoopbackServer() as server:
        server.routes["/robots.txt"] = Reply(body=b"User-agent: *\nAllow: /\n")
        urls = _serve_feeds(server)
        with Desk(settings) as desk:
            for n, url in enumerate(urls):
                desk.store.add_source(url, f"feed {n}", poll_minutes=24 * 60)
            desk.schedules.add("daily digest", kind="daily", at="00:00", formats=["html"])
        workers = [_start(cluster_env, tmp_path / f"worker{i}.log") for i in range(3)]
        try:
            with Desk(settings) as desk:
                deadline = time.monotonic() + 240
                # kill the first worker while it holds a task, once work is well under way
                held = _kill_while_holding(desk, workers[0], deadline)
                killed_at = desk.store.count_articles()
                # the others finish everything, the killed worker's run included
                while time.monotonic() < deadline:
                    counts = desk.jobs.runs.counts()
                    polled = sum(1 for s in desk.store.list_sources() if s.last_polled)
                    if polled == FEEDS and counts["queued"] == counts["running"] == 0:
                        break
                    time.sleep(0.5)
                health = desk.jobs.health()
                with desk.store.engine.connect() as conn:
                    a = schema.articles.c
                    rows = conn.execute(select(a.url, func.count()).group_by(a.url)).all()
                    reports = conn.execute(
                        select(schema.reports.c.run_key, schema.reports.c.number)
                    ).all()
                runs = desk.jobs.list(limit=5000)
        finally:
            for proc in workers[1:]:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(60) for proc in workers[1:]]
        logs = "\n".join((tmp_path / f"worker{i}.log").read_text()[-2000:] for i in range(3))
        assert 0 < killed_at < FEEDS, logs
        # nothing lost: one article per feed; nothing twice: every URL once
        assert len(rows) == FEEDS, logs
        assert all(n == 1 for _, n in rows), [u for u, n in rows if n > 1][:5]
        served = {f"/f{n}/story.html" for n in range(FEEDS)}
        assert {server.url(p) for p in served} == {u for u, _ in rows}
        # every source polled by exactly one finished run; the killed one's was taken over
        polls = [r for r in runs if r.kind == "poll"]
        assert len(polls) == FEEDS and all(r.status == "done" for r in polls)
        assert held, "the victim was killed while it held a run"
        redone = [r for r in runs if r.id in held]
        assert redone and all(r.status == "done" and r.attempts >= 2 for r in redone), redone
        # the due report: built once, registered under its run key
        assert len([k for k, _ in reports if k and k.startswith("report:")]) == 1, reports
        assert [r.status for r in runs if r.kind == "report"] == ["done"]
        assert codes == [0, 0], logs  # SIGTERM: a graceful stop
        assert health["runs"]["failed"] == 0, health
