"""Reading and writing deliveries and their attempts (SQLAlchemy Core, on the Store's engine).

A delivery is claimed before it is tried (`queued` -> `sending` in one UPDATE), so two workers
never try the same one at once; a `sending` row left by a killed worker is claimable again once
its lease has run out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

LEASE = timedelta(minutes=15)  # a claim older than this was left by a worker that died


@dataclass(frozen=True)
class DeliveryRow:
    """One queued delivery to one destination."""

    id: int
    key: str
    kind: str
    ref: str
    transport: str
    destination: str
    config: dict[str, Any]
    secret: str
    status: str
    attempts: int
    max_attempts: int
    next_attempt: datetime | None
    progress: tuple[str, ...]
    bytes: int
    checksum: str
    receipt: str
    error: str
    created: datetime
    updated: datetime
    sent: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The delivery as the CLI's and API's JSON document (no secret, only its name)."""
        return {
            "id": self.id,
            "key": self.key,
            "kind": self.kind,
            "ref": self.ref,
            "transport": self.transport,
            "destination": self.destination,
            "status": self.status,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "next_attempt": self.next_attempt.isoformat() if self.next_attempt else None,
            "acknowledged": list(self.progress),
            "bytes": self.bytes,
            "checksum": self.checksum,
            "receipt": self.receipt,
            "error": self.error,
            "created": self.created.isoformat(),
            "sent": self.sent.isoformat() if self.sent else None,
        }


@dataclass(frozen=True)
class AttemptRow:
    """One try of a delivery."""

    number: int
    started: datetime
    finished: datetime | None
    ok: bool
    error: str

    def as_json(self) -> dict[str, Any]:
        """The attempt as JSON."""
        return {
            "number": self.number,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat() if self.finished else None,
            "ok": self.ok,
            "error": self.error,
        }


def _row(row: Any) -> DeliveryRow:
    return DeliveryRow(
        id=row.id,
        key=row.key,
        kind=row.kind,
        ref=row.ref,
        transport=row.transport,
        destination=row.destination,
        config=json.loads(row.config or "{}"),
        secret=row.secret,
        status=row.status,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        next_attempt=row.next_attempt,
        progress=tuple(line for line in row.progress.split("\n") if line),
        bytes=row.bytes,
        checksum=row.checksum,
        receipt=row.receipt,
        error=row.error,
        created=row.created,
        updated=row.updated,
        sent=row.sent,
    )


class DeliveryStore:
    """Deliveries and attempts in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def add(self, values: Mapping[str, Any]) -> tuple[DeliveryRow, bool]:
        """Queue a delivery; (row, True) when new, (the existing row, False) when its key is
        already queued or delivered: the same key is never delivered twice."""
        existing = self.by_key(str(values["key"]))
        if existing is not None:
            return existing, False
        now = utcnow()
        row = dict(values)
        row["config"] = json.dumps(row.get("config") or {}, ensure_ascii=False, sort_keys=True)
        try:
            with self.store.begin() as conn:
                new_id = conn.execute(
                    insert(schema.deliveries).values(
                        **row, status="queued", attempts=0, created=now, updated=now
                    )
                ).inserted_primary_key
        except IntegrityError:
            again = self.by_key(str(values["key"]))
            if again is None:
                raise
            return again, False
        assert new_id is not None
        return self.get(int(new_id[0])), True

    def get(self, delivery_id: int) -> DeliveryRow:
        """The delivery with this id, or NotFoundError."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.deliveries).where(schema.deliveries.c.id == delivery_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no delivery {delivery_id}")
        return _row(row)

    def by_key(self, key: str) -> DeliveryRow | None:
        """The delivery with this idempotency key, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.deliveries).where(schema.deliveries.c.key == key)
            ).first()
        return _row(row) if row is not None else None

    def for_ref(self, ref: str) -> list[DeliveryRow]:
        """Every delivery of one thing (e.g. "package:12"), oldest first."""
        d = schema.deliveries
        with self.engine.connect() as conn:
            rows = conn.execute(select(d).where(d.c.ref == ref).order_by(d.c.id)).all()
        return [_row(r) for r in rows]

    def listing(
        self, kind: str | None = None, status: str | None = None, limit: int = 200
    ) -> list[DeliveryRow]:
        """The latest deliveries, newest first, optionally of one kind and status."""
        d = schema.deliveries
        query = select(d).order_by(d.c.id.desc()).limit(limit)
        if kind:
            query = query.where(d.c.kind == kind)
        if status:
            query = query.where(d.c.status == status)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).all()]

    def due(self, now: datetime, kind: str | None = None) -> list[DeliveryRow]:
        """Queued deliveries whose next attempt is due, and claims a dead worker left behind."""
        d = schema.deliveries
        query = (
            select(d)
            .where(
                or_(
                    and_(
                        d.c.status == "queued",
                        or_(d.c.next_attempt.is_(None), d.c.next_attempt <= now),
                    ),
                    and_(d.c.status == "sending", d.c.updated < now - LEASE),
                )
            )
            .order_by(d.c.next_attempt, d.c.id)
        )
        if kind:
            query = query.where(d.c.kind == kind)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).all()]

    def claim(self, delivery_id: int, now: datetime, *, force: bool = False) -> bool:
        """Mark the delivery `sending` if it is due (or `force`: due or not, e.g. a send the
        operator asked for now); False when another worker has it or it is done."""
        d = schema.deliveries
        ready = d.c.status == "queued"
        if not force:
            ready = and_(ready, or_(d.c.next_attempt.is_(None), d.c.next_attempt <= now))
        stale = and_(d.c.status == "sending", d.c.updated < now - LEASE)
        with self.store.begin() as conn:
            result = conn.execute(
                update(d)
                .where(d.c.id == delivery_id, or_(ready, stale))
                .values(status="sending", updated=now)
            )
        return bool(result.rowcount)

    def start_attempt(self, delivery_id: int, number: int, now: datetime) -> int:
        """Record that attempt `number` has started; returns the attempt row's id."""
        with self.store.begin() as conn:
            conn.execute(
                update(schema.deliveries)
                .where(schema.deliveries.c.id == delivery_id)
                .values(attempts=number, updated=now)
            )
            new_id = conn.execute(
                insert(schema.delivery_attempts).values(
                    delivery_id=delivery_id, number=number, started=now, ok=False, error=""
                )
            ).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    def acknowledge(self, delivery_id: int, names: tuple[str, ...]) -> None:
        """Keep the files the destination has accepted, so a retry resumes after them."""
        with self.store.begin() as conn:
            conn.execute(
                update(schema.deliveries)
                .where(schema.deliveries.c.id == delivery_id)
                .values(progress="\n".join(names), updated=utcnow())
            )

    def finish_attempt(
        self,
        delivery_id: int,
        attempt_id: int,
        now: datetime,
        *,
        ok: bool,
        error: str = "",
        receipt: str = "",
        next_attempt: datetime | None = None,
        final: bool = False,
    ) -> DeliveryRow:
        """Close an attempt: sent, queued again for `next_attempt`, or failed when `final`."""
        status = "sent" if ok else ("failed" if final else "queued")
        values: dict[str, Any] = {"status": status, "updated": now, "error": error}
        if ok:
            values.update(sent=now, receipt=receipt, next_attempt=None)
        else:
            values["next_attempt"] = None if final else next_attempt
        with self.store.begin() as conn:
            conn.execute(
                update(schema.delivery_attempts)
                .where(schema.delivery_attempts.c.id == attempt_id)
                .values(finished=now, ok=ok, error=error)
            )
            conn.execute(
                update(schema.deliveries)
                .where(schema.deliveries.c.id == delivery_id)
                .values(**values)
            )
        return self.get(delivery_id)

    def requeue(self, delivery_id: int, max_attempts: int) -> DeliveryRow:
        """Give a failed delivery a new round of `max_attempts` tries (the operator's retry);
        acknowledged files stay acknowledged."""
        d = schema.deliveries
        with self.store.begin() as conn:
            conn.execute(
                update(d)
                .where(d.c.id == delivery_id, d.c.status == "failed")
                .values(
                    status="queued",
                    max_attempts=d.c.attempts + max_attempts,
                    next_attempt=None,
                    updated=utcnow(),
                )
            )
        return self.get(delivery_id)

    def attempts(self, delivery_id: int) -> list[AttemptRow]:
        """The attempts of one delivery, first first."""
        a = schema.delivery_attempts
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a).where(a.c.delivery_id == delivery_id).order_by(a.c.number, a.c.id)
            ).all()
        return [AttemptRow(r.number, r.started, r.finished, r.ok, r.error) for r in rows]
