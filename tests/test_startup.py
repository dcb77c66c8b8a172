"""What `search` and `extract` load on start-up: the schema check that skips Alembic when the
database is current (and still migrates one that is behind), and `extract` without the ingest
machinery. Speed itself is measured by bench/startup.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import inspect

from conftest import FIXTURES
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.ingest.files import iter_paths
from hoasen.ingest.pipeline import Ingestor
from hoasen.models import RawInput
from hoasen.settings import Settings
from hoasen.store.db import Store
from hoasen.store.migrate import MIGRATIONS, head_revision

PAGE = FIXTURES / "extract" / "article.html"


def _alembic_head() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _version(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]


def test_head_revision_from_file_names_is_alembics_head() -> None:
    assert head_revision() == _alembic_head()


def test_head_revision_of_an_empty_folder_is_none(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("")
    assert head_revision(tmp_path) is None


def test_current_schema_skips_alembic(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("alembic upgrade ran on a current database")

    monkeypatch.setattr(command, "upgrade", refuse)
    assert store.schema_is_current()
    store.migrate()
    Store.open(store.engine.url.render_as_string(hide_password=False)).close()


def test_database_one_revision_behind_still_migrates(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    store = Store.open(url)
    head = _alembic_head()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    assert _version(store) != [head] and not store.schema_is_current()
    assert "job_runs" not in inspect(store.engine).get_table_names()
    store.close()

    again = Store.open(url)
    assert _version(again) == [head] and again.schema_is_current()
    assert "job_runs" in inspect(again.engine).get_table_names()
    again.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_new_database_is_not_current_until_migrated(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    if backend == "postgresql":
        url = request.getfixturevalue("pg_url")  # a fresh, empty schema (or a skip)
    store = Store.open(url, migrate=False)
    assert not store.schema_is_current()
    store.migrate()
    assert store.schema_is_current()
    store.close()


def test_database_ahead_of_the_code_goes_to_alembic(store: Store) -> None:
    with store.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    assert not store.schema_is_current()


def _item() -> RawInput:
    (item,) = iter_paths([PAGE])
    assert isinstance(item, RawInput)
    return item


def test_desk_extract_equals_the_ingestors_prepare(settings: Settings) -> None:
    with Desk(settings) as desk:
        got = desk.extract(_item())
        assert "ingestor" not in desk.__dict__  # no deduper or search index was built
        again = Ingestor(desk.store, settings, detector=desk.detector).prepare(_item())
    assert got.title and got.language == "en"
    assert (got.title, got.text, got.language, got.language_confidence, got.published) == (
        again.title,
        again.text,
        again.language,
        again.language_confidence,
        again.published,
    )


_PROBE = """
import json, sys
from pathlib import Path
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.ingest.files import iter_paths
from hoasen.settings import load_settings

settings = load_settings(config_path=Path(sys.argv[1]) / "none.toml", env={},
                         database_url=sys.argv[2])
with Desk(settings) as desk:
    if sys.argv[3] == "search":
        desk.search("quang ninh")
    else:
        desk.extract(next(iter(iter_paths([Path(sys.argv[3])]))))
heavy = ("alembic", "datasketch", "scipy", "jieba", "underthesea", "lingua", "sqlalchemy",
         "hoasen.store.search", "hoasen.analyze.pipeline", "hoasen.reports.service")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def _loaded(tmp_path: Path, url: str, what: str) -> list[str]:
    """The heavy modules a fresh process has loaded after one search or extract."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path), url, what],
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_search_and_extract_load_only_what_they_need(sqlite_store: Store, tmp_path: Path) -> None:
    url = str(sqlite_store.engine.url)  # already migrated: no Alembic
    assert _loaded(tmp_path, url, "search") == ["hoasen.store.search", "sqlalchemy"]
    # extract stores nothing: the database is not even opened
    assert _loaded(tmp_path, url, str(PAGE)) == ["lingua"]


def test_desk_opens_its_database_on_first_use(settings: Settings) -> None:
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    desk = Desk(settings)
    assert not db.exists()
    assert desk.store is desk.store and desk.store.schema_is_current()
    desk.close()
    assert db.exists()
    Desk(settings).close()  # never opened: nothing to release


def test_desk_with_an_unusable_database_fails_on_first_use(settings: Settings) -> None:
    desk = Desk(replace(settings, database_url="mysql://x@y/z"))
    with pytest.raises(UsageError, match="unsupported database"):
        desk.search("x")
