"""The news-exchange part of `hoasen demo`: the seeds' partners (Guangxi Daily Media Group,
Guangxi Radio & TV, Gangwon Radio & TV) with one cooperation agreement each, a two-weekly plan
to a local outbox folder, and one built package shown for the editor to approve."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from hoasen.desk import Desk
from hoasen.errors import HoasenError

# (gazetteer id, kind, languages, agreement title, years the agreement has run, years it lasts)
DEMO_PARTNERS = (
    (
        "org.guangxi-daily-media-group",
        "media-group",
        "zh,vi",
        "News exchange on printed newspapers, online newspapers and provincial portals",
        3,
        5,
    ),
    ("org.guangxi-radio-tv", "broadcaster", "zh,vi", "Radio and television co-operation", 2, 3),
    ("org.gangwon-radio-tv", "broadcaster", "ko,en", "Press co-operation and news exchange", 1, 2),
)


def register_partners(desk: Desk, today: date) -> list[str]:
    """Register the demo partners and one active agreement each (idempotent); their slugs."""
    slugs: list[str] = []
    known = {p.entity_id: p for p in desk.partners.partners()}
    for entity_id, kind, languages, title, ran, lasts in DEMO_PARTNERS:
        partner = known.get(entity_id)
        if partner is None:
            entity = desk.pipeline.gazetteer.get(entity_id)
            name = entity.name("en") if entity else entity_id
            partner = desk.partners.add_partner(
                name, entity=entity_id, kind=kind, languages=languages
            )
        slugs.append(partner.slug)
        if not desk.partners.agreements(partner.id):
            starts = today.replace(month=1, day=1) - timedelta(days=365 * ran)
            desk.partners.add_agreement(
                partner.id,
                title=title,
                starts=starts,
                signed=starts - timedelta(days=20),
                ends=starts + timedelta(days=365 * lasts),
                scope="news-exchange,co-production" if kind == "broadcaster" else "news-exchange",
                renewal="Renewed by both parties' written consent three months before the end.",
                parties=f"{desk.settings.office_name}; {partner.name}",
            )
    return slugs


def show_exchange(desk: Desk, console: Console, outbox: Path, today: date) -> None:
    """Register the partners, make sure the two-weekly plan exists and print its package."""
    try:
        slugs = register_partners(desk, today)
    except HoasenError as exc:  # the demo goes on without the exchange part
        console.print(f"[bold]Exchange[/bold]: skipped ({exc})", highlight=False)
        return
    due = desk.partners.due(120, today)
    console.print(
        f"[bold]Partners[/bold]: {len(slugs)} registered with an agreement each; "
        f"{len(due)} agreement(s) due for renewal within 120 days (`hoasen agreements due`)."
    )
    plan_name = "guangxi-daily-fortnightly"
    planning = desk.exchange.planning
    try:
        plan = planning.plan(plan_name)
    except HoasenError:
        plan = planning.add_plan(
            slugs[0],
            name=plan_name,
            schedule="every 2 weeks on MON at 09:00",
            selection={"query": "Quảng Ninh", "since_days": 42, "min": 1, "max": 12},
            fmt="ninjs",
            transport="folder",
            config={"path": str(outbox)},
        )
    packages = planning.packages(plan=plan.id)
    if packages:
        package = packages[0]
    else:
        result = planning.build(plan, operator="demo")
        if result.package is None:
            console.print(f"[bold]Exchange[/bold]: {result.message}", highlight=False)
            return
        package = result.package
    shown = desk.exchange.outbox.details(package)
    console.print(
        f"[bold]Exchange[/bold]: plan {plan.name!r} sends {plan.format} to {outbox} "
        f"({plan.schedule}); package {package.id} (no. {package.sequence} for "
        f"{shown['partner']['name']}) is {package.status}: {len(shown['items'])} articles, "
        f"{len(shown['files'])} files."
        + (
            f" Approve and send it with `hoasen exchange approve {package.id}` then "
            f"`hoasen exchange send {package.id}`, or on the desk's Exchange page."
            if package.status == "built"
            else ""
        ),
        highlight=False,
    )
    for item in shown["items"][:5]:
        console.print(f"  ({item['language']}) {item['headline']}", highlight=False, markup=False)
