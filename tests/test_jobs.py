"""The task layer: keyed runs (claim once, leases, retries), the scheduler's tick, per-host turns
shared between workers, a real worker on the embedded SQLite queue, and the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.jobs.hosts import RedisHostTurns, SqliteHostTurns
from hoasen.jobs.queue import TaskQueue, queue_file
from hoasen.jobs.worker import Worker
from hoasen.settings import Settings
from hoasen.store.db import Store
from hoasen.store.jobs import JobStore, NewRun
from transport_server import LoopbackServer, Reply

NOW = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)  # 07:30 in Hanoi


def _run(key: str, kind: str = "prune", queue: str = "work") -> NewRun:
    return NewRun(key=key, kind=kind, queue=queue, due=NOW, args={"n": 1})


def test_runs_are_keyed_and_claimed_once(store: Store) -> None:
    runs = JobStore(store)
    made = runs.create([_run("a"), _run("b"), _run("a")], NOW)
    assert [r.key for r in made] == ["a", "b"]
    assert runs.create([_run("a")], NOW) == []  # a second scheduler makes nothing
    first = runs.claim(made[0].id, "w1", NOW, lease=60)
    assert first is not None and first.status == "running" and first.attempts == 1
    assert runs.claim(made[0].id, "w2", NOW, lease=60) is None  # a repeated message
    # the holder died: once its lease ran out another worker takes the run over ("b" was
    # never taken at all: its message is presumed lost, so it is sent again too)
    later = NOW + timedelta(seconds=61)
    assert runs.to_resend(NOW + timedelta(seconds=30), lease=60) == []
    assert {r.key for r in runs.to_resend(later, lease=60)} == {"a", "b"}
    taken = runs.claim(made[0].id, "w2", later, lease=60)
    assert taken is not None and taken.worker == "w2" and taken.attempts == 2
    assert not runs.finish(made[0].id, "w1", later, {})  # the old holder cannot finish it
    assert runs.finish(made[0].id, "w2", later, {"ok": True})
    assert runs.get(made[0].id).status == "done"
    assert runs.claim(made[0].id, "w3", later + timedelta(hours=1), lease=60) is None


def test_failed_attempts_wait_then_fail(store: Store) -> None:
    runs = JobStore(store)
    (run,) = runs.create([_run("x")], NOW)
    assert runs.claim(run.id, "w", NOW, 60)
    runs.fail(run.id, "w", NOW, "boom", retry_at=NOW + timedelta(seconds=30))
    assert runs.get(run.id).status == "queued"
    assert runs.claim(run.id, "w", NOW + timedelta(seconds=10), 60) is None  # still waiting
    assert runs.claim(run.id, "w", NOW + timedelta(seconds=31), 60) is not None
    runs.fail(run.id, "w", NOW, "boom again", retry_at=None)
    failed = runs.get(run.id)
    assert failed.status == "failed" and failed.error == "boom again"
    again = runs.retry(run.id, NOW)
    assert again.status == "queued" and again.attempts == 0


def test_release_gives_a_run_back(store: Store) -> None:
    runs = JobStore(store)
    (run,) = runs.create([_run("r")], NOW)
    runs.claim(run.id, "w", NOW, 60)
    assert runs.release(run.id, "w", NOW)
    back = runs.get(run.id)
    assert back.status == "queued" and back.attempts == 0 and back.worker is None


def test_locks_expire_and_belong_to_their_holder(store: Store) -> None:
    runs = JobStore(store)
    assert runs.lock("scheduler", "a", NOW, ttl=30)
    assert not runs.lock("scheduler", "b", NOW + timedelta(seconds=10), ttl=30)
    assert runs.lock("scheduler", "a", NOW + timedelta(seconds=10), ttl=30)  # renewed
    assert runs.lock("scheduler", "b", NOW + timedelta(seconds=41), ttl=30)  # a's ran out
    runs.unlock("scheduler", "a")  # not a's any more: nothing happens
    assert not runs.lock("scheduler", "a", NOW + timedelta(seconds=42), ttl=30)


def test_sqlite_host_turns_space_requests_between_workers(tmp_path: Path) -> None:
    one = SqliteHostTurns(tmp_path / "q.db")
    two = SqliteHostTurns(tmp_path / "q.db")  # another worker on the same queue file
    assert one.reserve("example.org", 2.0) == pytest.approx(0.0, abs=0.05)
    assert two.reserve("example.org", 2.0) == pytest.approx(2.0, abs=0.1)
    assert one.reserve("example.org", 2.0) == pytest.approx(4.0, abs=0.1)
    assert two.reserve("other.org", 2.0) == pytest.approx(0.0, abs=0.05)


def test_redis_host_turns_space_requests_between_workers() -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"hoasen-test-{time.time_ns()}"
    one, two = RedisHostTurns(client, prefix), RedisHostTurns(client, prefix)
    assert one.reserve("example.org", 1.0) == pytest.approx(0.0, abs=0.05)
    assert two.reserve("example.org", 1.0) == pytest.approx(1.0, abs=0.1)
    assert client.pttl(f"{prefix}.host.example.org") > 0  # turns expire: nothing piles up


def test_queue_file_sits_next_to_a_sqlite_database(settings: Settings) -> None:
    assert queue_file(settings) == Path(settings.database_url[10:]).with_name("test.queue.db")
    assert queue_file(replace(settings, queue_file="/tmp/q.db")) == Path("/tmp/q.db")


VOCAB = ["port", "coal", "bay", "trade", "island", "tourism", "delegation", "festival"]
VOCAB += ["bridge", "investment", "province", "ferry", "harbour", "museum", "cable", "market"]
VOCAB += ["river", "forest", "village", "school"]


def _text(seed: str, words: int = 120) -> str:
    """Distinct English-looking text per seed (near-duplicate detection must not merge them)."""
    out = []
    for j in range(words):
        h = hashlib.sha256(f"{seed}:{j}".encode()).digest()
        out.append(VOCAB[h[0] % len(VOCAB)] + ("." if h[1] % 9 == 0 else ""))
    return " ".join(out)


def _feed(server: LoopbackServer, name: str, items: int) -> str:
    entries = "".join(
        f"<item><title>{name} {i}</title><link>{server.url(f'/{name}/{i}.html')}</link></item>"
        for i in range(items)
    )
    server.routes[f"/{name}.xml"] = Reply(
        body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        f"{entries}</channel></rss>".encode(),
        content_type="application/rss+xml",
    )
    for i in range(items):
        text = _text(f"{name}-{i}")
        server.routes[f"/{name}/{i}.html"] = Reply(
            body=f"<html><head><title>{name} {i}</title></head><body><article><h1>{name} {i}"
            f"</h1><p>{text}</p></article></body></html>".encode()
        )
    return server.url(f"/{name}.xml")


def test_tick_queues_due_sources_once(settings: Settings, web: LoopbackServer) -> None:
    with Desk(settings) as desk:
        desk.store.add_source(_feed(web, "alpha", 2), "alpha", poll_minutes=30)
        desk.store.add_source(_feed(web, "beta", 1), "beta", poll_minutes=30)
        first = desk.jobs.tick(NOW)
        assert first.created.get("poll") == 2
        again = desk.jobs.tick(NOW + timedelta(seconds=5))
        assert "poll" not in again.created  # the same keys: nothing twice
        assert desk.jobs.queue.depth()["fetch"] == 2
        desk.jobs.queue.flush()


@pytest.fixture
def worker_settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(
        settings,
        queue_file=str(tmp_path / "queue.db"),
        scheduler_interval=1.0,
        analyze_on_ingest=False,
    )


@pytest.fixture
def running(worker_settings: Settings) -> Iterator[Worker]:
    worker = Worker(worker_settings, concurrency=2, queue_name=f"t{time.time_ns()}")
    worker.start()
    yield worker
    worker.stop()


def _wait(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_worker_polls_due_sources_by_itself(
    worker_settings: Settings, web: LoopbackServer
) -> None:
    with Desk(worker_settings) as desk:
        desk.store.add_source(_feed(web, "alpha", 2), "alpha", poll_minutes=60)
        desk.store.add_source(_feed(web, "beta", 3), "beta", poll_minutes=60)
    worker = Worker(worker_settings, concurrency=2, queue_name=f"t{time.time_ns()}")
    worker.start()
    try:
        with Desk(worker_settings) as desk:
            _wait(lambda: desk.store.count_articles() == 5)
            _wait(lambda: desk.jobs.runs.counts()["done"] >= 2)
            health = desk.jobs.health()
    finally:
        worker.stop()
    assert health["ok"], health["problems"]
    assert health["kinds"]["poll"]["done"] == 2 and health["kinds"]["poll"]["last_success"]
    assert [w["worker"] for w in health["workers"]] == [worker.name]
    assert health["depth"] == {"fetch": 0, "work": 0}
    with Desk(worker_settings) as desk:
        assert desk.jobs.health()["workers"] == []  # a stopped worker says goodbye
        sources = {s.name: s for s in desk.store.list_sources()}
    assert all(s.last_success is not None for s in sources.values())


def test_a_failing_task_is_retried_then_failed(worker_settings: Settings) -> None:
    with Desk(worker_settings) as desk:
        (run,) = desk.jobs.runs.create(
            [NewRun(key="report:999:x", kind="report", queue="work", due=NOW, args={})], NOW
        )
    queue = TaskQueue(worker_settings, "tfail")
    worker = Worker(worker_settings, schedule=False, queue_name="tfail")
    worker.start()
    try:
        queue.send("work", run.id)
        with Desk(worker_settings) as desk:
            _wait(lambda: desk.jobs.get(run.id).error is not None)
            done = desk.jobs.get(run.id)
    finally:
        worker.stop()
        queue.close()
    # a KeyError on the missing arguments: queued again with a wait, not lost
    assert done.status == "queued" and "KeyError" in (done.error or "")
    assert done.attempts == 1 and done.not_before is not None


def test_cli_tick_list_and_status(worker_settings: Settings, web: LoopbackServer) -> None:
    url = worker_settings.database_url
    env = {
        "HOASEN_QUEUE_FILE": worker_settings.queue_file,
        "HOASEN_HTTP_ALLOW_PRIVATE": "true",
    }
    with Desk(worker_settings) as desk:
        desk.store.add_source(_feed(web, "gamma", 1), "gamma")
    runner = CliRunner()
    ticked = runner.invoke(app, ["--db", url, "jobs", "tick", "--json"], env=env)
    assert ticked.exit_code == 0, ticked.output
    assert json.loads(ticked.stdout)["created"] == {"poll": 1, "prune": 1, "registers": 1} or (
        json.loads(ticked.stdout)["created"].get("poll") == 1
    )
    listed = runner.invoke(app, ["--db", url, "jobs", "list", "--json"], env=env)
    assert listed.exit_code == 0
    assert {r["kind"] for r in json.loads(listed.stdout)} >= {"poll", "prune"}
    status = runner.invoke(app, ["--db", url, "worker", "status", "--json"], env=env)
    # work waits and no worker runs: the status says so, and exits 1 for monitoring
    assert status.exit_code == 1
    health = json.loads(status.stdout)
    assert health["depth"]["fetch"] == 1 and "no worker" in health["problems"][0]
    bad = runner.invoke(app, ["--db", url, "jobs", "tick", "--at", "07:30"], env=env)
    assert bad.exit_code != 0 and "--at" in bad.output


def test_fetchers_of_two_workers_share_the_hosts_turns(
    settings: Settings, web: LoopbackServer, tmp_path: Path
) -> None:
    """Two fetchers (two workers) with the same turns store take every request's turn from it,
    and the turns they get for one host are `http_host_delay` apart between them."""
    from hoasen.ingest.http import SafeFetcher
    from hoasen.ingest.poll import run_async

    polite = replace(settings, http_host_delay=0.4, http_respect_robots=False)
    for n in range(4):
        web.routes[f"/p{n}"] = Reply(body=b"<html><body><p>x</p></body></html>")
    starts: list[float] = []

    class Recorded(SqliteHostTurns):
        def turn(self, host: str, delay: float) -> tuple[float, float]:
            start, now = super().turn(host, delay)
            starts.append(start)  # when this request may start
            return start, now

    async def both() -> None:
        async def one(names: list[str]) -> None:
            async with SafeFetcher(polite, turns=Recorded(tmp_path / "turns.db")) as fetcher:
                for name in names:
                    await fetcher.fetch(web.url(f"/{name}"))

        await asyncio.gather(one(["p0", "p1"]), one(["p2", "p3"]))

    began = time.monotonic()
    run_async(both())
    took = time.monotonic() - began
    gaps = [b - a for a, b in itertools.pairwise(sorted(starts))]
    assert len(starts) == 4 and min(gaps) >= 0.39, gaps
    assert took >= 3 * 0.4 - 0.05  # the last request waited for its turn
    assert len([s for s in web.seen if s.path.startswith("/p")]) == 4
