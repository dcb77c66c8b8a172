"""The web desk's partner pages: partners (with their names in every language), one partner's
agreements, activities and contacts, and every agreement with those due for renewal. Anyone
signed in reads partners and agreements; editors add and change them. Contacts are personal
data: only editors and admins see them, a viewer's page never carries an email or a phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError, NotFoundError
from hoasen.registers.partners import (
    ACTIVITY_KINDS,
    AGREEMENT_SCOPES,
    AGREEMENT_STATUSES,
    PARTNER_KINDS,
    DueAgreement,
)
from hoasen.store.partners import ActivityRow, AgreementRow, ContactRow, PartnerRow
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_data import DUE_DAYS
from hoasen.web.pages_render import error_page as _error
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)


@dataclass(frozen=True)
class PartnerLine:
    """One partner as listed: its names in every language and its agreements' count."""

    partner: PartnerRow
    names: list[tuple[str, str]]
    agreements: int
    active: int


@dataclass(frozen=True)
class AgreementView:
    """One agreement on its partner's page, with its activities and renewal state."""

    agreement: AgreementRow
    activities: list[ActivityRow]
    due: DueAgreement | None


def partner_url(partner: PartnerRow) -> str:
    """The partner's page (by slug, which stays the same when names change)."""
    return f"/partners/{quote(partner.slug, safe='')}"


# ---------------------------------------------------------------- partners


@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """Every partner with its names in every language, country, languages and agreements."""
    return _partners(request, user, desk)


def _partners(
    request: Request,
    user: User,
    desk: Desk,
    error: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The partner list, with the add form refilled and the error shown after a refused add."""
    partners = desk.partners
    counts: dict[int, list[int]] = {}
    for a in partners.agreements():
        seen = counts.setdefault(a.partner_id, [0, 0])
        seen[0] += 1
        seen[1] += a.status == "active"
    lines = [
        PartnerLine(p, partners.names(p), *counts.get(p.id, [0, 0])) for p in partners.partners()
    ]
    context = {
        "user": user,
        "lines": lines,
        "kinds": PARTNER_KINDS,
        "error": error,
        "form": form or {},
    }
    return render(request, "partners.html", context, status)


@router.post("/partners", response_class=HTMLResponse, dependencies=[Csrf])
def add_partner(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=300)],
    entity: Annotated[str, Form(max_length=200)] = "",
    country: Annotated[str, Form(max_length=10)] = "",
    languages: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    notes: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    """Register a partner (a gazetteer organisation of that name is linked)."""
    form = {
        "name": name,
        "entity": entity,
        "country": country,
        "languages": languages,
        "kind": kind,
        "notes": notes,
    }
    try:
        partner = desk.partners.add_partner(
            name,
            entity=entity.strip() or None,
            country=country.strip() or None,
            languages=languages.replace(";", ","),
            kind=kind,
            notes=notes.strip(),
        )
    except HoasenError as exc:
        return _partners(request, user, desk, str(exc), form, _status(exc))
    accounts.audit(user.id, "partner.add", partner.slug, {"name": partner.name})
    return _see(partner_url(partner))


@router.get("/partners/{ref}", response_class=HTMLResponse)
def partner_page(request: Request, ref: str, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """One partner: names, agreements with status and end, activities, contacts (editors)."""
    try:
        partner = desk.partners.partner(ref)
    except HoasenError as exc:
        return _error(request, user, exc)
    return _partner(request, user, desk, partner)


def _partner(
    request: Request,
    user: User,
    desk: Desk,
    partner: PartnerRow,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """A partner's page, with `error` shown after a refused form (and its status)."""
    partners = desk.partners
    due = {d.agreement.id: d for d in partners.due(DUE_DAYS) if d.partner.id == partner.id}
    agreements = [
        AgreementView(a, partners.activities(a.id), due.get(a.id))
        for a in partners.agreements(partner.id)
    ]
    # Personal data: read from the store only for those allowed to see it.
    contacts: list[ContactRow] = partners.contacts(partner.id) if user.can("editor") else []
    context = {
        "user": user,
        "p": partner,
        "url": partner_url(partner),
        "names": partners.names(partner),
        "agreements": agreements,
        "contacts": contacts,
        "scopes": AGREEMENT_SCOPES,
        "statuses": AGREEMENT_STATUSES,
        "activity_kinds": ACTIVITY_KINDS,
        "error": error,
    }
    return render(request, "partner.html", context, status)


@router.post("/partners/{ref}/agreements", response_class=HTMLResponse, dependencies=[Csrf])
def add_agreement(
    request: Request,
    ref: str,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    title: Annotated[str, Form(max_length=500)],
    starts: Annotated[str, Form(max_length=20)],
    ends: Annotated[str, Form(max_length=20)] = "",
    signed: Annotated[str, Form(max_length=20)] = "",
    scope: Annotated[list[str] | None, Form()] = None,
    renewal: Annotated[str, Form(max_length=1_000)] = "",
    agreement_status: Annotated[str, Form(max_length=20)] = "active",
    notes: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    """Record an agreement with this partner (dates out of order are refused)."""
    try:
        partner = desk.partners.partner(ref)
    except HoasenError as exc:
        return _error(request, user, exc)
    try:
        made = desk.partners.add_agreement(
            partner.id,
            title=title,
            starts=starts,
            ends=ends.strip() or None,
            signed=signed.strip() or None,
            scope=scope or None,
            renewal=renewal.strip(),
            status=agreement_status,
            notes=notes.strip(),
        )
    except HoasenError as exc:
        return _partner(request, user, desk, partner, str(exc), _status(exc))
    accounts.audit(user.id, "agreement.add", str(made.id), {"partner": partner.slug})
    return _see(f"{partner_url(partner)}#agreement-{made.id}")


# ---------------------------------------------------------------- contacts


@router.post("/partners/{ref}/contacts", response_class=HTMLResponse, dependencies=[Csrf])
def add_contact(
    request: Request,
    ref: str,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    phone: Annotated[str, Form(max_length=50)] = "",
    notes: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Record a contact person at this partner (editors only: personal data)."""
    try:
        partner = desk.partners.partner(ref)
    except HoasenError as exc:
        return _error(request, user, exc)
    try:
        made = desk.partners.add_contact(
            partner.id, name=name, role=role, email=email, phone=phone, notes=notes.strip()
        )
    except HoasenError as exc:
        return _partner(request, user, desk, partner, str(exc), _status(exc))
    accounts.audit(user.id, "partner.contact.add", str(made.id), {"partner": partner.slug})
    return _see(f"{partner_url(partner)}#contacts")


@router.post(
    "/partners/{ref}/contacts/{contact_id}/remove",
    response_class=HTMLResponse,
    dependencies=[Csrf],
)
def remove_contact(
    request: Request,
    ref: str,
    contact_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
) -> Response:
    """Delete a contact of this partner for good."""
    try:
        partner = desk.partners.partner(ref)
        if contact_id not in {c.id for c in desk.partners.contacts(partner.id)}:
            raise NotFoundError(f"{partner.name} has no contact with id {contact_id}")
        desk.partners.remove_contact(contact_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    accounts.audit(user.id, "partner.contact.remove", str(contact_id), {"partner": partner.slug})
    return _see(f"{partner_url(partner)}#contacts")


# ---------------------------------------------------------------- agreements


@router.get("/agreements", response_class=HTMLResponse)
def agreements_page(
    request: Request, user: Viewer, desk: DeskDep, status: str = "", days: int = DUE_DAYS
) -> HTMLResponse:
    """Every agreement with its partner, status and end; those due within `days` first."""
    days = max(0, min(days, 3_650))
    owners = {p.id: p for p in desk.partners.partners()}
    rows = [
        (a, owners[a.partner_id])
        for a in desk.partners.agreements()
        if not status or a.status == status
    ]
    context = {
        "user": user,
        "rows": rows,
        "due": desk.partners.due(days),
        "days": days,
        "status": status,
        "statuses": AGREEMENT_STATUSES,
    }
    return render(request, "agreements.html", context)


@router.post("/agreements/{agreement_id}/status", response_class=HTMLResponse, dependencies=[Csrf])
def set_status(
    request: Request,
    agreement_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    agreement_status: Annotated[str, Form(max_length=20)],
) -> Response:
    """Change an agreement's status (only active agreements come up for renewal)."""
    try:
        agreement = desk.partners.agreement(agreement_id)
        partner = desk.partners.partner(agreement.partner_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    try:
        desk.partners.set_status(agreement_id, agreement_status.strip().lower())
    except HoasenError as exc:
        return _partner(request, user, desk, partner, str(exc), _status(exc))
    accounts.audit(user.id, "agreement.status", str(agreement_id), {"status": agreement_status})
    return _see(f"{partner_url(partner)}#agreement-{agreement_id}")


@router.post(
    "/agreements/{agreement_id}/activities", response_class=HTMLResponse, dependencies=[Csrf]
)
def add_activity(
    request: Request,
    agreement_id: int,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    on: Annotated[str, Form(max_length=20)],
    kind: Annotated[str, Form(max_length=40)],
    description: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    """Record something done under an agreement (an exchange round, a delegation...)."""
    try:
        agreement = desk.partners.agreement(agreement_id)
        partner = desk.partners.partner(agreement.partner_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    try:
        made = desk.partners.add_activity(agreement_id, on, kind, description)
    except HoasenError as exc:
        return _partner(request, user, desk, partner, str(exc), _status(exc))
    accounts.audit(user.id, "agreement.activity", str(agreement_id), {"activity": made.id})
    return _see(f"{partner_url(partner)}#agreement-{agreement_id}")
