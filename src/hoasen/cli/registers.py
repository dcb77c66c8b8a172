"""Commands of the partner register: partners and the cooperation agreements made with them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hoasen.cli import JsonOpt, _desk, _print_json, app, out

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
