"""Reading and writing partners, their contacts, cooperation agreements and the activities
under each agreement (SQLAlchemy Core, on the Store's engine).

Validation and name resolution live in `hoasen.registers.partners`; this module only stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in value.split(",")) if part)


@dataclass(frozen=True)
class PartnerRow:
    """One partner organisation as stored."""

    id: int
    slug: str
    entity_id: str | None
    name: str
    country: str | None
    languages: tuple[str, ...]
    kind: str
    notes: str
    created: datetime
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """The partner as the CLI's and API's JSON document."""
        return {
            "id": self.id,
            "slug": self.slug,
            "entity_id": self.entity_id,
            "name": self.name,
            "country": self.country,
            "languages": list(self.languages),
            "kind": self.kind,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class AgreementRow:
    """One cooperation agreement as stored; `ends` None means open-ended."""

    id: int
    partner_id: int
    title: str
    parties: str
    signed: date | None
    starts: date
    ends: date | None
    renewal: str
    scope: tuple[str, ...]
    document: str | None
    status: str
    notes: str

    def as_json(self) -> dict[str, Any]:
        """The agreement as the CLI's and API's JSON document (dates in ISO form)."""
        return {
            "id": self.id,
            "partner_id": self.partner_id,
            "title": self.title,
            "parties": self.parties,
            "signed": self.signed.isoformat() if self.signed else None,
            "starts": self.starts.isoformat(),
            "ends": self.ends.isoformat() if self.ends else None,
            "renewal": self.renewal,
            "scope": list(self.scope),
            "document": self.document,
            "status": self.status,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ActivityRow:
    """One thing done under an agreement (a delegation, an exchange, a training...)."""

    id: int
    agreement_id: int
    on: date
    kind: str
    description: str

    def as_json(self) -> dict[str, Any]:
        """The activity as a JSON document."""
        return {
            "id": self.id,
            "agreement_id": self.agreement_id,
            "on": self.on.isoformat(),
            "kind": self.kind,
            "description": self.description,
        }


@dataclass(frozen=True)
class ContactRow:
    """One person to talk to at a partner: personal data, shown to editors only."""

    id: int
    partner_id: int
    name: str
    role: str
    email: str
    phone: str
    notes: str

    def as_json(self) -> dict[str, Any]:
        """The contact as a JSON document."""
        return {
            "id": self.id,
            "partner_id": self.partner_id,
            "name": self.name,
            "role": self.role,
            "email": self.email,
            "phone": self.phone,
            "notes": self.notes,
        }


def _contact(row: Any) -> ContactRow:
    return ContactRow(row.id, row.partner_id, row.name, row.role, row.email, row.phone, row.notes)


def _partner(row: Any) -> PartnerRow:
    return PartnerRow(
        id=row.id,
        slug=row.slug,
        entity_id=row.entity_id,
        name=row.name,
        country=row.country,
        languages=_split(row.languages),
        kind=row.kind,
        notes=row.notes,
        created=row.created,
        updated=row.updated,
    )


def _agreement(row: Any) -> AgreementRow:
    return AgreementRow(
        id=row.id,
        partner_id=row.partner_id,
        title=row.title,
        parties=row.parties,
        signed=row.signed,
        starts=row.starts,
        ends=row.ends,
        renewal=row.renewal,
        scope=_split(row.scope),
        document=row.document,
        status=row.status,
        notes=row.notes,
    )


class PartnerStore:
    """Partners, contacts, agreements and activities in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- partners

    def add_partner(self, values: Mapping[str, Any]) -> PartnerRow:
        """Store a new partner; a slug already in use is a UsageError."""
        now = utcnow()
        row = dict(values)
        row["languages"] = ",".join(row.get("languages") or ())
        try:
            with self.store.begin() as conn:
                new_id = conn.execute(
                    insert(schema.partners).values(**row, created=now, updated=now)
                ).inserted_primary_key
        except IntegrityError as exc:
            raise UsageError(f"a partner called {values['slug']!r} already exists") from exc
        assert new_id is not None
        return self.partner(int(new_id[0]))

    def partner(self, partner_id: int) -> PartnerRow:
        """The partner with this id, or NotFoundError."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.partners).where(schema.partners.c.id == partner_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no partner with id {partner_id}")
        return _partner(row)

    def partners(self) -> list[PartnerRow]:
        """Every partner, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.partners).order_by(schema.partners.c.name)).all()
        return [_partner(r) for r in rows]

    # ---------------------------------------------------------------- contacts

    def add_contact(self, partner_id: int, values: Mapping[str, str]) -> ContactRow:
        """Store a contact of a partner (already validated by the caller)."""
        with self.store.begin() as conn:
            new_id = conn.execute(
                insert(schema.partner_contacts).values(**values, partner_id=partner_id)
            ).inserted_primary_key
        assert new_id is not None
        return self.contact(int(new_id[0]))

    def contact(self, contact_id: int) -> ContactRow:
        """The contact with this id, or NotFoundError."""
        t = schema.partner_contacts
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == contact_id)).first()
        if row is None:
            raise NotFoundError(f"no contact with id {contact_id}")
        return _contact(row)

    def contacts(self, partner_id: int) -> list[ContactRow]:
        """The contacts of one partner, by name."""
        t = schema.partner_contacts
        query = select(t).where(t.c.partner_id == partner_id).order_by(t.c.name, t.c.id)
        with self.engine.connect() as conn:
            return [_contact(r) for r in conn.execute(query).all()]

    def delete_contact(self, contact_id: int) -> None:
        """Delete a contact for good (personal data is not kept once it is not needed)."""
        t = schema.partner_contacts
        with self.store.begin() as conn:
            gone = conn.execute(delete(t).where(t.c.id == contact_id)).rowcount
        if not gone:
            raise NotFoundError(f"no contact with id {contact_id}")

    # ---------------------------------------------------------------- agreements

    def add_agreement(self, values: Mapping[str, Any]) -> AgreementRow:
        """Store a new agreement (already validated by the caller)."""
        now = utcnow()
        row = dict(values)
        row["scope"] = ",".join(row.get("scope") or ())
        with self.store.begin() as conn:
            new_id = conn.execute(
                insert(schema.agreements).values(**row, created=now, updated=now)
            ).inserted_primary_key
        assert new_id is not None
        return self.agreement(int(new_id[0]))

    def agreement(self, agreement_id: int) -> AgreementRow:
        """The agreement with this id, or NotFoundError."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.agreements).where(schema.agreements.c.id == agreement_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no agreement with id {agreement_id}")
        return _agreement(row)

    def agreements(
        self, *, partner_id: int | None = None, status: str | None = None
    ) -> list[AgreementRow]:
        """Agreements, optionally of one partner and/or in one status, by start date."""
        a = schema.agreements
        query = select(a).order_by(a.c.starts, a.c.id)
        if partner_id is not None:
            query = query.where(a.c.partner_id == partner_id)
        if status is not None:
            query = query.where(a.c.status == status)
        with self.engine.connect() as conn:
            return [_agreement(r) for r in conn.execute(query).all()]

    def set_status(self, agreement_id: int, status: str) -> AgreementRow:
        """Change an agreement's status."""
        a = schema.agreements
        with self.store.begin() as conn:
            conn.execute(
                update(a).where(a.c.id == agreement_id).values(status=status, updated=utcnow())
            )
        return self.agreement(agreement_id)

    # ---------------------------------------------------------------- activities

    def add_activity(self, agreement_id: int, on: date, kind: str, description: str) -> ActivityRow:
        """Record one activity under an agreement."""
        with self.store.begin() as conn:
            new_id = conn.execute(
                insert(schema.agreement_activities).values(
                    agreement_id=agreement_id, on=on, kind=kind, description=description
                )
            ).inserted_primary_key
            assert new_id is not None
            return self._activities(conn, agreement_id, int(new_id[0]))[0]

    def activities(self, agreement_id: int) -> list[ActivityRow]:
        """The activities under an agreement, oldest first."""
        with self.engine.connect() as conn:
            return self._activities(conn, agreement_id)

    @staticmethod
    def _activities(
        conn: Connection, agreement_id: int, activity_id: int | None = None
    ) -> list[ActivityRow]:
        t = schema.agreement_activities
        query = select(t).where(t.c.agreement_id == agreement_id).order_by(t.c.on, t.c.id)
        if activity_id is not None:
            query = query.where(t.c.id == activity_id)
        return [
            ActivityRow(r.id, r.agreement_id, r.on, r.kind, r.description)
            for r in conn.execute(query).all()
        ]
