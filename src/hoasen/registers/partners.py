"""The partner desk: partner organisations and the cooperation agreements made with them.

A partner may be linked to a gazetteer entity, so it is found by any name the gazetteer knows
for that entity, in any language ("Guangxi Daily Media Group", "Tập đoàn Truyền thông Báo Quảng
Tây" and "广西日报传媒集团" are one partner). Agreements are validated here (date order, known
scope and status) and `due` lists the active ones coming up for renewal, so nothing lapses
unnoticed. Contacts are personal data: only name, role, work email and phone and a note are kept,
and an email or phone number that cannot be one is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hoasen.analyze.gazetteer import Entity, Gazetteer, fold
from hoasen.errors import NotFoundError, UsageError
from hoasen.store.db import Store
from hoasen.store.partners import (
    ActivityRow,
    AgreementRow,
    ContactRow,
    PartnerRow,
    PartnerStore,
)

AGREEMENT_SCOPES = ("news-exchange", "co-production", "delegations", "training", "other")
AGREEMENT_STATUSES = ("draft", "active", "expired", "terminated")
# Usual kinds of activity under an agreement (offered by the forms; any short word is accepted)
ACTIVITY_KINDS = (
    "exchange",
    "delegation",
    "visit",
    "training",
    "co-production",
    "meeting",
    "other",
)
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]{2,}")
_PHONE = re.compile(r"\+?[0-9 ()./-]{5,50}")
PARTNER_KINDS = (
    "press-agency",
    "broadcaster",
    "newspaper",
    "portal",
    "government",
    "media-group",
    "other",
)


@dataclass(frozen=True)
class DueAgreement:
    """An active agreement whose end is near (`days_left` >= 0) or already past ("overdue")."""

    agreement: AgreementRow
    partner: PartnerRow
    days_left: int

    @property
    def state(self) -> str:
        """`overdue` when the end date has passed and the agreement is still active, else `due`."""
        return "overdue" if self.days_left < 0 else "due"

    def as_json(self) -> dict[str, Any]:
        """The agreement with its partner's name, days left and state."""
        return {
            **self.agreement.as_json(),
            "partner": self.partner.name,
            "partner_slug": self.partner.slug,
            "days_left": self.days_left,
            "state": self.state,
        }


def slugify(text: str) -> str:
    """A lower-case ASCII slug: diacritics dropped, đ as d, other runs as one hyphen."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:120]


def parse_day(value: str | date | None, name: str) -> date | None:
    """A date from ISO text (2026-11-23); a clear UsageError naming the field otherwise."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise UsageError(f"{name} must be a date like 2026-11-23, not {value!r}") from exc


def _csv(values: str | Iterable[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    items = values.split(",") if isinstance(values, str) else values
    return tuple(dict.fromkeys(v.strip() for v in items if v.strip()))


class PartnerDesk:
    """Partners and agreements over one store, names resolved through the gazetteer."""

    def __init__(self, store: Store, gazetteer: Gazetteer) -> None:
        self.rows = PartnerStore(store)
        self.gazetteer = gazetteer

    # ---------------------------------------------------------------- partners

    def add_partner(
        self,
        name: str,
        *,
        entity: str | None = None,
        country: str | None = None,
        languages: str | Iterable[str] | None = None,
        kind: str = "",
        notes: str = "",
        slug: str | None = None,
    ) -> PartnerRow:
        """Register a partner. `entity` is a gazetteer id or name; when omitted, a gazetteer
        organisation of that name is linked. Country defaults to the entity's."""
        name = name.strip()
        if not name:
            raise UsageError("a partner needs a name")
        linked = self._entity(entity) if entity else self._org_named(name)
        if entity and linked is None:
            raise NotFoundError(f"the gazetteer has no entity {entity!r}")
        country = (country or (linked.country if linked else "") or "").strip().upper() or None
        if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
            raise UsageError(f"country must be a two-letter ISO code like CN, not {country!r}")
        kind = kind.strip().lower()
        if kind and kind not in PARTNER_KINDS:
            raise UsageError(
                f"unknown partner kind {kind!r}; use one of {', '.join(PARTNER_KINDS)}"
            )
        base = slug or (linked.name("en") if linked else "") or name
        made = slugify(base) or (linked.id.split(".")[-1] if linked else "")
        if not made:
            made = f"partner-{len(self.rows.partners()) + 1}"
        return self.rows.add_partner(
            {
                "slug": made,
                "entity_id": linked.id if linked else None,
                "name": name,
                "country": country,
                "languages": _csv(languages),
                "kind": kind,
                "notes": notes,
            }
        )

    def partners(self) -> list[PartnerRow]:
        """Every partner, by name."""
        return self.rows.partners()

    def partner(self, ref: str | int) -> PartnerRow:
        """The partner meant by `ref`: its id, slug, name, or any gazetteer name of its entity
        in any language. NotFoundError when none matches."""
        every = self.rows.partners()
        text = str(ref).strip()
        if text.isdigit():
            for p in every:
                if p.id == int(text):
                    return p
        key = fold(text)
        for p in every:
            if p.slug == text.lower() or fold(p.name) == key:
                return p
        found = self.gazetteer.lookup(text)
        if found is not None:
            ids = {found.id, self.gazetteer.current(found).id}
            for p in every:
                if p.entity_id in ids:
                    return p
        raise NotFoundError(f"no partner called {text!r} (see `hoasen partners list`)")

    def names(self, partner: PartnerRow) -> list[tuple[str, str]]:
        """Every (language, name) the partner is known by: the gazetteer's, then its own."""
        entity = self.gazetteer.get(partner.entity_id) if partner.entity_id else None
        pairs = list(entity.all_names()) if entity else []
        if all(name != partner.name for _, name in pairs):
            pairs.insert(0, ("", partner.name))
        return pairs

    def _entity(self, ref: str) -> Entity | None:
        return self.gazetteer.get(ref.strip()) or self.gazetteer.lookup(ref)

    def _org_named(self, name: str) -> Entity | None:
        found = self.gazetteer.lookup(name)
        return found if found is not None and found.type == "ORG" else None

    # ---------------------------------------------------------------- contacts

    def add_contact(
        self,
        partner: str | int,
        *,
        name: str,
        role: str = "",
        email: str = "",
        phone: str = "",
        notes: str = "",
    ) -> ContactRow:
        """Record a person to talk to at a partner. Only what the work needs is kept; an email
        or phone number that cannot be one is refused rather than stored."""
        owner = self.partner(partner)
        name, role, email, phone = name.strip(), role.strip(), email.strip(), phone.strip()
        if not name:
            raise UsageError("a contact needs a name")
        if len(name) > 200 or len(role) > 100:
            raise UsageError("the contact's name or role is too long")
        if email and (len(email) > 320 or not _EMAIL.fullmatch(email)):
            raise UsageError(f"{email!r} is not an email address like name@example.org")
        digits = sum(c.isdigit() for c in phone)
        if phone and (not _PHONE.fullmatch(phone) or digits < 5):
            raise UsageError(f"{phone!r} is not a phone number like +84 203 3825 111")
        values = {"name": name, "role": role, "email": email, "phone": phone, "notes": notes}
        return self.rows.add_contact(owner.id, values)

    def contacts(self, partner: str | int) -> list[ContactRow]:
        """The contacts of a partner, by name."""
        return self.rows.contacts(self.partner(partner).id)

    def remove_contact(self, contact_id: int) -> ContactRow:
        """Delete a contact for good; returns what was deleted (NotFoundError if none)."""
        found = self.rows.contact(contact_id)
        self.rows.delete_contact(contact_id)
        return found

    # ---------------------------------------------------------------- agreements

    def add_agreement(
        self,
        partner: str | int,
        *,
        title: str,
        starts: str | date,
        ends: str | date | None = None,
        signed: str | date | None = None,
        scope: str | Iterable[str] | None = None,
        renewal: str = "",
        status: str = "active",
        parties: str = "",
        document: str | None = None,
        notes: str = "",
    ) -> AgreementRow:
        """Record an agreement with a partner. Dates must be in order (signed no later than the
        end, start no later than the end); scope and status must be known words."""
        owner = self.partner(partner)
        title = title.strip()
        if not title:
            raise UsageError("an agreement needs a title")
        start_day = parse_day(starts, "--starts")
        end_day = parse_day(ends, "--ends")
        signed_day = parse_day(signed, "--signed")
        assert start_day is not None
        if end_day is not None and end_day < start_day:
            raise UsageError(f"the agreement cannot end ({end_day}) before it starts ({start_day})")
        if signed_day is not None and end_day is not None and signed_day > end_day:
            raise UsageError(
                f"the agreement cannot be signed ({signed_day}) after it ends ({end_day})"
            )
        scopes = _csv(scope) or ("news-exchange",)
        unknown = [s for s in scopes if s not in AGREEMENT_SCOPES]
        if unknown:
            raise UsageError(
                f"unknown scope {', '.join(unknown)}; use {', '.join(AGREEMENT_SCOPES)}"
            )
        status = status.strip().lower()
        if status not in AGREEMENT_STATUSES:
            raise UsageError(f"unknown status {status!r}; use {', '.join(AGREEMENT_STATUSES)}")
        return self.rows.add_agreement(
            {
                "partner_id": owner.id,
                "title": title,
                "parties": parties,
                "signed": signed_day,
                "starts": start_day,
                "ends": end_day,
                "renewal": renewal,
                "scope": scopes,
                "document": document,
                "status": status,
                "notes": notes,
            }
        )

    def agreements(self, partner: str | int | None = None) -> list[AgreementRow]:
        """Every agreement, or those of one partner."""
        owner = self.partner(partner) if partner is not None else None
        return self.rows.agreements(partner_id=owner.id if owner else None)

    def agreement(self, agreement_id: int) -> AgreementRow:
        """One agreement by id (NotFoundError when there is none)."""
        return self.rows.agreement(agreement_id)

    def set_status(self, agreement_id: int, status: str) -> AgreementRow:
        """Change an agreement's status (e.g. to `expired` once renewed or lapsed)."""
        if status not in AGREEMENT_STATUSES:
            raise UsageError(f"unknown status {status!r}; use {', '.join(AGREEMENT_STATUSES)}")
        self.rows.agreement(agreement_id)
        return self.rows.set_status(agreement_id, status)

    def due(self, within_days: int = 60, today: date | None = None) -> list[DueAgreement]:
        """Active agreements ending within `within_days` of `today`, and active ones whose end
        has already passed (overdue), soonest first. Open-ended agreements are never due."""
        if within_days < 0:
            raise UsageError("the number of days must be zero or more")
        today = today or date.today()
        limit = today + timedelta(days=within_days)
        owners = {p.id: p for p in self.rows.partners()}
        found = [
            DueAgreement(a, owners[a.partner_id], (a.ends - today).days)
            for a in self.rows.agreements(status="active")
            if a.ends is not None and a.ends <= limit
        ]
        return sorted(found, key=lambda d: (d.days_left, d.agreement.id))

    # ---------------------------------------------------------------- activities

    def add_activity(
        self, agreement_id: int, on: str | date, kind: str, description: str = ""
    ) -> ActivityRow:
        """Record something done under an agreement (a delegation, an exchange round...)."""
        self.rows.agreement(agreement_id)
        day = parse_day(on, "date")
        if day is None:
            raise UsageError("an activity needs a date")
        kind = kind.strip().lower()
        if not kind or len(kind) > 40:
            raise UsageError(f"an activity needs a short kind, e.g. {', '.join(ACTIVITY_KINDS)}")
        return self.rows.add_activity(agreement_id, day, kind, description.strip())

    def activities(self, agreement_id: int) -> list[ActivityRow]:
        """The history of an agreement, oldest first."""
        self.rows.agreement(agreement_id)
        return self.rows.activities(agreement_id)
