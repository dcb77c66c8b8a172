"""Commands of the partner register: partners, their contacts, the cooperation agreements made
with them and the activities under each agreement."""

from typing import Annotated

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, app, out

partners_app = typer.Typer(
    help="Partner organisations (press agencies, broadcasters...) linked to the gazetteer.",
    no_args_is_help=True,
)
agreements_app = typer.Typer(
    help="Cooperation agreements with partners, and which are due for renewal.",
    no_args_is_help=True,
)
app.add_typer(partners_app, name="partners")
app.add_typer(agreements_app, name="agreements")


@partners_app.command("add")
def partners_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The partner's name, in any language.")],
    entity: Annotated[
        str | None, typer.Option("--entity", help="Gazetteer id (or name) of the organisation.")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="ISO two-letter country code.")
    ] = None,
    languages: Annotated[
        str | None, typer.Option("--languages", help="Comma list of languages, e.g. vi,zh.")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="press-agency, broadcaster, newspaper, portal...")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Register a partner; a gazetteer organisation of that name is linked automatically."""
    with _desk(ctx) as desk:
        partner = desk.partners.add_partner(
            name, entity=entity, country=country, languages=languages, kind=kind
        )
    if as_json:
        _print_json(partner.as_json())
        return
    linked = f" → {partner.entity_id}" if partner.entity_id else ""
    out.print(
        f"Added partner [bold]{partner.name}[/bold] ({partner.slug}){linked}", highlight=False
    )


@partners_app.command("list")
def partners_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List partners with their country, languages and gazetteer entity."""
    with _desk(ctx) as desk:
        partners = desk.partners.partners()
    if as_json:
        _print_json([p.as_json() for p in partners])
        return
    table = Table("id", "slug", "name", "country", "languages", "kind", "entity")
    for p in partners:
        table.add_row(
            str(p.id),
            p.slug,
            p.name,
            p.country or "",
            ",".join(p.languages),
            p.kind,
            p.entity_id or "",
        )
    out.print(table)


@partners_app.command("show")
def partners_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Id, slug or any name of the partner.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one partner, its names in every language and its agreements."""
    with _desk(ctx) as desk:
        partner = desk.partners.partner(name)
        names = desk.partners.names(partner)
        agreements = desk.partners.agreements(partner.id)
    if as_json:
        doc = partner.as_json()
        doc["names"] = [{"lang": lang, "name": text} for lang, text in names]
        doc["agreements"] = [a.as_json() for a in agreements]
        _print_json(doc)
        return
    out.print(f"[bold]{partner.name}[/bold] ({partner.slug})", highlight=False)
    for lang, text in names:
        out.print(f"  {lang or '-'}: {text}", highlight=False)
    for a in agreements:
        out.print(
            f"  #{a.id} {a.title} [{a.status}] {a.starts} → {a.ends or 'open'}", highlight=False
        )


@agreements_app.command("add")
def agreements_add(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="Id, slug or any name of the partner.")],
    title: Annotated[str, typer.Option("--title", help="Title of the agreement.")],
    starts: Annotated[str, typer.Option("--starts", help="Start date, e.g. 2026-01-01.")],
    ends: Annotated[
        str | None, typer.Option("--ends", help="End date; omit for open-ended.")
    ] = None,
    signed: Annotated[str | None, typer.Option("--signed", help="Date of signature.")] = None,
    scope: Annotated[
        str | None,
        typer.Option("--scope", help="Comma list: news-exchange, co-production, delegations..."),
    ] = None,
    renewal: Annotated[str, typer.Option("--renewal", help="Renewal terms, in words.")] = "",
    status: Annotated[
        str, typer.Option("--status", help="draft, active, expired or terminated.")
    ] = "active",
    as_json: JsonOpt = False,
) -> None:
    """Record a cooperation agreement with a partner."""
    with _desk(ctx) as desk:
        agreement = desk.partners.add_agreement(
            partner,
            title=title,
            starts=starts,
            ends=ends,
            signed=signed,
            scope=scope,
            renewal=renewal,
            status=status,
        )
    if as_json:
        _print_json(agreement.as_json())
        return
    out.print(f"Added agreement #{agreement.id} [bold]{agreement.title}[/bold]", highlight=False)


@agreements_app.command("list")
def agreements_list(
    ctx: typer.Context,
    partner: Annotated[
        str | None, typer.Option("--partner", help="Only this partner's agreements.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List agreements, oldest start first."""
    with _desk(ctx) as desk:
        agreements = desk.partners.agreements(partner)
        names = {p.id: p.name for p in desk.partners.partners()}
    if as_json:
        _print_json([{**a.as_json(), "partner": names[a.partner_id]} for a in agreements])
        return
    table = Table("id", "partner", "title", "status", "starts", "ends", "scope")
    for a in agreements:
        table.add_row(
            str(a.id),
            names[a.partner_id],
            a.title,
            a.status,
            str(a.starts),
            str(a.ends or "open"),
            ",".join(a.scope),
        )
    out.print(table)


@agreements_app.command("due")
def agreements_due(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", help="Look this many days ahead.")] = 60,
    as_json: JsonOpt = False,
) -> None:
    """List active agreements ending within N days, and overdue ones still marked active."""
    with _desk(ctx) as desk:
        due = desk.partners.due(days)
    if as_json:
        _print_json([d.as_json() for d in due])
        return
    if not due:
        out.print(f"No agreement is due within {days} days.", highlight=False)
        return
    table = Table("id", "partner", "title", "ends", "days left", "state")
    for d in due:
        table.add_row(
            str(d.agreement.id),
            d.partner.name,
            d.agreement.title,
            str(d.agreement.ends),
            str(d.days_left),
            d.state,
        )
    out.print(table)


@agreements_app.command("status")
def agreements_status(
    ctx: typer.Context,
    agreement_id: Annotated[int, typer.Argument(help="Id of the agreement.")],
    status: Annotated[str, typer.Argument(help="draft, active, expired or terminated.")],
    as_json: JsonOpt = False,
) -> None:
    """Change an agreement's status (e.g. `expired` once it lapsed or was replaced)."""
    with _desk(ctx) as desk:
        agreement = desk.partners.set_status(agreement_id, status)
    if as_json:
        _print_json(agreement.as_json())
        return
    out.print(f"Agreement #{agreement.id} is now {agreement.status}", highlight=False)


# ---------------------------------------------------------------- contacts and activities

contact_app = typer.Typer(
    help="People to talk to at a partner (personal data: keep only what the work needs).",
    no_args_is_help=True,
)
activity_app = typer.Typer(
    help="What was done under an agreement: exchanges, delegations, trainings...",
    no_args_is_help=True,
)
partners_app.add_typer(contact_app, name="contact")
agreements_app.add_typer(activity_app, name="activity")


@contact_app.command("add")
def contact_add(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="Id, slug or any name of the partner.")],
    name: Annotated[str, typer.Option("--name", help="The person's name.")],
    role: Annotated[str, typer.Option("--role", help="Their job, e.g. foreign desk editor.")] = "",
    email: Annotated[str, typer.Option("--email", help="Work email address.")] = "",
    phone: Annotated[str, typer.Option("--phone", help="Work phone number.")] = "",
    notes: Annotated[str, typer.Option("--notes", help="A short note.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record a contact person at a partner."""
    with _desk(ctx) as desk:
        contact = desk.partners.add_contact(
            partner, name=name, role=role, email=email, phone=phone, notes=notes
        )
    if as_json:
        _print_json(contact.as_json())
        return
    out.print(f"Added contact #{contact.id} [bold]{contact.name}[/bold]", highlight=False)


@contact_app.command("list")
def contact_list(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="Id, slug or any name of the partner.")],
    as_json: JsonOpt = False,
) -> None:
    """List a partner's contacts, by name."""
    with _desk(ctx) as desk:
        contacts = desk.partners.contacts(partner)
    if as_json:
        _print_json([c.as_json() for c in contacts])
        return
    table = Table("id", "name", "role", "email", "phone")
    for c in contacts:
        table.add_row(str(c.id), c.name, c.role, c.email, c.phone)
    out.print(table)


@contact_app.command("remove")
def contact_remove(
    ctx: typer.Context,
    contact_id: Annotated[int, typer.Argument(help="Id of the contact (see `contact list`).")],
) -> None:
    """Delete a contact for good."""
    with _desk(ctx) as desk:
        gone = desk.partners.remove_contact(contact_id)
    out.print(f"Removed contact #{gone.id} {gone.name}", highlight=False)


@activity_app.command("add")
def activity_add(
    ctx: typer.Context,
    agreement_id: Annotated[int, typer.Argument(help="Id of the agreement.")],
    on: Annotated[str, typer.Option("--on", help="Date of the activity, e.g. 2026-03-02.")],
    kind: Annotated[
        str, typer.Option("--kind", help="exchange, delegation, visit, training, meeting...")
    ],
    description: Annotated[str, typer.Option("--description", help="What was done.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record something done under an agreement."""
    with _desk(ctx) as desk:
        activity = desk.partners.add_activity(agreement_id, on, kind, description)
    if as_json:
        _print_json(activity.as_json())
        return
    out.print(
        f"Added activity #{activity.id} ({activity.kind}, {activity.on}) to agreement "
        f"#{agreement_id}",
        highlight=False,
    )


@activity_app.command("list")
def activity_list(
    ctx: typer.Context,
    agreement_id: Annotated[int, typer.Argument(help="Id of the agreement.")],
    as_json: JsonOpt = False,
) -> None:
    """List the activities under an agreement, oldest first."""
    with _desk(ctx) as desk:
        activities = desk.partners.activities(agreement_id)
    if as_json:
        _print_json([a.as_json() for a in activities])
        return
    table = Table("id", "date", "kind", "description")
    for a in activities:
        table.add_row(str(a.id), str(a.on), a.kind, a.description)
    out.print(table)
