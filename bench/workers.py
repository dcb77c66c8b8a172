"""The task queue: throughput of the whole pipeline (poll → ingest → analyse) run by 1, 2 and 4
`hoasen worker` processes, and the queue's own overhead per task.

Pipeline: a loopback server in a child process serves `n_feeds` RSS feeds spread over four
loopback hosts (127.0.0.2-5), each with two entries linking to article pages made from real
news (VNTC in Vietnamese and BBC in English, one of each per feed, every page a different
text). For each worker count there is a fresh database and queue: PostgreSQL (a scratch schema)
and Redis when both are reachable, as a multi-process deployment would use, else SQLite and the
SQLite queue file (measure `postgres_redis` says which). The sources are added, the workers
started (`--concurrency 1`, scheduler every second, analysis on ingest, no politeness delay)
and the run ends when every source is polled and no run is queued or running, the analysis
follow-ups included. `articles_per_s_Nw` counts from the first run started to the last run
finished (read from `job_runs`): it leaves out process start-up (imports, connecting) but
includes each worker's first model load, which happens inside its first analysis run;
`startup_seconds_Nw` is the launch → first run time and `wall_seconds_Nw` launch → all done.

Queue overhead: an in-process `Worker` (concurrency 1, no scheduler) runs 500 runs of the
cheapest kind (`prune`: one DELETE), each created as a job run and sent on the `work` queue, as
the scheduler does; the same task body is then called 500 times directly. The difference per
task is what the task layer costs (run row, queue message, claim, lease beat thread, finish,
log line): on SQLite with the SQLite queue file, on SQLite with Redis, and on PostgreSQL with
Redis when reachable.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import html
import json
import logging
import multiprocessing as mp
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hoasen.jobs.logs import JsonFormatter
from hoasen.settings import Settings, load_settings
from hoasen.store.db import Store
from hoasen.store.jobs import JobStore, NewRun
from hoasen.store.schema_jobs import job_runs

HOSTS = [f"127.0.0.{2 + i}" for i in range(4)]
ENTRIES = 2  # entries per feed: one Vietnamese page, one English page
WORKERS = (1, 2, 4)
OVERHEAD_TASKS = 500
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, flushed before each use
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
HOASEN = Path(sys.executable).with_name("hoasen")
DEADLINE = 600.0  # seconds one pipeline run may take before it is given up
_FEED = re.compile(r"^/feed/(\d+)\.xml$")
_PAGE = re.compile(r"^/page/(\d+)/(\d+)\.html$")

Doc = tuple[str, str, str]  # (language, title, text)


# ---------------------------------------------------------------- the news sites


def load_docs(data_dir: Path, per_language: int) -> list[Doc]:
    """Distinct real articles, alternating Vietnamese (VNTC) and English (BBC)."""
    by_lang: dict[str, list[Doc]] = {}
    for name, lang in (("topics-vi/vntc_dev.jsonl", "vi"), ("topics-en/bbc_dev.jsonl", "en")):
        seen: set[str] = set()
        docs: list[Doc] = []
        for line in (data_dir / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            text = " ".join(row["text"].split())
            if len(text) < 800 or text[:200] in seen:
                continue  # short pages may be skipped by extraction; copies would be deduped
            seen.add(text[:200])
            title = row.get("title") or text[:80].rsplit(" ", 1)[0]
            docs.append((lang, title, text))
            if len(docs) == per_language:
                break
        by_lang[lang] = docs
    return [d for pair in zip(by_lang["vi"], by_lang["en"], strict=False) for d in pair]


def _page_html(doc: Doc) -> bytes:
    lang, title, text = doc
    sentences = re.split(r"(?<=[.!?])\s+", text)
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article>"
        f"<footer>Contact the newsroom</footer></body></html>"
    ).encode()


def _feed_xml(host: str, feed: int, docs: list[Doc], published: str) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(docs[ENTRIES * feed + j][1])}</title>"
        f"<link>http://{host}/page/{feed}/{j}.html</link>"
        f"<pubDate>{published}</pubDate></item>"
        for j in range(ENTRIES)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>http://{host}/</link>{items}</channel></rss>"
    ).encode()


def _handler(docs: list[Doc], published: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = self.headers.get("Host", "")
            if m := _FEED.match(self.path):
                body = _feed_xml(host, int(m.group(1)), docs, published)
                self._reply(200, body, "application/rss+xml")
            elif m := _PAGE.match(self.path):
                index = ENTRIES * int(m.group(1)) + int(m.group(2))
                if index < len(docs):
                    self._reply(200, _page_html(docs[index]), "text/html; charset=utf-8")
                else:
                    self._reply(404, b"not found", "text/plain")
            elif self.path == "/robots.txt":
                self._reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
            else:
                self._reply(404, b"not found", "text/plain")

        def _reply(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _serve(docs: list[Doc], published: str, ready: Any, stop: Event) -> None:
    """Child process: one threaded server per loopback host; report (host, port) when ready."""
    servers = []
    for host in HOSTS:
        httpd = ThreadingHTTPServer((host, 0), _handler(docs, published))
        httpd.daemon_threads = True
        servers.append(httpd)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        ready.put((host, int(httpd.server_address[1])))
    stop.wait()
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def _sites(docs: list[Doc]) -> Iterator[dict[str, int]]:
    """The loopback news sites, running in a child process: host -> port."""
    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    stop = ctx.Event()
    published = email.utils.format_datetime(datetime.now(UTC), usegmt=True)
    child = ctx.Process(target=_serve, args=(docs, published, ready, stop), daemon=True)
    child.start()
    try:
        yield dict(ready.get(timeout=60) for _ in HOSTS)
    finally:
        stop.set()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


# ---------------------------------------------------------------- PostgreSQL and Redis


def _redis() -> Any | None:
    """A client of the benchmark's Redis database, or None when Redis is not reachable."""
    try:
        import redis
    except ImportError:
        print("workers: no Redis client; using the SQLite queue", flush=True)
        return None
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        print(f"workers: no Redis ({type(exc).__name__}); using the SQLite queue", flush=True)
        return None
    return client


def _postgres() -> str | None:
    """The base PostgreSQL URL when a server answers there, else None."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from hoasen.store.db import normalize_url

    url = os.environ.get("HOASEN_TEST_POSTGRES_URL") or PG_DEFAULT
    try:
        engine = create_engine(normalize_url(url), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        print(f"workers: no PostgreSQL ({type(exc).__name__}); using SQLite", flush=True)
        return None
    return url


@contextlib.contextmanager
def _database(tmp: Path, pg_base: str | None, name: str) -> Iterator[str]:
    """A fresh database URL: a scratch PostgreSQL schema, or a SQLite file in `tmp`."""
    if pg_base is None:
        yield f"sqlite:///{tmp / f'{name}.db'}"
        return
    from hoasen.store.scratch import scratch_schema

    with scratch_schema(pg_base, prefix="bench") as url:
        yield url


# ---------------------------------------------------------------- the pipeline


def _count_runs(store: Store) -> tuple[dict[str, int], Any, Any]:
    """Runs per status, the first start and the last finish."""
    jobs = JobStore(store)
    with store.engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(job_runs.c.started), func.max(job_runs.c.finished))
        ).one()
    return jobs.counts(), first, last


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _pipeline(
    tmp: Path,
    workers: int,
    database_url: str,
    redis: Any | None,
    ports: dict[str, int],
    n_feeds: int,
) -> dict[str, float]:
    """Poll, ingest and analyse every feed with `workers` worker processes."""
    run_dir = tmp / f"{workers}w"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOASEN_")}
    env.update(
        {
            "HOASEN_CONFIG": "/nonexistent/hoasen.toml",
            "HOASEN_DATABASE_URL": database_url,
            "HOASEN_HTTP_ALLOW_PRIVATE": "true",
            "HOASEN_HTTP_HOST_DELAY": "0",
            "HOASEN_SCHEDULER_INTERVAL": "1",
            "HOASEN_ANALYZE_ON_INGEST": "true",
            "HOASEN_MAIL_OUTBOX_DIR": str(run_dir / "outbox"),
        }
    )
    if redis is not None:
        redis.flushdb()
        env["HOASEN_QUEUE_URL"] = REDIS_URL
    else:
        env["HOASEN_QUEUE_FILE"] = str(run_dir / "queue.db")
    store = Store.open(database_url)
    for i in range(n_feeds):
        host = HOSTS[i % len(HOSTS)]
        store.add_source(
            f"http://{host}:{ports[host]}/feed/{i}.xml", f"feed {i}", poll_minutes=10**6
        )
    logs = [run_dir / f"worker{i}.log" for i in range(workers)]
    launched = datetime.now(UTC)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            ["nice", str(HOASEN), "worker", "--concurrency", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        for log in logs
    ]
    finished = False
    try:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            time.sleep(0.25)
            counts, _, _ = _count_runs(store)
            polled = sum(1 for s in store.list_sources() if s.last_polled)
            if polled == n_feeds and counts["queued"] == counts["running"] == 0:
                finished = True
                break
            if any(p.poll() is not None for p in procs):
                break  # a worker died: report what there is
        wall = time.perf_counter() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in procs:
            try:
                codes.append(proc.wait(60))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
    counts, first, last = _count_runs(store)
    articles = store.count_articles()
    stored = store.count_articles(include_duplicates=True)
    analysed = _analysed(store)
    store.close()
    active = (_utc(last) - _utc(first)).total_seconds() if first and last else wall
    startup = (_utc(first) - launched).total_seconds() if first else wall
    problems = _log_problems(logs)
    expected = ENTRIES * n_feeds
    healthy = finished and stored == expected and analysed >= stored
    if not healthy or counts["failed"] or any(codes) or problems:
        print(
            f"workers: WARNING with {workers} worker(s): finished={finished}, "
            f"articles {articles} (with duplicates {stored}) of {expected}, {analysed} analysed, "
            f"runs {counts}, exit codes {codes}, {len(problems)} problem lines in the logs",
            flush=True,
        )
        for line in problems[:5]:
            print(f"  {line}", flush=True)
        if not problems:
            print(f"--- tail of {logs[0].name} ---\n{logs[0].read_text()[-3000:]}", flush=True)
    return {
        f"articles_per_s_{workers}w": articles / active if active > 0 else 0.0,
        f"seconds_{workers}w": active,
        f"startup_seconds_{workers}w": startup,
        f"wall_seconds_{workers}w": wall,
        f"articles_{workers}w": float(articles),
        f"analysed_{workers}w": float(analysed),
        f"runs_{workers}w": float(sum(counts.values())),
        f"failed_runs_{workers}w": float(counts["failed"]),
    }


def _log_problems(logs: list[Path]) -> list[str]:
    """Lines at level warning or worse in the workers' logs (each cut to 600 characters)."""
    bad = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if '"level": "warning"' in line or '"level": "error"' in line or "Traceback" in line:
                bad.append(f"{log.name}: {line[:600]}")
    return bad


def _analysed(store: Store) -> int:
    """Articles the analyse runs analysed (their own and those caught up)."""
    runs = JobStore(store).recent(kind="analyse", limit=1_000_000)
    return sum(int((r.result or {}).get("analyzed", 0)) for r in runs)


# ---------------------------------------------------------------- the queue's overhead


@contextlib.contextmanager
def _worker_logs(path: Path) -> Iterator[None]:
    """Log as a `hoasen worker` does (JSON lines, info level), to a file, for the block."""
    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter())
    saved = []
    for name in ("hoasen", "huey"):
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        handler.close()


def _wait_done(jobs: JobStore, n: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = jobs.counts()
        if counts["done"] + counts["failed"] >= n:
            if counts["failed"]:
                print(f"workers: WARNING {counts['failed']} prune runs failed", flush=True)
            return
        time.sleep(0.01)
    print(f"workers: WARNING prune runs not done after {timeout:.0f} s: {jobs.counts()}")


def _overhead(settings: Settings, n: int = OVERHEAD_TASKS) -> float:
    """Milliseconds a queued `prune` run costs more than calling its task body directly."""
    from hoasen.desk import Desk
    from hoasen.jobs.tasks import TaskContext, prune
    from hoasen.jobs.worker import Worker

    worker = Worker(settings, concurrency=1, schedule=False, queue_name="bench")
    jobs = worker.runs

    def runs(prefix: str, count: int) -> float:
        begun = time.perf_counter()
        for i in range(count):
            now = datetime.now(UTC)
            new = NewRun(key=f"{prefix}:{i}", kind="prune", queue="work", due=now, args={})
            for run in jobs.create([new], now):
                worker.queue.send(run.queue, run.id)
        return begun

    log = Path(tempfile.mkstemp(suffix=".log")[1])
    try:
        with _worker_logs(log):
            worker.start()
            try:
                runs("warm", 5)  # the consumer threads and their Desk are ready
                _wait_done(jobs, 5)
                begun = runs("bench", n)
                _wait_done(jobs, n + 5)
                queued = time.perf_counter() - begun
            finally:
                worker.stop()
    finally:
        log.unlink(missing_ok=True)
    with Desk(settings) as desk:
        run = desk.jobs.runs.recent(kind="prune", limit=1)[0]
        ctx = TaskContext(now=datetime.now(UTC), follow_up=lambda r: None, lock=_no_lock)
        begun = time.perf_counter()
        for _ in range(n):
            prune(desk, run, ctx)
        direct = time.perf_counter() - begun
    return (queued - direct) / n * 1000


@contextlib.contextmanager
def _no_lock(name: str) -> Iterator[None]:
    yield


def _overheads(tmp: Path, redis: Any | None, pg_base: str | None) -> dict[str, float]:
    """The queue's overhead per task on each store and queue at hand."""
    out: dict[str, float] = {}
    configs: list[tuple[str, bool, bool]] = [("sqlite", False, False)]
    if redis is not None:
        configs.append(("redis", False, True))
        if pg_base is not None:
            configs.append(("postgres_redis", True, True))
    for name, use_pg, use_redis in configs:
        run_dir = tmp / f"overhead-{name}"
        run_dir.mkdir()
        with _database(run_dir, pg_base if use_pg else None, "jobs") as url:
            if use_redis and redis is not None:
                redis.flushdb()
            settings = load_settings(
                config_path=run_dir / "none.toml",
                env={},
                database_url=url,
                queue_url=REDIS_URL if use_redis else "",
                queue_file="" if use_redis else str(run_dir / "queue.db"),
                mail_outbox_dir=str(run_dir / "outbox"),
            )
            out[f"queue_overhead_ms_{name}"] = _overhead(settings)
    if redis is not None:
        redis.flushdb()
    return out


# ---------------------------------------------------------------- together


def run(data_dir: Path, n_feeds: int = 60) -> dict[str, float]:
    """Pipeline articles/s with 1, 2 and 4 workers on `n_feeds` feeds (2 real articles each),
    and the task queue's overhead per task."""
    docs = load_docs(data_dir, n_feeds)
    n_feeds = min(n_feeds, len(docs) // ENTRIES)
    redis = _redis()
    pg_base = _postgres()
    shared = redis is not None and pg_base is not None
    out: dict[str, float] = {
        "feeds": float(n_feeds),
        "articles_served": float(ENTRIES * n_feeds),
        "postgres_redis": 1.0 if shared else 0.0,
    }
    tmp = Path(tempfile.mkdtemp(prefix="hoasen-bench-workers-"))
    try:
        with _sites(docs[: ENTRIES * n_feeds]) as ports:
            for k in WORKERS:
                with _database(tmp, pg_base if shared else None, f"{k}w") as url:
                    done = _pipeline(tmp, k, url, redis if shared else None, ports, n_feeds)
                out.update(done)
                print(
                    f"workers: {k} worker(s): {done[f'articles_per_s_{k}w']:.1f} articles/s, "
                    f"{done[f'seconds_{k}w']:.1f} s (+{done[f'startup_seconds_{k}w']:.1f} s "
                    "start-up)",
                    flush=True,
                )
        out.update(_overheads(tmp, redis, pg_base))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if redis is not None:
            redis.flushdb()
    out["worker_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out


def main() -> None:
    """`python -m bench.workers DATA_DIR --feeds 60`: print the numbers as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--feeds", type=int, default=60)
    args = parser.parse_args()
    print(json.dumps(run(args.data, args.feeds), indent=2))


if __name__ == "__main__":
    main()
