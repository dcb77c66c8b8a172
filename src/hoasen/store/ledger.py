"""Reading and writing the exchange ledger: one row per package sent to a partner and per
document received from one, with items, format, transport, attempts, bytes and checksum; and
the per-partner counts the office reports ("1,000 articles exchanged")."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from hoasen.errors import NotFoundError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

DIRECTIONS = ("sent", "received")


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry."""

    id: int
    direction: str
    partner_id: int | None
    plan_id: int | None
    package_id: int | None
    delivery_id: int | None
    sequence: int | None
    format: str
    transport: str
    origin: str
    items: list[list[Any]]
    n_items: int
    languages: tuple[str, ...]
    attempts: int
    status: str
    bytes: int
    checksum: str
    operator: str
    error: str
    created: datetime
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """The entry as the CLI's and API's JSON document."""
        return {
            "id": self.id,
            "direction": self.direction,
            "partner_id": self.partner_id,
            "plan_id": self.plan_id,
            "package_id": self.package_id,
            "delivery_id": self.delivery_id,
            "sequence": self.sequence,
            "format": self.format,
            "transport": self.transport,
            "origin": self.origin,
            "items": self.items,
            "n_items": self.n_items,
            "languages": list(self.languages),
            "attempts": self.attempts,
            "status": self.status,
            "bytes": self.bytes,
            "checksum": self.checksum,
            "operator": self.operator,
            "error": self.error,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }


def _row(row: Any) -> LedgerRow:
    return LedgerRow(
        id=row.id,
        direction=row.direction,
        partner_id=row.partner_id,
        plan_id=row.plan_id,
        package_id=row.package_id,
        delivery_id=row.delivery_id,
        sequence=row.sequence,
        format=row.format,
        transport=row.transport,
        origin=row.origin,
        items=json.loads(row.items or "[]"),
        n_items=row.n_items,
        languages=tuple(x for x in row.languages.split(",") if x),
        attempts=row.attempts,
        status=row.status,
        bytes=row.bytes,
        checksum=row.checksum,
        operator=row.operator,
        error=row.error,
        created=row.created,
        updated=row.updated,
    )


@dataclass(frozen=True)
class ExchangeCount:
    """Items exchanged with one partner in one direction, by language (for statistics)."""

    partner_id: int | None
    direction: str
    language: str
    packages: int
    items: int


class LedgerStore:
    """The exchange ledger of one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def record(self, values: Mapping[str, Any]) -> LedgerRow:
        """Add an entry. `items` is a list of [article_id, version] (or [article_id, version,
        language]) pairs; `languages` a sequence of codes."""
        now = utcnow()
        row = dict(values)
        items: Sequence[Any] = row.pop("items", ()) or ()
        row["items"] = json.dumps([list(i) for i in items], ensure_ascii=False)
        row.setdefault("n_items", len(items))
        row["languages"] = ",".join(sorted(set(row.get("languages") or ())))
        row.setdefault("created", now)
        with self.store.begin() as conn:
            new_id = conn.execute(
                insert(schema.exchange_ledger).values(**row, updated=now)
            ).inserted_primary_key
        assert new_id is not None
        return self.get(int(new_id[0]))

    def update(self, entry_id: int, **values: Any) -> LedgerRow:
        """Change an entry (status, attempts, error, delivery...) and stamp it."""
        with self.store.begin() as conn:
            conn.execute(
                update(schema.exchange_ledger)
                .where(schema.exchange_ledger.c.id == entry_id)
                .values(**values, updated=utcnow())
            )
        return self.get(entry_id)

    def get(self, entry_id: int) -> LedgerRow:
        """One entry, or NotFoundError."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.exchange_ledger).where(schema.exchange_ledger.c.id == entry_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no ledger entry {entry_id}")
        return _row(row)

    def for_package(self, package_id: int) -> LedgerRow | None:
        """The (latest) sent entry of one package."""
        t = schema.exchange_ledger
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t)
                .where(t.c.package_id == package_id, t.c.direction == "sent")
                .order_by(t.c.id.desc())
            ).first()
        return _row(row) if row is not None else None

    def entries(
        self,
        *,
        partner_id: int | None = None,
        direction: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 500,
    ) -> list[LedgerRow]:
        """Entries newest first, filtered by partner, direction and period [since, until)."""
        t = schema.exchange_ledger
        query = select(t).order_by(t.c.created.desc(), t.c.id.desc()).limit(limit)
        if partner_id is not None:
            query = query.where(t.c.partner_id == partner_id)
        if direction:
            query = query.where(t.c.direction == direction)
        if since is not None:
            query = query.where(t.c.created >= since)
        if until is not None:
            query = query.where(t.c.created < until)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query).all()]

    def counts(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[ExchangeCount]:
        """Packages and items per partner, direction and language in [since, until): only
        what was really sent (status sent) or received (status received)."""
        t = schema.exchange_ledger
        query = (
            select(
                t.c.partner_id,
                t.c.direction,
                t.c.languages,
                func.count().label("packages"),
                func.coalesce(func.sum(t.c.n_items), 0).label("items"),
            )
            .where(t.c.status.in_(("sent", "received")))
            .group_by(t.c.partner_id, t.c.direction, t.c.languages)
        )
        if since is not None:
            query = query.where(t.c.created >= since)
        if until is not None:
            query = query.where(t.c.created < until)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            ExchangeCount(r.partner_id, r.direction, r.languages or "", r.packages, int(r.items))
            for r in rows
        ]
