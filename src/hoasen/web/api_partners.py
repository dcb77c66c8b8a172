"""The partner register's REST API under /api/v1: partners, cooperation agreements (and which are
due for renewal), the activities under them and partners' contacts. Reading partners and
agreements needs a signed-in user; writing needs an editor. Contacts are personal data: even
reading them needs an editor, and the audit log records who touched which contact, not the
contact's details."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from hoasen.desk import Desk
from hoasen.errors import NotFoundError
from hoasen.registers.partners import PartnerDesk
from hoasen.store.partners import PartnerRow
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_require, api_user, get_accounts, get_desk

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
ContactReader = Annotated[User, Depends(api_require("editor"))]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
_READ_CONTACTS: dict[int | str, dict[str, Any]] = {
    403: _WRITE_ERRORS[403] | {"description": "Contacts are shown to editors and admins only"}
}


# ---------------------------------------------------------------- request bodies


class PartnerCreate(BaseModel):
    """A partner to register; a gazetteer organisation of that name is linked when `entity` is
    not given, and the country defaults to the entity's."""

    name: str = Field(min_length=1, max_length=300)
    entity: str | None = Field(default=None, max_length=200, description="Gazetteer id or name")
    country: str | None = Field(default=None, max_length=2, description="ISO code, e.g. CN")
    languages: list[str] = Field(default=[], max_length=20, description='e.g. ["vi", "zh"]')
    kind: str = Field(default="", max_length=40, description="press-agency, broadcaster...")
    notes: str = Field(default="", max_length=5_000)


class AgreementCreate(BaseModel):
    """A cooperation agreement with a partner (dates in ISO form; `ends` null: open-ended)."""

    partner: str = Field(min_length=1, max_length=300, description="Id, slug or any name")
    title: str = Field(min_length=1, max_length=500)
    starts: date
    ends: date | None = None
    signed: date | None = None
    scope: list[str] = Field(
        default=["news-exchange"],
        max_length=10,
        description="news-exchange, co-production, delegations, training, other",
    )
    renewal: str = Field(default="", max_length=1_000, description="Renewal terms, in words")
    status: str = Field(default="active", description="draft, active, expired or terminated")
    parties: str = Field(default="", max_length=1_000)
    document: str | None = Field(default=None, max_length=1_000)
    notes: str = Field(default="", max_length=5_000)


class AgreementStatus(BaseModel):
    """An agreement's new status."""

    status: str = Field(description="draft, active, expired or terminated")


class ActivityCreate(BaseModel):
    """Something done under an agreement."""

    on: date
    kind: str = Field(min_length=1, max_length=40, description="exchange, delegation, visit...")
    description: str = Field(default="", max_length=5_000)


class ContactCreate(BaseModel):
    """A person to talk to at a partner: only what the work needs."""

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=50)
    notes: str = Field(default="", max_length=2_000)


# ---------------------------------------------------------------- partners


def _partner_doc(partners: PartnerDesk, partner: PartnerRow) -> dict[str, Any]:
    """The partner's JSON document with its names in every language."""
    return {
        **partner.as_json(),
        "names": [{"lang": lang, "name": text} for lang, text in partners.names(partner)],
    }


@router.get("/partners", tags=["partners"])
def list_partners(desk: DeskDep) -> dict[str, Any]:
    """Every partner, by name, with its names in every language and its agreement count."""
    partners = desk.partners
    counts: dict[int, int] = {}
    for a in partners.agreements():
        counts[a.partner_id] = counts.get(a.partner_id, 0) + 1
    items = [
        {**_partner_doc(partners, p), "agreements": counts.get(p.id, 0)}
        for p in partners.partners()
    ]
    return {"items": items, "total": len(items)}


@router.get("/partners/{ref}", tags=["partners"])
def get_partner(ref: str, desk: DeskDep) -> dict[str, Any]:
    """One partner found by id, slug or any name, with its agreements (no contacts: those are
    at /partners/{ref}/contacts, for editors)."""
    partners = desk.partners
    partner = partners.partner(ref)
    doc = _partner_doc(partners, partner)
    doc["agreements"] = [
        {**a.as_json(), "activities": [x.as_json() for x in partners.activities(a.id)]}
        for a in partners.agreements(partner.id)
    ]
    return doc


@router.post("/partners", status_code=201, tags=["partners"], responses=_WRITE_ERRORS)
def create_partner(
    body: PartnerCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Register a partner (a slug already in use is a 400)."""
    partner = desk.partners.add_partner(
        body.name,
        entity=body.entity,
        country=body.country,
        languages=body.languages,
        kind=body.kind,
        notes=body.notes,
    )
    accounts.audit(user.id, "partner.add", partner.slug, {"name": partner.name})
    return _partner_doc(desk.partners, partner)


# ---------------------------------------------------------------- contacts


@router.get("/partners/{ref}/contacts", tags=["partners"], responses=_READ_CONTACTS)
def list_contacts(ref: str, desk: DeskDep, user: ContactReader) -> dict[str, Any]:
    """A partner's contacts, by name (editors and admins only: personal data)."""
    return {"items": [c.as_json() for c in desk.partners.contacts(ref)]}


@router.post(
    "/partners/{ref}/contacts", status_code=201, tags=["partners"], responses=_WRITE_ERRORS
)
def create_contact(
    ref: str, body: ContactCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Record a contact at a partner (an implausible email or phone number is a 400)."""
    contact = desk.partners.add_contact(
        ref,
        name=body.name,
        role=body.role,
        email=body.email,
        phone=body.phone,
        notes=body.notes,
    )
    accounts.audit(user.id, "partner.contact.add", str(contact.id), {"partner": ref})
    return contact.as_json()


@router.delete(
    "/partners/{ref}/contacts/{contact_id}",
    status_code=204,
    tags=["partners"],
    responses=_WRITE_ERRORS,
)
def delete_contact(
    ref: str, contact_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> Response:
    """Delete a contact of this partner for good."""
    partner = desk.partners.partner(ref)
    if contact_id not in {c.id for c in desk.partners.contacts(partner.id)}:
        raise NotFoundError(f"{partner.name} has no contact with id {contact_id}")
    desk.partners.remove_contact(contact_id)
    accounts.audit(user.id, "partner.contact.remove", str(contact_id), {"partner": partner.slug})
    return Response(status_code=204)


# ---------------------------------------------------------------- agreements


@router.get("/agreements", tags=["partners"])
def list_agreements(
    desk: DeskDep,
    partner: Annotated[str | None, Query(max_length=300, description="Id, slug or name")] = None,
) -> dict[str, Any]:
    """Agreements (of one partner, when asked), oldest start first, with the partner's name."""
    owners = {p.id: p for p in desk.partners.partners()}
    items = [
        {
            **a.as_json(),
            "partner": owners[a.partner_id].name,
            "partner_slug": owners[a.partner_id].slug,
        }
        for a in desk.partners.agreements(partner)
    ]
    return {"items": items, "total": len(items)}


@router.get("/agreements/due", tags=["partners"])
def due_agreements(
    desk: DeskDep, days: Annotated[int, Query(ge=0, le=3_650, description="Days ahead")] = 60
) -> dict[str, Any]:
    """Active agreements ending within `days`, and overdue ones still marked active."""
    items = [d.as_json() for d in desk.partners.due(days)]
    return {"items": items, "total": len(items), "days": days}


@router.get("/agreements/{agreement_id}", tags=["partners"])
def get_agreement(agreement_id: int, desk: DeskDep) -> dict[str, Any]:
    """One agreement with its activities, oldest first."""
    agreement = desk.partners.agreement(agreement_id)
    owner = desk.partners.partner(agreement.partner_id)
    return {
        **agreement.as_json(),
        "partner": owner.name,
        "partner_slug": owner.slug,
        "activities": [x.as_json() for x in desk.partners.activities(agreement_id)],
    }


@router.post("/agreements", status_code=201, tags=["partners"], responses=_WRITE_ERRORS)
def create_agreement(
    body: AgreementCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Record an agreement; dates out of order, or an unknown scope or status, are a 400."""
    agreement = desk.partners.add_agreement(
        body.partner,
        title=body.title,
        starts=body.starts,
        ends=body.ends,
        signed=body.signed,
        scope=body.scope,
        renewal=body.renewal,
        status=body.status,
        parties=body.parties,
        document=body.document,
        notes=body.notes,
    )
    accounts.audit(user.id, "agreement.add", str(agreement.id), {"partner": agreement.partner_id})
    return agreement.as_json()


@router.post("/agreements/{agreement_id}/status", tags=["partners"], responses=_WRITE_ERRORS)
def change_agreement_status(
    agreement_id: int,
    body: AgreementStatus,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
) -> dict[str, Any]:
    """Change an agreement's status (only active agreements come up as due)."""
    agreement = desk.partners.set_status(agreement_id, body.status.strip().lower())
    accounts.audit(user.id, "agreement.status", str(agreement_id), {"status": agreement.status})
    return agreement.as_json()


@router.post(
    "/agreements/{agreement_id}/activities",
    status_code=201,
    tags=["partners"],
    responses=_WRITE_ERRORS,
)
def create_activity(
    agreement_id: int,
    body: ActivityCreate,
    desk: DeskDep,
    user: EditorDep,
    accounts: AccountsDep,
) -> dict[str, Any]:
    """Record something done under an agreement."""
    activity = desk.partners.add_activity(agreement_id, body.on, body.kind, body.description)
    accounts.audit(user.id, "agreement.activity", str(agreement_id), {"activity": activity.id})
    return activity.as_json()
