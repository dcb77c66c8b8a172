"""Reading and writing exchange plans, the packages built from them (items and built files) and
what has already gone to each partner (SQLAlchemy Core, on the Store's engine).

Validation lives in `hoasen.exchange.plans`; this module only stores. A package's sequence is
per partner and assigned inside the insert's transaction (two builders at once clash on the
unique constraint, and the loser retries once); status changes are conditional updates, so two
workers never both approve, send or cancel one package.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

PACKAGE_STATUSES = ("built", "waiting", "approved", "sending", "sent", "failed", "cancelled")
"""built: ready for an editor; waiting: machine translations await approval; approved: an
editor let it go; sending/sent/failed: its delivery; cancelled: never to be sent."""
PENDING = ("built", "waiting", "approved", "sending")
"""Statuses whose articles are on their way: a new package of the same partner leaves them out."""
_CHUNK = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class PlanRow:
    """One exchange plan as stored (selection and transport config decoded)."""

    id: int
    partner_id: int
    name: str
    direction: str
    schedule: str
    selection: dict[str, Any]
    languages: tuple[str, ...]
    machine_translate: bool
    format: str
    transport: str
    transport_config: dict[str, Any]
    secret: str
    automatic: bool
    active: bool
    next_due: datetime | None
    last_run: datetime | None
    created: datetime
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """The plan as the CLI's and API's JSON document: the secret by name, never its value."""
        return {
            "id": self.id,
            "partner_id": self.partner_id,
            "name": self.name,
            "direction": self.direction,
            "schedule": self.schedule,
            "selection": self.selection,
            "languages": list(self.languages),
            "machine_translate": self.machine_translate,
            "format": self.format,
            "transport": self.transport,
            "transport_config": self.transport_config,
            "secret": self.secret,
            "automatic": self.automatic,
            "active": self.active,
            "next_due": _iso(self.next_due),
            "last_run": _iso(self.last_run),
            "created": self.created.isoformat(),
        }


@dataclass(frozen=True)
class PackageRow:
    """One package built from a plan for its partner."""

    id: int
    plan_id: int
    partner_id: int
    sequence: int
    status: str
    format: str
    since: datetime | None
    until: datetime | None
    built: datetime
    built_by: str
    approved: datetime | None
    approved_by: str
    sent: datetime | None
    bytes: int
    checksum: str
    error: str

    def as_json(self) -> dict[str, Any]:
        """The package as JSON (without items and files)."""
        return {
            "id": self.id,
            "plan_id": self.plan_id,
            "partner_id": self.partner_id,
            "sequence": self.sequence,
            "status": self.status,
            "format": self.format,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "built": self.built.isoformat(),
            "built_by": self.built_by,
            "approved": _iso(self.approved),
            "approved_by": self.approved_by,
            "sent": _iso(self.sent),
            "bytes": self.bytes,
            "checksum": self.checksum,
            "error": self.error,
        }


@dataclass(frozen=True)
class PackageItem:
    """One article in one language inside a package (`translation_id` for a translation)."""

    position: int
    article_id: int
    version: str
    language: str
    translation_id: int | None
    headline: str
    topic: str

    def as_json(self) -> dict[str, Any]:
        """The item as JSON."""
        return {
            "position": self.position,
            "article_id": self.article_id,
            "version": self.version,
            "language": self.language,
            "translation_id": self.translation_id,
            "headline": self.headline,
            "topic": self.topic,
        }


@dataclass(frozen=True)
class PackageFile:
    """One built file of a package, kept in the database so any worker can send it."""

    name: str
    media_type: str
    data: bytes

    def as_json(self) -> dict[str, Any]:
        """Name, media type and size (not the bytes)."""
        return {"name": self.name, "media_type": self.media_type, "bytes": len(self.data)}


MakeContents = Callable[[int, int], tuple[Sequence[PackageItem], Sequence[PackageFile], str]]
"""Builds a package's items, files and checksum from its id and sequence number."""


def _plan(r: Any) -> PlanRow:
    return PlanRow(
        id=r.id,
        partner_id=r.partner_id,
        name=r.name,
        direction=r.direction,
        schedule=r.schedule,
        selection=json.loads(r.selection or "{}"),
        languages=tuple(x for x in (r.languages or "").split(",") if x),
        machine_translate=bool(r.machine_translate),
        format=r.format,
        transport=r.transport,
        transport_config=json.loads(r.transport_config or "{}"),
        secret=r.secret or "",
        automatic=bool(r.automatic),
        active=bool(r.active),
        next_due=r.next_due,
        last_run=r.last_run,
        created=r.created,
        updated=r.updated,
    )


def _package(r: Any) -> PackageRow:
    return PackageRow(
        id=r.id,
        plan_id=r.plan_id,
        partner_id=r.partner_id,
        sequence=r.sequence,
        status=r.status,
        format=r.format,
        since=r.since,
        until=r.until,
        built=r.built,
        built_by=r.built_by,
        approved=r.approved,
        approved_by=r.approved_by,
        sent=r.sent,
        bytes=r.bytes,
        checksum=r.checksum,
        error=r.error,
    )


def _plan_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plan values as columns: JSON documents dumped, languages joined."""
    row = dict(values)
    for key in ("selection", "transport_config"):
        if key in row and not isinstance(row[key], str):
            row[key] = json.dumps(row[key], ensure_ascii=False, sort_keys=True)
    if "languages" in row and not isinstance(row["languages"], str):
        row["languages"] = ",".join(row["languages"])
    return row


class ExchangeStore:
    """Plans, packages, their items and files in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- plans

    def add_plan(self, values: Mapping[str, Any]) -> PlanRow:
        """Store a new plan (`created` defaults to now); a name already in use is a
        UsageError."""
        row = _plan_values(values)
        row.setdefault("created", utcnow())
        row.setdefault("updated", row["created"])
        try:
            with self.store.begin() as conn:
                new_id = conn.execute(
                    insert(schema.exchange_plans).values(**row)
                ).inserted_primary_key
        except IntegrityError as exc:
            raise UsageError(f"a plan called {values['name']!r} already exists") from exc
        assert new_id is not None
        return self.plan(int(new_id[0]))

    def update_plan(self, plan_id: int, values: Mapping[str, Any]) -> PlanRow:
        """Change some of a plan's values."""
        row = _plan_values(values)
        try:
            with self.store.begin() as conn:
                conn.execute(
                    update(schema.exchange_plans)
                    .where(schema.exchange_plans.c.id == plan_id)
                    .values(**row, updated=utcnow())
                )
        except IntegrityError as exc:
            raise UsageError(f"a plan called {values.get('name')!r} already exists") from exc
        return self.plan(plan_id)

    def plan(self, plan_id: int) -> PlanRow:
        """The plan with this id, or NotFoundError."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.exchange_plans).where(schema.exchange_plans.c.id == plan_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no exchange plan with id {plan_id}")
        return _plan(row)

    def plan_named(self, name: str) -> PlanRow | None:
        """The plan called `name` (exactly, then ignoring case), if any."""
        p = schema.exchange_plans
        with self.engine.connect() as conn:
            row = conn.execute(select(p).where(p.c.name == name)).first()
            if row is None:
                row = conn.execute(select(p).where(func.lower(p.c.name) == name.lower())).first()
        return _plan(row) if row is not None else None

    def plans(
        self,
        partner_id: int | None = None,
        direction: str | None = None,
        active: bool | None = None,
    ) -> list[PlanRow]:
        """Plans by name, optionally of one partner, direction and state."""
        p = schema.exchange_plans
        query = select(p).order_by(p.c.name)
        if partner_id is not None:
            query = query.where(p.c.partner_id == partner_id)
        if direction is not None:
            query = query.where(p.c.direction == direction)
        if active is not None:
            query = query.where(p.c.active.is_(active))
        with self.engine.connect() as conn:
            return [_plan(r) for r in conn.execute(query).all()]

    def due_plans(self, now: datetime) -> list[PlanRow]:
        """Active outgoing plans whose next run is due, the longest overdue first."""
        p = schema.exchange_plans
        query = (
            select(p)
            .where(
                p.c.active.is_(True),
                p.c.direction == "out",
                p.c.next_due.is_not(None),
                p.c.next_due <= now,
            )
            .order_by(p.c.next_due, p.c.id)
        )
        with self.engine.connect() as conn:
            return [_plan(r) for r in conn.execute(query).all()]

    def claim_run(
        self, plan_id: int, seen_due: datetime, next_due: datetime | None, now: datetime
    ) -> bool:
        """Move a due plan's next run on, if no other worker did it first: the one that
        succeeds runs the plan this time."""
        p = schema.exchange_plans
        with self.store.begin() as conn:
            done = conn.execute(
                update(p)
                .where(p.c.id == plan_id, p.c.next_due == seen_due)
                .values(next_due=next_due, last_run=now, updated=now)
            )
        return bool(done.rowcount)

    # ---------------------------------------------------------------- packages

    def add_package(self, values: Mapping[str, Any], make: MakeContents) -> PackageRow:
        """Store a package under the partner's next sequence number, with the items and files
        `make(package_id, sequence)` builds for it, all in one transaction (so nobody sees a
        half-built package); retried once if another builder took the number first."""
        for attempt in (1, 2):
            try:
                with self.store.begin() as conn:
                    return self._insert_package(conn, values, make)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert_package(
        self, conn: Connection, values: Mapping[str, Any], make: MakeContents
    ) -> PackageRow:
        k = schema.exchange_packages
        partner_id = values["partner_id"]
        last = conn.execute(
            select(func.max(k.c.sequence)).where(k.c.partner_id == partner_id)
        ).scalar()
        sequence = int(last or 0) + 1
        row = {**values, "sequence": sequence}
        row.setdefault("built", utcnow())
        new_id = conn.execute(insert(k).values(**row)).inserted_primary_key
        assert new_id is not None
        package_id = int(new_id[0])
        items, files, checksum = make(package_id, sequence)
        _insert_items(conn, package_id, items)
        _insert_files(conn, package_id, files)
        conn.execute(
            update(k).where(k.c.id == package_id).values(bytes=_size(files), checksum=checksum)
        )
        found = conn.execute(select(k).where(k.c.id == package_id)).first()
        assert found is not None
        return _package(found)

    def replace_contents(
        self,
        package_id: int,
        items: Sequence[PackageItem],
        files: Sequence[PackageFile],
        checksum: str,
        **values: Any,
    ) -> PackageRow:
        """Put newly built items and files in a package (e.g. once its translations are
        approved), keeping its id and sequence."""
        with self.store.begin() as conn:
            i, f = schema.exchange_package_items, schema.exchange_package_files
            conn.execute(delete(i).where(i.c.package_id == package_id))
            conn.execute(delete(f).where(f.c.package_id == package_id))
            _insert_items(conn, package_id, items)
            _insert_files(conn, package_id, files)
            conn.execute(
                update(schema.exchange_packages)
                .where(schema.exchange_packages.c.id == package_id)
                .values(bytes=_size(files), checksum=checksum, **values)
            )
        return self.package(package_id)

    def package(self, package_id: int) -> PackageRow:
        """The package with this id, or NotFoundError."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.exchange_packages).where(schema.exchange_packages.c.id == package_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no exchange package {package_id}")
        return _package(row)

    def packages(
        self,
        plan_id: int | None = None,
        partner_id: int | None = None,
        status: str | Sequence[str] | None = None,
        limit: int = 200,
    ) -> list[PackageRow]:
        """Packages newest first, optionally of one plan, partner and status (or statuses)."""
        k = schema.exchange_packages
        query = select(k).order_by(k.c.id.desc()).limit(limit)
        if plan_id is not None:
            query = query.where(k.c.plan_id == plan_id)
        if partner_id is not None:
            query = query.where(k.c.partner_id == partner_id)
        if isinstance(status, str):
            query = query.where(k.c.status == status)
        elif status is not None:
            query = query.where(k.c.status.in_(list(status)))
        with self.engine.connect() as conn:
            return [_package(r) for r in conn.execute(query).all()]

    def items(self, package_id: int) -> list[PackageItem]:
        """A package's items in order."""
        i = schema.exchange_package_items
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(i).where(i.c.package_id == package_id).order_by(i.c.position, i.c.id)
            ).all()
        return [_item(r) for r in rows]

    def items_of(self, package_ids: Sequence[int]) -> dict[int, list[PackageItem]]:
        """The items of many packages, by package id."""
        i = schema.exchange_package_items
        out: dict[int, list[PackageItem]] = {p: [] for p in package_ids}
        with self.engine.connect() as conn:
            for at in range(0, len(package_ids), _CHUNK):
                part = list(package_ids[at : at + _CHUNK])
                rows = conn.execute(
                    select(i).where(i.c.package_id.in_(part)).order_by(i.c.position, i.c.id)
                ).all()
                for r in rows:
                    out[int(r.package_id)].append(_item(r))
        return out

    def files(self, package_id: int) -> list[PackageFile]:
        """A package's files in the order they are sent."""
        f = schema.exchange_package_files
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(f.c.name, f.c.media_type, f.c.data)
                .where(f.c.package_id == package_id)
                .order_by(f.c.id)
            ).all()
        return [PackageFile(r.name, r.media_type, bytes(r.data)) for r in rows]

    def set_status(
        self, package_id: int, status: str, expect: Iterable[str], **values: Any
    ) -> PackageRow | None:
        """Move a package to `status` if it is in one of `expect` now; None when it was not
        (another worker, or an editor, changed it first)."""
        if status not in PACKAGE_STATUSES:
            raise UsageError(f"unknown package status {status!r}")
        k = schema.exchange_packages
        with self.store.begin() as conn:
            done = conn.execute(
                update(k)
                .where(k.c.id == package_id, k.c.status.in_(list(expect)))
                .values(status=status, **values)
            )
        return self.package(package_id) if done.rowcount else None

    def last_package(self, plan_id: int, statuses: Sequence[str]) -> PackageRow | None:
        """The newest package of a plan in one of `statuses`."""
        found = self.packages(plan_id=plan_id, status=statuses, limit=1)
        return found[0] if found else None

    # ---------------------------------------------------------------- what went out

    def sent_versions(self, partner_id: int) -> set[tuple[int, str]]:
        """(article id, version) of every article sent to the partner."""
        return self._items_where(partner_id, ("sent",))

    def pending_articles(self, partner_id: int) -> set[tuple[int, str]]:
        """(article id, version) of the articles in the partner's packages on their way."""
        return self._items_where(partner_id, PENDING)

    def _items_where(self, partner_id: int, statuses: Sequence[str]) -> set[tuple[int, str]]:
        i, k = schema.exchange_package_items, schema.exchange_packages
        query = (
            select(i.c.article_id, i.c.version)
            .select_from(i.join(k, k.c.id == i.c.package_id))
            .where(k.c.partner_id == partner_id, k.c.status.in_(list(statuses)))
            .distinct()
        )
        with self.engine.connect() as conn:
            return {(int(a), str(v)) for a, v in conn.execute(query)}


def _size(files: Sequence[PackageFile]) -> int:
    return sum(len(f.data) for f in files)


def _item(r: Any) -> PackageItem:
    return PackageItem(
        position=r.position,
        article_id=r.article_id,
        version=r.version,
        language=r.language,
        translation_id=r.translation_id,
        headline=r.headline,
        topic=r.topic,
    )


def _insert_items(conn: Connection, package_id: int, items: Sequence[PackageItem]) -> None:
    if items:
        conn.execute(
            insert(schema.exchange_package_items),
            [
                {
                    "package_id": package_id,
                    "position": it.position,
                    "article_id": it.article_id,
                    "version": it.version,
                    "language": it.language,
                    "translation_id": it.translation_id,
                    "headline": it.headline,
                    "topic": it.topic,
                }
                for it in items
            ],
        )


def _insert_files(conn: Connection, package_id: int, files: Sequence[PackageFile]) -> None:
    for f in files:  # one by one: their ids keep the order they are sent in
        conn.execute(
            insert(schema.exchange_package_files).values(
                package_id=package_id, name=f.name, media_type=f.media_type, data=f.data
            )
        )
