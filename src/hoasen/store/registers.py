"""Reading and writing the office's registers: delegations and their activities, foreign press
groups and accredited journalists, the people named in them, and the articles linked to each
entry (SQLAlchemy Core, on the Store's engine).

Validation, country resolution and statistics live in `hoasen.registers`; this module only
stores. Every write takes an optional connection so an import can put a whole file in one
transaction: all rows or none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from hoasen.errors import NotFoundError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow
from hoasen.store.schema_registers import (
    delegation_activities,
    delegations,
    journalists,
    press_groups,
    register_links,
    register_people,
)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def split_list(value: str) -> tuple[str, ...]:
    """The items of a stored comma list, stripped, empties dropped."""
    return tuple(part for part in (p.strip() for p in value.split(",")) if part)


@dataclass(frozen=True)
class PersonRow:
    """A person named in a register: only a name, a role, an outlet and a nationality."""

    id: int
    name: str
    role: str
    outlet: str
    nationality: str | None
    erased: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The person as a JSON document."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "outlet": self.outlet,
            "nationality": self.nationality,
            "erased": self.erased.isoformat() if self.erased else None,
        }


@dataclass(frozen=True)
class DelegationRow:
    """One delegation, incoming or outgoing; `members` counts every delegate."""

    id: int
    direction: str
    title: str
    country: str | None
    organisation: str
    entity_id: str | None
    head_id: int | None
    level: str
    members: int
    starts: date
    ends: date | None
    purpose: tuple[str, ...]
    agreement_id: int | None
    status: str
    documents: str
    notes: str

    def as_json(self) -> dict[str, Any]:
        """The delegation as a JSON document (dates ISO; the head only by id)."""
        return {
            "id": self.id,
            "direction": self.direction,
            "title": self.title,
            "country": self.country,
            "organisation": self.organisation,
            "entity_id": self.entity_id,
            "head_id": self.head_id,
            "level": self.level,
            "members": self.members,
            "starts": self.starts.isoformat(),
            "ends": _day(self.ends),
            "purpose": list(self.purpose),
            "agreement_id": self.agreement_id,
            "status": self.status,
            "documents": self.documents,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ActivityRow:
    """One item of a delegation's programme."""

    id: int
    delegation_id: int
    on: date
    at: str
    place: str
    description: str

    def as_json(self) -> dict[str, Any]:
        """The activity as a JSON document."""
        return {
            "id": self.id,
            "delegation_id": self.delegation_id,
            "on": self.on.isoformat(),
            "at": self.at,
            "place": self.place,
            "description": self.description,
        }


@dataclass(frozen=True)
class PressGroupRow:
    """A delegation of foreign journalists, guided by an officer of the office."""

    id: int
    title: str
    country: str | None
    outlets: tuple[str, ...]
    starts: date
    ends: date | None
    officer: str
    programme: str
    status: str
    notes: str

    def as_json(self) -> dict[str, Any]:
        """The press group as a JSON document."""
        return {
            "id": self.id,
            "title": self.title,
            "country": self.country,
            "outlets": list(self.outlets),
            "starts": self.starts.isoformat(),
            "ends": _day(self.ends),
            "officer": self.officer,
            "programme": self.programme,
            "status": self.status,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class JournalistRow:
    """An accredited journalist: the person, the group (None: on their own) and the permit."""

    id: int
    person_id: int
    group_id: int | None
    permit_number: str
    permit_authority: str
    valid_from: date | None
    valid_to: date | None
    areas: tuple[str, ...]
    topics: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The journalist's accreditation as a JSON document (the person only by id)."""
        return {
            "id": self.id,
            "person_id": self.person_id,
            "group_id": self.group_id,
            "permit_number": self.permit_number,
            "permit_authority": self.permit_authority,
            "valid_from": _day(self.valid_from),
            "valid_to": _day(self.valid_to),
            "areas": list(self.areas),
            "topics": list(self.topics),
        }


@dataclass(frozen=True)
class LinkRow:
    """An article linked to a register entry: suggested, then confirmed or rejected."""

    id: int
    register: str
    entry_id: int
    article_id: int
    status: str
    decided_by: str

    def as_json(self) -> dict[str, Any]:
        """The link as a JSON document."""
        return {
            "id": self.id,
            "register": self.register,
            "entry_id": self.entry_id,
            "article_id": self.article_id,
            "status": self.status,
            "decided_by": self.decided_by,
        }


def _person(r: Any) -> PersonRow:
    return PersonRow(r.id, r.name, r.role, r.outlet, r.nationality, r.erased)


def _delegation(r: Any) -> DelegationRow:
    return DelegationRow(
        id=r.id,
        direction=r.direction,
        title=r.title,
        country=r.country,
        organisation=r.organisation,
        entity_id=r.entity_id,
        head_id=r.head_id,
        level=r.level,
        members=r.members,
        starts=r.starts,
        ends=r.ends,
        purpose=split_list(r.purpose),
        agreement_id=r.agreement_id,
        status=r.status,
        documents=r.documents,
        notes=r.notes,
    )


def _group(r: Any) -> PressGroupRow:
    return PressGroupRow(
        id=r.id,
        title=r.title,
        country=r.country,
        outlets=split_list(r.outlets),
        starts=r.starts,
        ends=r.ends,
        officer=r.officer,
        programme=r.programme,
        status=r.status,
        notes=r.notes,
    )


def _journalist(r: Any) -> JournalistRow:
    return JournalistRow(
        id=r.id,
        person_id=r.person_id,
        group_id=r.group_id,
        permit_number=r.permit_number,
        permit_authority=r.permit_authority,
        valid_from=r.valid_from,
        valid_to=r.valid_to,
        areas=split_list(r.areas),
        topics=split_list(r.topics),
    )


def _link(r: Any) -> LinkRow:
    return LinkRow(r.id, r.register, r.entry_id, r.article_id, r.status, r.decided_by)


class RegisterStore:
    """Delegations, press groups, journalists, people and links in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    @contextmanager
    def transaction(self, conn: Connection | None = None) -> Iterator[Connection]:
        """The given connection, or a new one inside its own transaction."""
        if conn is not None:
            yield conn
            return
        with self.store.begin() as own:
            yield own

    def _insert(self, table: Table, values: Mapping[str, Any], conn: Connection | None) -> int:
        row = dict(values)
        if "updated" in table.c:
            row.setdefault("created", utcnow())
            row.setdefault("updated", row["created"])
        with self.transaction(conn) as c:
            new_id = c.execute(insert(table).values(**row)).inserted_primary_key
        assert new_id is not None
        return int(new_id[0])

    def _one(self, table: Table, row_id: int, what: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == row_id)).first()
        if row is None:
            raise NotFoundError(f"no {what} with id {row_id}")
        return row

    # ---------------------------------------------------------------- people

    def add_person(self, values: Mapping[str, Any], conn: Connection | None = None) -> int:
        """Store a person; returns the new id."""
        return self._insert(register_people, values, conn)

    def person(self, person_id: int) -> PersonRow:
        """The person with this id, or NotFoundError."""
        return _person(self._one(register_people, person_id, "person"))

    def people(self, ids: list[int]) -> dict[int, PersonRow]:
        """The people with these ids, by id."""
        if not ids:
            return {}
        t = register_people
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.id.in_(ids))).all()
        return {r.id: _person(r) for r in rows}

    def erase_person(self, person_id: int, conn: Connection | None = None) -> None:
        """Blank the person's name, role, outlet and nationality and mark the row erased; the
        row itself stays so the entries that name it (and the yearly counts) are unchanged."""
        self.person(person_id)
        now = utcnow()
        t = register_people
        with self.transaction(conn) as c:
            c.execute(
                update(t)
                .where(t.c.id == person_id)
                .values(name="", role="", outlet="", nationality=None, erased=now, updated=now)
            )

    def audit(
        self,
        user_name: str,
        action: str,
        target: str,
        detail: Mapping[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Write one row to the audit log (the same columns the web desk's `audit` writes;
        no user id: the caller is named, e.g. a command-line user)."""
        with self.transaction(conn) as c:
            c.execute(
                insert(schema.audit_log).values(
                    at=utcnow(),
                    user_id=None,
                    user_name=user_name[:100],
                    action=action[:50],
                    target=target,
                    detail=json.dumps(dict(detail or {}), ensure_ascii=False, default=str),
                )
            )

    def audit_entries(self, target: str) -> list[dict[str, Any]]:
        """The audit rows about one target, oldest first (for exports and tests)."""
        a = schema.audit_log.c
        query = select(schema.audit_log).where(a.target == target).order_by(a.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "at": r.at.isoformat(),
                "user": r.user_name,
                "action": r.action,
                "detail": json.loads(r.detail),
            }
            for r in rows
        ]

    # ---------------------------------------------------------------- delegations

    def add_delegation(self, values: Mapping[str, Any], conn: Connection | None = None) -> int:
        """Store a delegation (validated by the caller; `purpose` a tuple); returns its id."""
        row = dict(values)
        row["purpose"] = ",".join(row.get("purpose") or ())
        return self._insert(delegations, row, conn)

    def delegation(self, delegation_id: int) -> DelegationRow:
        """The delegation with this id, or NotFoundError."""
        return _delegation(self._one(delegations, delegation_id, "delegation"))

    def delegations(
        self,
        since: date | None = None,
        until: date | None = None,
        direction: str | None = None,
        head_id: int | None = None,
    ) -> list[DelegationRow]:
        """Delegations starting in [since, until], oldest first."""
        c = delegations.c
        query = select(delegations).order_by(c.starts, c.id)
        if since is not None:
            query = query.where(c.starts >= since)
        if until is not None:
            query = query.where(c.starts <= until)
        if direction is not None:
            query = query.where(c.direction == direction)
        if head_id is not None:
            query = query.where(c.head_id == head_id)
        with self.engine.connect() as conn:
            return [_delegation(r) for r in conn.execute(query).all()]

    def add_activity(self, values: Mapping[str, Any], conn: Connection | None = None) -> int:
        """Store one programme item of a delegation."""
        return self._insert(delegation_activities, values, conn)

    def activities(self, delegation_id: int) -> list[ActivityRow]:
        """A delegation's programme, in order."""
        c = delegation_activities.c
        query = (
            select(delegation_activities)
            .where(c.delegation_id == delegation_id)
            .order_by(c.on, c.at, c.id)
        )
        with self.engine.connect() as conn:
            return [
                ActivityRow(r.id, r.delegation_id, r.on, r.at, r.place, r.description)
                for r in conn.execute(query).all()
            ]

    # ---------------------------------------------------------------- press

    def add_group(self, values: Mapping[str, Any], conn: Connection | None = None) -> int:
        """Store a press group (`outlets` a tuple); returns its id."""
        row = dict(values)
        row["outlets"] = ",".join(row.get("outlets") or ())
        return self._insert(press_groups, row, conn)

    def group(self, group_id: int) -> PressGroupRow:
        """The press group with this id, or NotFoundError."""
        return _group(self._one(press_groups, group_id, "press group"))

    def groups(self, since: date | None = None, until: date | None = None) -> list[PressGroupRow]:
        """Press groups starting in [since, until], oldest first."""
        c = press_groups.c
        query = select(press_groups).order_by(c.starts, c.id)
        if since is not None:
            query = query.where(c.starts >= since)
        if until is not None:
            query = query.where(c.starts <= until)
        with self.engine.connect() as conn:
            return [_group(r) for r in conn.execute(query).all()]

    def add_journalist(self, values: Mapping[str, Any], conn: Connection | None = None) -> int:
        """Store a journalist's accreditation (`areas`, `topics` tuples); returns its id."""
        row = dict(values)
        row["areas"] = ",".join(row.get("areas") or ())
        row["topics"] = ",".join(row.get("topics") or ())
        return self._insert(journalists, row, conn)

    def journalist(self, journalist_id: int) -> JournalistRow:
        """The journalist with this id, or NotFoundError."""
        return _journalist(self._one(journalists, journalist_id, "journalist"))

    def journalists(
        self, group_ids: list[int] | None = None, person_id: int | None = None
    ) -> list[JournalistRow]:
        """Journalists, all or those of some groups or of one person, by id."""
        c = journalists.c
        query = select(journalists).order_by(c.id)
        if group_ids is not None:
            query = query.where(c.group_id.in_(group_ids))
        if person_id is not None:
            query = query.where(c.person_id == person_id)
        with self.engine.connect() as conn:
            return [_journalist(r) for r in conn.execute(query).all()]

    # ---------------------------------------------------------------- links

    def links(
        self, register: str, entry_ids: list[int] | None = None, status: str | None = None
    ) -> list[LinkRow]:
        """Articles linked to entries of one register."""
        c = register_links.c
        query = select(register_links).where(c.register == register).order_by(c.id)
        if entry_ids is not None:
            query = query.where(c.entry_id.in_(entry_ids))
        if status is not None:
            query = query.where(c.status == status)
        with self.engine.connect() as conn:
            return [_link(r) for r in conn.execute(query).all()]

    def suggest_link(self, register: str, entry_id: int, article_id: int) -> bool:
        """Add a suggested link unless the pair is already linked (in any status); True when
        added, so a rejected suggestion never comes back."""
        c = register_links.c
        with self.store.begin() as conn:
            known = conn.execute(
                select(c.id).where(
                    c.register == register, c.entry_id == entry_id, c.article_id == article_id
                )
            ).first()
            if known is not None:
                return False
            conn.execute(
                insert(register_links).values(
                    register=register,
                    entry_id=entry_id,
                    article_id=article_id,
                    status="suggested",
                    decided_by="",
                    created=utcnow(),
                )
            )
        return True

    def decide_link(self, link_id: int, status: str, officer: str) -> LinkRow:
        """Set a link's status (confirmed / rejected) and who decided it."""
        self._one(register_links, link_id, "link")
        with self.store.begin() as conn:
            conn.execute(
                update(register_links)
                .where(register_links.c.id == link_id)
                .values(status=status, decided_by=officer[:120])
            )
        return _link(self._one(register_links, link_id, "link"))
