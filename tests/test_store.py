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


def test_migrations_match_the_schema(store: Store) -> None:
    """The Alembic migrations build exactly the tables, columns and indexes of schema.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hoasen.store.schema import metadata

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)

    # the search index (FTS5 and its shadow tables, or the tsvector table) is backend specific
    # and lives outside schema.py on purpose
    def search_table(name: str) -> bool:
        return name.startswith("article_fts") or name == "article_search"

    real = [
        d
        for d in diff
        if not (d[0] == "remove_table" and search_table(d[1].name))
        and not (d[0] == "remove_index" and search_table(d[1].table.name))
    ]
    assert real == []
