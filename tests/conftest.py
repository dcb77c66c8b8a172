"""Shared fixtures: real databases (SQLite file in tmp_path; PostgreSQL when reachable)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hoasen.settings import Settings, load_settings
from hoasen.store.db import Store
from hoasen.store.scratch import scratch_schema
from transport_server import LoopbackServer, Reply

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
        analyze_on_ingest=False,
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
    with scratch_schema(base) as url:
        yield url


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


@pytest.fixture
def web() -> Iterator[LoopbackServer]:
    """A loopback web server the test fills with routes; robots.txt allows everything."""
    with LoopbackServer() as server:
        server.routes["/robots.txt"] = Reply(
            body=b"User-agent: *\nAllow: /\n", content_type="text/plain"
        )
        yield server
