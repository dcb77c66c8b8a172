"""REST API search latency under concurrent load: `GET /api/v1/search` on the 100,000-article
search benchmark database, served by uvicorn the way `hoasen serve --workers 2` runs it (two
worker processes, what a 2-core server runs; `--workers 1` for one process), called over loopback
by 20 concurrent clients with an API token.

The database and the ~200 realistic queries are bench/search.py's (built once and cached). Every
query is asked once to warm the caches (by all the clients, so that every worker warms up), then
once more from one client alone (the service time),
then the clients run closed loops (each sends its next request when the last one is answered)
over the queries, repeated; the reported percentiles cover every request of the loaded phase.

Usage: python -m bench.api [--articles N] [--clients 20] [--rounds 10] [--workers 2] [--cache DIR]
"""

from __future__ import annotations

import argparse
import asyncio
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


async def _sequential(
    client: httpx.AsyncClient, queries: list[search.Query]
) -> tuple[list[float], int]:
    """Each query once from a single client: latencies (ms) and how many found something."""
    timings: list[float] = []
    found = 0
    for query in queries:
        started = time.perf_counter()
        response = await client.get("/api/v1/search", params=_params(query))
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        found += bool(response.json()["items"])
    return timings, found


async def _loaded(
    client: httpx.AsyncClient, work: list[search.Query], clients: int
) -> tuple[list[float], int, float]:
    """`clients` closed loops sharing the `work` list: latencies (ms), errors, wall seconds."""
    timings: list[float] = []
    errors = 0
    position = 0

    async def worker() -> None:
        nonlocal errors, position
        while position < len(work):
            query = work[position]
            position += 1  # no await between the check and this: the loops share one thread
            started = time.perf_counter()
            try:
                response = await client.get("/api/v1/search", params=_params(query))
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            timings.append((time.perf_counter() - started) * 1000)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return timings, errors, time.perf_counter() - started


async def _measure(
    base_url: str, token: str, queries: list[search.Query], clients: int, rounds: int
) -> dict[str, float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60.0
    ) as client:
        # cold caches, jieba and underthesea loading: over every connection, so that each
        # server worker warms up
        await _loaded(client, queries, clients)
        single, found = await _sequential(client, queries)
        work = [
            q
            for _ in range(rounds)
            for q in random.Random(search.SEED).sample(queries, len(queries))
        ]
        timings, errors, wall = await _loaded(client, work, clients)
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
        results = asyncio.run(_measure(f"http://{host}:{port}", token, queries, clients, rounds))
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

    from hoasen.cli.web import run_workers
    from hoasen.settings import load_settings
    from hoasen.web.app import create_app

    if workers > 1:  # every worker builds the app from these settings, as `hoasen serve` does
        os.environ["HOASEN_CONFIG"] = os.devnull
        os.environ["HOASEN_DATABASE_URL"] = db_url
        os.environ["HOASEN_ANALYZE_ON_INGEST"] = "false"
        run_workers(
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
