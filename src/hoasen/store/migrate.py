"""Bringing a database to the newest schema: Alembic's upgrade, skipped when already current.

A database at the head revision is left alone without importing Alembic or reading its script
folder (~0.5 s that every command paid on start-up); any other state (new, behind, ahead,
branched or unreadable) goes through Alembic's upgrade.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

MIGRATIONS = Path(__file__).parent / "migrations"
# Migration files are named after their revision id ("0012_jobs.py" holds revision "0012"), and
# the ids count up, so the newest file names the head (tests check this against Alembic).
_MIGRATION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def head_revision(folder: Path = MIGRATIONS / "versions") -> str | None:
    """The newest migration's revision id, read from the migration file names (None when
    there are none), so the schema can be checked without loading Alembic."""
    found = [m.group(1) for p in folder.iterdir() if (m := _MIGRATION_FILE.match(p.name))]
    return max(found, default=None)


def schema_is_current(engine: Engine) -> bool:
    """True when `alembic_version` holds exactly the newest migration's revision."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:  # no version table yet: a new database
        return False
    return [r[0] for r in rows] == [head]


def upgrade(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied."""
    if schema_is_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


__all__ = ["MIGRATIONS", "head_revision", "schema_is_current", "upgrade"]
