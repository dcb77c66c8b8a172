"""Shared fixtures: real databases (SQLite file in tmp_path; PostgreSQL when reachable)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hoasen.settings import Settings, load_settings
from hoasen.store.db import Store, normalize_url

FIXTURES = Path(__file__).parent / "fixtures"
PG_ENV = "HOASEN_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The PostgreSQL URL tests may use, or None (tests then skip with a reason)."""
    return os.environ.get(PG_ENV) or None


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for tests: no robots delay, loopback allowed (tests start their own servers)."""
    return load_settings(
        config_path=tmp_path / "none.toml",
        env={},
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        http_allow_private=True,
        http_host_delay=0.0,
        http_timeout=5.0,
    )


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite database file in tmp_path."""
    store = Store.open(f"sqlite:///{tmp_path / 'test.db'}")
    yield store
    store.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL pointing at a fresh schema, dropped afterwards."""
    base = postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(base))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A migrated PostgreSQL database in its own schema."""
    store = Store.open(pg_url)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each test using `store` runs on SQLite and on PostgreSQL (skipped when unreachable)."""
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'test.db'}")
        yield s
        s.close()
    else:
        yield request.getfixturevalue("pg_store")


class Route:
    """One canned response of the loopback server."""

    def __init__(
        self,
        body: bytes,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.body, self.status, self.content_type = body, status, content_type
        self.delay, self.headers = delay, headers or {}


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 serving `routes` (path -> Route); 404 otherwise."""

    def __init__(self) -> None:
        import http.server
        import threading
        import time

        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base + path

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def web() -> Iterator[LoopbackServer]:
    """A loopback web server the test fills with routes; robots.txt allows everything."""
    server = LoopbackServer()
    server.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
    yield server
    server.close()
