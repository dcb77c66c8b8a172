"""Reading and writing report schedules (SQLAlchemy Core, on the Store's engine; table
`report_schedules` of migration 0012).

Checks (kind, time, formats, addresses) live in `hoasen.reports.schedules`; this module only
stores. Lists (formats, recipients) and filters are JSON text columns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store, _new_id
from hoasen.store.schema import utcnow

_JSON_COLUMNS = ("formats", "recipients", "filters")


@dataclass(frozen=True)
class ScheduleRow:
    """One report schedule: what report is built when, in which formats, mailed to whom."""

    id: int
    name: str
    kind: str  # daily weekly monthly
    at: str  # HH:MM in the office time zone
    weekday: int | None  # weekly: 0 = Monday
    day: int | None  # monthly: 1-28
    language: str
    formats: tuple[str, ...]
    recipients: tuple[str, ...]
    filters: dict[str, Any]
    enabled: bool
    created_by: str
    last_due: datetime | None  # the last due time built
    last_number: str  # the report that run made
    created: datetime
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """The schedule as the CLI's and API's JSON document."""

        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "at": self.at,
            "weekday": self.weekday,
            "day": self.day,
            "language": self.language,
            "formats": list(self.formats),
            "recipients": list(self.recipients),
            "filters": dict(self.filters),
            "enabled": self.enabled,
            "created_by": self.created_by,
            "last_due": when(self.last_due),
            "last_number": self.last_number or None,
            "created": when(self.created),
            "updated": when(self.updated),
        }


def _row(row: Any) -> ScheduleRow:
    return ScheduleRow(
        id=int(row.id),
        name=row.name,
        kind=row.kind,
        at=row.at,
        weekday=row.weekday,
        day=row.day,
        language=row.language,
        formats=tuple(json.loads(row.formats or "[]")),
        recipients=tuple(json.loads(row.recipients or "[]")),
        filters=json.loads(row.filters or "{}"),
        enabled=bool(row.enabled),
        created_by=row.created_by or "",
        last_due=row.last_due,
        last_number=row.last_number or "",
        created=row.created,
        updated=row.updated,
    )


def _encoded(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values with the lists and filters as JSON text."""
    out = dict(values)
    for key in _JSON_COLUMNS:
        if key in out:
            value = out[key]
            out[key] = json.dumps(
                list(value) if isinstance(value, tuple | list) else value,
                ensure_ascii=False,
                sort_keys=True,
            )
    return out


class ScheduleStore:
    """Report schedules in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def add(self, values: Mapping[str, Any]) -> ScheduleRow:
        """Store a new schedule; UsageError when the name is taken."""
        now = utcnow()
        try:
            with self.store.begin() as conn:
                new_id = _new_id(
                    conn.execute(
                        insert(schema.report_schedules).values(
                            **_encoded(values), created=now, updated=now
                        )
                    )
                )
        except IntegrityError:
            raise UsageError(f"a report schedule named {values['name']!r} exists") from None
        return self.get(new_id)

    def get(self, ref: int | str) -> ScheduleRow:
        """A schedule by id or name; NotFoundError when there is none."""
        s = schema.report_schedules
        text = str(ref).strip()
        with self.engine.connect() as conn:
            row = None
            if text.isdigit():
                row = conn.execute(select(s).where(s.c.id == int(text))).first()
            if row is None:
                row = conn.execute(select(s).where(s.c.name == text)).first()
        if row is None:
            raise NotFoundError(f"no report schedule {text!r}; see `hoasen report schedule list`")
        return _row(row)

    def all(self, enabled: bool | None = None) -> list[ScheduleRow]:
        """Every schedule (only the enabled or disabled ones when asked), by name."""
        s = schema.report_schedules
        query = select(s).order_by(s.c.name, s.c.id)
        if enabled is not None:
            query = query.where(s.c.enabled.is_(enabled))
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).all()]

    def update(self, schedule_id: int, values: Mapping[str, Any]) -> ScheduleRow:
        """Change a schedule's columns; UsageError when a new name is taken."""
        s = schema.report_schedules
        try:
            with self.store.begin() as conn:
                found = conn.execute(
                    update(s)
                    .where(s.c.id == schedule_id)
                    .values(**_encoded(values), updated=utcnow())
                ).rowcount
        except IntegrityError:
            raise UsageError(f"a report schedule named {values.get('name')!r} exists") from None
        if not found:
            raise NotFoundError(f"no report schedule {schedule_id}")
        return self.get(schedule_id)

    def remove(self, schedule_id: int) -> None:
        """Delete a schedule (its reports and deliveries stay registered)."""
        s = schema.report_schedules
        with self.store.begin() as conn:
            gone = conn.execute(delete(s).where(s.c.id == schedule_id)).rowcount
        if not gone:
            raise NotFoundError(f"no report schedule {schedule_id}")

    def mark_run(self, schedule_id: int, due: datetime, number: str) -> bool:
        """Record that the run due at `due` made report `number`, unless a later run is already
        recorded (a late repeat of an old run never moves the schedule back). True if moved."""
        s = schema.report_schedules
        with self.store.begin() as conn:
            moved = conn.execute(
                update(s)
                .where(s.c.id == schedule_id, or_(s.c.last_due.is_(None), s.c.last_due <= due))
                .values(last_due=due, last_number=number)
            ).rowcount
        return bool(moved)
