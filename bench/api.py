"""REST API search latency under concurrent load: `GET /api/v1/search` on the 100,000-article
search benchmark database, served by uvicorn the way `hoasen serve --workers 2` runs it (two
worker processes, what a 2-core server runs; `--workers 1` for one process), called over loopback
by 20 concurrent clients with an API token, each on its own keep-alive connection.

The database and the ~200 realistic queries are bench/search.py's (built once and cached). Every
query is asked once to warm the caches (by all the clients, so that every worker warms up), then
once more from one client alone (the service time), then the clients run closed loops (each
sends its next request when the last one is answered) over the queries, repeated; the reported
percentiles cover every request of the loaded phase. The CPU time the server's processes and
the load generator spent in that phase is reported per request: on a 2-core machine both share
the cores, so the generator is a minimal HTTP/1.1 client rather than httpx.

Usage: python -m bench.api [--articles N] [--clients 20] [--rounds 10] [--workers 2] [--cache DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import search
from hoasen.store.db import Store
from hoasen.web.auth import Accounts

ROOT = Path(__file__).resolve().parents[1]
BENCH_USER = "bench-api"
START_TIMEOUT_S = 180.0
DEFAULT_WORKERS = 2  # what a 2-core server runs: one process per core


def ensure_database(corpus: search.Corpus, n_articles: int, folder: Path) -> Path:
    """The cached search benchmark database of `n_articles` (built now when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"search-{n_articles}-v{search.VERSION}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial.db")
    for leftover in folder.glob(partial.name + "*"):
        leftover.unlink()
    built = Store.open(f"sqlite:///{partial}")
    search.build(built, corpus, n_articles)
    built.close()
    partial.rename(path)
    return path


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _params(query: search.Query) -> dict[str, str]:
    params = {"q": query.text}
    for key, value in query.filters.items():
        params[key] = value.isoformat() if isinstance(value, datetime) else str(value)
    return params


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Connection:
    """One keep-alive HTTP/1.1 connection of the load generator.

    The clients share the machine's cores with the server, so they must cost it little: a
    request is a few pre-encoded bytes and a response is read by its Content-Length (httpx
    spends about 1.5 ms of CPU per request here, a fifth of the server's own cost).
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        """GET `target`: the status and body (reconnects once if the server closed the link)."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                sock = self.writer.get_extra_info("socket")
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            assert self.reader is not None
            self.writer.write(b"GET " + target.encode() + b" HTTP/1.1\r\n" + self.head)
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                await self.close()
                if attempt == 2:
                    raise
                continue
            status = int(head[9:12])
            length = _content_length(head)
            return status, await self.reader.readexactly(length)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close the connection (a later get opens a new one)."""
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise SystemExit("the API answered without Content-Length: this client cannot read that")


def _target(query: search.Query) -> str:
    return "/api/v1/search?" + urlencode(_params(query))


async def _sequential(
    connection: Connection, queries: list[search.Query]
) -> tuple[list[float], int]:
    """Each query once from a single client: latencies (ms) and how many found something."""
    timings: list[float] = []
    found = 0
    for query in queries:
        started = time.perf_counter()
        status, body = await connection.get(_target(query))
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"search {query.text!r} answered {status}: {body[:300]!r}")
        found += bool(json.loads(body)["items"])
    return timings, found


async def _loaded(
    connections: list[Connection], work: list[search.Query]
) -> tuple[list[float], int, float]:
    """One closed loop per connection sharing the `work` list: latencies (ms), errors, wall s."""
    timings: list[float] = []
    errors = 0
    position = 0
    targets = [_target(q) for q in work]

    async def worker(connection: Connection) -> None:
        nonlocal errors, position
        while position < len(targets):
            target = targets[position]
            position += 1  # no await between the check and this: the loops share one thread
            started = time.perf_counter()
            try:
                status, _ = await connection.get(target)
                ok = status == 200
            except (OSError, asyncio.IncompleteReadError):
                ok = False
                await connection.close()
            timings.append((time.perf_counter() - started) * 1000)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    return timings, errors, time.perf_counter() - started


def process_tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process `pid` and its descendants, from
    /proc (None where there is no /proc)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            if current == pid:
                return None
            continue  # a child that has just exited
        fields = stat[stat.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        pending.extend(int(c) for c in children)
    return total


async def _measure(
    host: str,
    port: int,
    token: str,
    queries: list[search.Query],
    clients: int,
    rounds: int,
    server_pid: int,
) -> dict[str, float]:
    connections = [Connection(host, port, token) for _ in range(clients)]
    try:
        # cold caches, jieba and underthesea loading: over every connection, so that each
        # server worker warms up
        await _loaded(connections, queries)
        single, found = await _sequential(connections[0], queries)
        work = [
            q
            for _ in range(rounds)
            for q in random.Random(search.SEED).sample(queries, len(queries))
        ]
        server_before, client_before = process_tree_cpu(server_pid), time.process_time()
        timings, errors, wall = await _loaded(connections, work)
        server_after, client_after = process_tree_cpu(server_pid), time.process_time()
    finally:
        for connection in connections:
            await connection.close()
    return {
        "clients": float(clients),
        "requests": float(len(timings)),
        "errors": float(errors),
        "queries_with_hits": float(found),
        "p50_ms": statistics.median(timings),
        "p95_ms": _percentile(timings, 0.95),
        "p99_ms": _percentile(timings, 0.99),
        "max_ms": max(timings),
        "requests_per_s": len(timings) / wall,
        "single_client_p50_ms": statistics.median(single),
        "single_client_p95_ms": _percentile(single, 0.95),
        # CPU per request of the loaded phase: the server's processes and this load generator
        "server_cpu_ms_per_request": (
            1000 * (server_after - server_before) / len(timings)
            if server_after is not None and server_before is not None
            else float("nan")
        ),
        "client_cpu_ms_per_request": 1000 * (client_after - client_before) / len(timings),
    }


def _token(db_url: str) -> tuple[str, int]:
    """A fresh API token of the benchmark's viewer account (made on first use), and its id."""
    store = Store.open(db_url)
    try:
        accounts = Accounts(store)
        users = {u.name: u for u in accounts.list_users()}
        user = users.get(BENCH_USER) or accounts.add_user(BENCH_USER, "viewer")[0]
        token = accounts.create_token(user, f"bench {datetime.now().isoformat(timespec='seconds')}")
        token_id = max(t.id for t in accounts.list_tokens(user))
    finally:
        store.close()
    return token, token_id


def _revoke(db_url: str, token_id: int) -> None:
    store = Store.open(db_url)
    try:
        accounts = Accounts(store)
        accounts.revoke_token(accounts.get_user(BENCH_USER), token_id)
    finally:
        store.close()


def _start_server(db_url: str, host: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bench.api", "--serve", db_url, "--host", host]
    command += ["--port", str(port), "--workers", str(workers)]
    # the server's settings are the benchmark's own, whatever HOASEN_* the caller has set
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOASEN_")}
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the API server exited with status {server.returncode}")
        try:
            if httpx.get(f"http://{host}:{port}/api/v1", timeout=2.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"the API server did not answer within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.2)


def run(
    n_articles: int = 100_000,
    cache_dir: Path | None = None,
    data_dir: Path | None = None,
    clients: int = 20,
    rounds: int = 10,
    n_queries: int = 200,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, float]:
    """Serve the cached search database with `workers` server processes and time API searches
    under `clients` concurrent clients; returns ms percentiles, requests per second, counts."""
    data = data_dir or Path(os.environ.get("HOASEN_EVAL_DATA", search.DEFAULT_DATA))
    corpus = search.load_corpus(data)
    folder = cache_dir or Path(tempfile.gettempdir()) / "hoasen-bench"
    path = ensure_database(corpus, n_articles, folder)
    db_url = f"sqlite:///{path}"
    queries = search.make_queries(corpus, random.Random(search.SEED), n_queries)
    token, token_id = _token(db_url)
    host = "127.0.0.1"
    port = _free_port(host)
    server = _start_server(db_url, host, port, workers)
    try:
        results = asyncio.run(_measure(host, port, token, queries, clients, rounds, server.pid))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        _revoke(db_url, token_id)
    return {"articles": float(n_articles), "server_workers": float(workers), **results}


def serve(db_url: str, host: str, port: int, workers: int = 1) -> None:
    """The server process: the desk app on `db_url` as `hoasen serve [--workers N]` runs it
    (its access log off: the benchmark reads no log)."""
    import uvicorn

    from hoasen.settings import load_settings
    from hoasen.web.app import create_app
    from hoasen.web.workers import serve_workers

    if workers > 1:  # every worker builds the app from these settings, as `hoasen serve` does
        os.environ["HOASEN_CONFIG"] = os.devnull
        os.environ["HOASEN_DATABASE_URL"] = db_url
        os.environ["HOASEN_ANALYZE_ON_INGEST"] = "false"
        serve_workers(
            "hoasen.web.app:app_from_env",
            host,
            port,
            workers,
            log_level="warning",
            access_log=False,
        )
        return
    settings = load_settings(
        config_path=Path(os.devnull), env={}, database_url=db_url, analyze_on_ingest=False
    )
    app = create_app(settings)  # the app owns its Desk and closes it when it stops
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark and print its numbers (or, with --serve, be the server)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="Times each query is asked.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"Server processes, as `hoasen serve --workers` (default {DEFAULT_WORKERS}).",
    )
    parser.add_argument("--serve", metavar="DB_URL", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.host, args.port, args.workers)
        return 0
    results = run(
        args.articles,
        cache_dir=args.cache,
        clients=args.clients,
        rounds=args.rounds,
        n_queries=args.queries,
        workers=args.workers,
    )
    for key, value in results.items():
        print(f"{key:36} {value:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
