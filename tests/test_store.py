"""Store basics on both backends: migrations, sources, health."""

from __future__ import annotations

import pytest

from hoasen.errors import NotFoundError, UsageError
from hoasen.store.db import Store


def test_migrate_is_idempotent(store: Store) -> None:
    store.migrate()
    store.migrate()
    assert store.count_articles() == 0


def test_sources_crud(store: Store) -> None:
    src = store.add_source("https://example.org/rss", "Example", country="cn", partner=True)
    assert src.country == "CN" and src.partner and not src.foreign
    with pytest.raises(UsageError, match="already exists"):
        store.add_source("https://example.org/rss", "Other")
    with pytest.raises(UsageError, match="kind"):
        store.add_source("https://example.org/x", "Bad", kind="podcast")
    assert [s.name for s in store.list_sources()] == ["Example"]
    store.record_poll(src.id, ok=False, error="timed out")
    store.record_poll(src.id, ok=False, error="timed out")
    assert store.get_source("Example").consecutive_failures == 2
    store.record_poll(src.id, ok=True, etag='"abc"')
    after = store.get_source("Example")
    assert after.consecutive_failures == 0 and after.etag == '"abc"' and after.last_error is None
    store.remove_source("Example")
    with pytest.raises(NotFoundError):
        store.get_source("Example")


def test_bad_database_url() -> None:
    with pytest.raises(UsageError):
        Store.open("mysql://nobody@localhost/x")
