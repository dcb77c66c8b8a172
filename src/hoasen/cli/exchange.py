"""Commands of the news exchange: export articles to partner formats, import partner documents,
exchange plans, packages (build, approve, send), the ledger and per-partner statistics."""

import getpass
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from hoasen.cli import (
    JsonOpt,
    SinceOpt,
    Table,
    UntilOpt,
    _desk,
    _parse_date,
    _print_json,
    _print_report,
    app,
    err,
    out,
)
from hoasen.errors import NotFoundError

exchange_app = typer.Typer(
    help="News exchange with partner agencies (ninjs, NewsML-G2, Atom, JSON Feed).",
    no_args_is_help=True,
)
app.add_typer(exchange_app, name="exchange")


@exchange_app.command("export")
def exchange_export(
    ctx: typer.Context,
    article_ids: Annotated[list[int], typer.Argument(help="Ids of the articles to export.")],
    fmt: Annotated[
        str, typer.Option("--format", help="ninjs, newsml, atom or jsonfeed.")
    ] = "ninjs",
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder the files are written to.")
    ] = Path("."),
    ninjs_version: Annotated[
        str, typer.Option("--ninjs-version", help="ninjs version: 3.0 (default), 3.1, 2.0-2.2.")
    ] = "3.0",
    as_json: JsonOpt = False,
) -> None:
    """Export articles, with approved translations, validated against IPTC's schemas."""
    with _desk(ctx) as desk:
        paths = desk.exchange.export(article_ids, fmt, out_dir, ninjs_version=ninjs_version)
    if as_json:
        _print_json({"format": fmt, "files": [str(p) for p in paths]})
        return
    for path in paths:
        out.print(str(path), highlight=False)


@exchange_app.command("import")
def exchange_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="Partner documents: ninjs, NewsML-G2, Atom/RSS.")
    ],
    partner: Annotated[
        str | None, typer.Option("--partner", help="The partner (source) these came from.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import partner documents through the normal ingest; invalid ones are reported.

    With `--partner` naming a registered partner (any of its names), the articles are credited
    to the partner's own source and every document is recorded in the exchange ledger; a name
    that is neither a partner nor a source is refused rather than dropped."""
    with _desk(ctx) as desk:
        if partner is None:
            report = desk.exchange.import_files(files)
        else:
            try:
                desk.partners.partner(partner)
            except NotFoundError:
                if desk.store.find_source(partner) is None:
                    raise NotFoundError(
                        f"no partner or source called {partner!r}: register it first with "
                        "`hoasen partners add` (or `hoasen sources add`)"
                    ) from None
                report = desk.exchange.import_files(files, partner=partner)
            else:
                received = desk.inbox.receive_files(partner, files, operator=_operator(None))
                if as_json:
                    _print_json(received.as_json())
                else:
                    _print_report(received.ingest)
                return
    if as_json:
        _print_json(report.as_json())
    else:
        _print_report(report)


# ------------------------------------------------------------------------- plans and packages

plan_app = typer.Typer(
    help="Exchange plans: what goes to (or comes from) a partner, when, how and in what form.",
    no_args_is_help=True,
)
exchange_app.add_typer(plan_app, name="plan")
package_app = typer.Typer(
    help="One package: its items, files and deliveries.", no_args_is_help=True
)
exchange_app.add_typer(package_app, name="package")

OperatorOpt = Annotated[
    str | None, typer.Option("--operator", help="Who does it (default: your OS user name).")
]
PlanArg = Annotated[str, typer.Argument(help="The plan's name (or id).")]
PackageArg = Annotated[int, typer.Argument(help="The package's number (id).")]
PartnerOpt = Annotated[
    str | None, typer.Option("--partner", help="Only this partner (id, slug or any name).")
]


def _operator(value: str | None) -> str:
    """The operator's name: the one given, else the OS user's."""
    if value and value.strip():
        return value.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _day(value: str | None, name: str, end: bool = False) -> datetime | None:
    """A --since/--until date; a bare --until date counts its whole day."""
    parsed = _parse_date(value, name)
    if parsed is not None and end and value is not None and len(value.strip()) <= 10:
        parsed += timedelta(days=1)
    return parsed


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@plan_app.command("add")
def plan_add(
    ctx: typer.Context,
    partner: Annotated[str, typer.Argument(help="The partner (id, slug or any of its names).")],
    name: Annotated[str, typer.Option("--name", help="A unique name for the plan.")],
    direction: Annotated[
        str, typer.Option("--direction", help="out (the office sends) or in (the partner does).")
    ] = "out",
    schedule: Annotated[
        str,
        typer.Option(
            "--schedule",
            help='"every 2 weeks on MON at 09:00", "every N days at HH:MM", "monthly on D at '
            'HH:MM"; empty: on demand.',
        ),
    ] = "",
    query: Annotated[str, typer.Option("--query", help="Search words the articles match.")] = "",
    topic: Annotated[
        list[str] | None, typer.Option("--topic", help="A topic id (repeatable: any of them).")
    ] = None,
    entity: Annotated[
        list[str] | None,
        typer.Option("--entity", help="An entity, any name (repeatable: any of them)."),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="One of the office's sources (repeatable: any of them)."),
    ] = None,
    since_days: Annotated[
        int | None,
        typer.Option(
            "--since-days",
            help="Articles of the last N days (default: since the last package, else 14).",
        ),
    ] = None,
    min_items: Annotated[
        int, typer.Option("--min", help="Fewer matching articles: no package.")
    ] = 1,
    max_items: Annotated[int, typer.Option("--max", help="At most this many articles.")] = 50,
    pick: Annotated[
        list[int] | None,
        typer.Option("--pick", help="An article id always sent first (repeatable)."),
    ] = None,
    language: Annotated[
        list[str] | None,
        typer.Option("--language", help="original and/or a language code (repeatable)."),
    ] = None,
    machine_translate: Annotated[
        bool,
        typer.Option(
            "--machine-translate",
            help="Translate missing languages by machine; the package waits for approval.",
        ),
    ] = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="ninjs, ninjs2, newsml, newsml-package, atom, jsonfeed, html or docx.",
        ),
    ] = "ninjs",
    transport: Annotated[
        str, typer.Option("--transport", help="folder, email, sftp or http (in: inbox, feed...).")
    ] = "folder",
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="Folder, e-mail address (repeatable), URL or sftp://u@host/p."),
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option("--config", help="A transport setting KEY=VALUE (repeatable)."),
    ] = None,
    secret: Annotated[
        str,
        typer.Option("--secret", help="Name of the secret in exchange_secrets (not its value)."),
    ] = "",
    automatic: Annotated[
        bool, typer.Option("--automatic", help="Send without an editor's approval.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an exchange plan for a partner (checked: schedule, selection, transport)."""
    from hoasen.exchange.plans import transport_config

    selection = {
        "query": query,
        "topics": topic or [],
        "entities": entity or [],
        "sources": source or [],
        "since_days": since_days,
        "min": min_items,
        "max": max_items,
        "picks": pick or [],
    }
    choice = transport_config(transport, to or [], config or [])
    with _desk(ctx) as desk:
        planning = desk.exchange.planning
        plan = planning.add_plan(
            partner,
            name=name,
            direction=direction,
            schedule=schedule,
            selection=selection,
            languages=language or ["original"],
            machine_translate=machine_translate,
            fmt=fmt,
            transport=choice.name,
            config=choice.config,
            secret=secret,
            automatic=automatic,
        )
        doc = planning.describe(plan)
    if as_json:
        _print_json(doc)
        return
    out.print(f"Added plan [bold]{plan.name}[/bold] (id {plan.id}).", highlight=False)
    _print_plan(doc)


@plan_app.command("list")
def plan_list(ctx: typer.Context, partner: PartnerOpt = None, as_json: JsonOpt = False) -> None:
    """List exchange plans with their schedule, format, transport and next run."""
    with _desk(ctx) as desk:
        planning = desk.exchange.planning
        plans = planning.plans(partner)
        slugs = {p.id: p.slug for p in desk.partners.partners()}
        tz = planning.tz
    if as_json:
        _print_json([p.as_json() for p in plans])
        return
    table = Table("id", "name", "partner", "dir", "schedule", "format", "transport", "mode")
    for p in plans:
        mode = "paused" if not p.active else "automatic" if p.automatic else "approved"
        schedule = p.schedule or "on demand"
        if p.next_due is not None:
            schedule += f" (next {p.next_due.astimezone(tz):%Y-%m-%d %H:%M})"
        table.add_row(
            str(p.id),
            p.name,
            slugs.get(p.partner_id, str(p.partner_id)),
            p.direction,
            schedule,
            p.format,
            p.transport,
            mode,
        )
    out.print(table)


@plan_app.command("show")
def plan_show(ctx: typer.Context, plan: PlanArg, as_json: JsonOpt = False) -> None:
    """Show a plan: its selection, languages, format, destination and secret's name."""
    with _desk(ctx) as desk:
        doc = desk.exchange.planning.describe(plan)
    if as_json:
        _print_json(doc)
        return
    _print_plan(doc)


def _print_plan(doc: dict[str, Any]) -> None:
    selection = doc["selection"]
    secret = doc["secret"]
    if secret:
        secret += "" if doc["secret_set"] else " (not set in exchange_secrets)"
    rows = [
        ("name", doc["name"]),
        ("partner", f"{doc['partner']['name']} ({doc['partner']['slug']})"),
        ("direction", doc["direction"]),
        ("schedule", doc["schedule"] or "on demand"),
        ("next due", doc["next_due_local"] or ""),
        ("active", "yes" if doc["active"] else "paused"),
        ("automatic", "yes" if doc["automatic"] else "no (an editor approves each package)"),
        (
            "languages",
            ", ".join(doc["languages"])
            + (" (machine-translated, approved first)" if doc["machine_translate"] else ""),
        ),
        ("format", doc["format"]),
        ("transport", f"{doc['transport']}: {doc['destination']}"),
        ("secret", secret or "none"),
        ("selection", json.dumps(selection, ensure_ascii=False)),
    ]
    table = Table(show_header=False, box=None)
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", str(value))
    out.print(table)


@plan_app.command("pause")
def plan_pause(ctx: typer.Context, plan: PlanArg) -> None:
    """Stop a plan's scheduled runs (it can still be built and sent by hand)."""
    with _desk(ctx) as desk:
        row = desk.exchange.planning.pause(plan)
    out.print(f"Paused plan {row.name}.", highlight=False)


@plan_app.command("resume")
def plan_resume(ctx: typer.Context, plan: PlanArg) -> None:
    """Run a paused plan on its schedule again."""
    with _desk(ctx) as desk:
        row = desk.exchange.planning.resume(plan)
    due = f"; next run {_when(row.next_due)} UTC" if row.next_due else ""
    out.print(f"Resumed plan {row.name}{due}.", highlight=False)


@exchange_app.command("build")
def exchange_build(
    ctx: typer.Context, plan: PlanArg, operator: OperatorOpt = None, as_json: JsonOpt = False
) -> None:
    """Build a plan's next package to preview it (its items and files); nothing is sent."""
    with _desk(ctx) as desk:
        planning = desk.exchange.planning
        result = planning.build(plan, _operator(operator))
        preview = desk.exchange.outbox.details(result.package) if result.package else None
    if as_json:
        _print_json(
            {
                "message": result.message,
                "notes": result.notes,
                "selected": result.selected.ids,
                "package": preview,
            }
        )
        return
    for note in result.notes[:-1] if result.package is None else result.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    out.print(result.message, highlight=False)
    if preview is not None:
        _print_package(preview)
        if preview["status"] == "built":
            out.print(f"Approve it with: hoasen exchange approve {preview['id']}")


@exchange_app.command("approve")
def exchange_approve(
    ctx: typer.Context, package: PackageArg, operator: OperatorOpt = None, as_json: JsonOpt = False
) -> None:
    """Approve a package (an editor's act): it may then be sent."""
    with _desk(ctx) as desk:
        row = desk.exchange.planning.approve(package, _operator(operator))
    if as_json:
        _print_json(row.as_json())
        return
    out.print(f"Approved package {row.id} ({row.approved_by}).", highlight=False)


@exchange_app.command("cancel")
def exchange_cancel(ctx: typer.Context, package: PackageArg, operator: OperatorOpt = None) -> None:
    """Cancel a package that has not been sent (its articles may go in a later one)."""
    with _desk(ctx) as desk:
        row = desk.exchange.planning.cancel(package, _operator(operator))
    out.print(f"Cancelled package {row.id}.", highlight=False)


@exchange_app.command("send")
def exchange_send(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(help="A package number, or a plan's name (build and send).")
    ],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send an approved package (or a plan's); a failed one is tried again."""
    with _desk(ctx) as desk:
        result = desk.exchange.outbox.send(target, _operator(operator))
    if as_json:
        _print_json(result.as_json())
    elif result.status == "failed":
        err.print(f"[red]error:[/red] {result.message}", highlight=False)
    else:
        out.print(result.message, highlight=False)
    if result.status == "failed":
        raise typer.Exit(1)


@exchange_app.command("packages")
def exchange_packages(
    ctx: typer.Context,
    plan: Annotated[str | None, typer.Option("--plan", help="Only this plan's.")] = None,
    partner: PartnerOpt = None,
    status: Annotated[
        str | None, typer.Option("--status", help="built, waiting, approved, sent, failed...")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List packages, newest first."""
    with _desk(ctx) as desk:
        rows = desk.exchange.planning.packages(plan=plan, partner=partner, status=status)
        names = {p.id: p.name for p in desk.exchange.planning.plans()}
    if as_json:
        _print_json([r.as_json() for r in rows])
        return
    table = Table("id", "plan", "seq", "status", "format", "built", "approved by", "sent", "bytes")
    for r in rows:
        table.add_row(
            str(r.id),
            names.get(r.plan_id, str(r.plan_id)),
            str(r.sequence),
            r.status,
            r.format,
            _when(r.built),
            r.approved_by,
            _when(r.sent),
            f"{r.bytes:,}",
        )
    out.print(table)


@package_app.command("show")
def package_show(ctx: typer.Context, package: PackageArg, as_json: JsonOpt = False) -> None:
    """Show a package: its items, files, deliveries and their attempts."""
    with _desk(ctx) as desk:
        doc = desk.exchange.outbox.details(package)
    if as_json:
        _print_json(doc)
        return
    _print_package(doc)


def _print_package(doc: dict[str, Any]) -> None:
    out.print(
        f"[bold]Package {doc['id']}[/bold] of plan {doc['plan']['name']} for "
        f"{doc['partner']['name']}: sequence {doc['sequence']}, {doc['status']}, "
        f"{doc['format']}, folder {doc['folder']}",
        highlight=False,
    )
    if doc["approved_by"]:
        out.print(f"Approved by {doc['approved_by']} at {doc['approved']}", highlight=False)
    if doc["note"]:
        out.print(f"[yellow]{doc['note']}[/yellow]", highlight=False)
    if doc["error"]:
        out.print(f"[red]{doc['error']}[/red]", highlight=False)
    items = Table("#", "article", "lang", "translation", "topic", "headline")
    for i in doc["items"]:
        translation = str(i["translation_id"]) if i["translation_id"] is not None else ""
        items.add_row(
            str(i["position"]),
            str(i["article_id"]),
            i["language"],
            translation,
            i["topic"],
            i["headline"],
        )
    out.print(items)
    files = Table("file", "type", "bytes")
    for f in doc["files"]:
        files.add_row(f["name"], f["media_type"], f"{f['bytes']:,}")
    out.print(files)
    for d in doc["deliveries"]:
        out.print(
            f"Delivery {d['id']} ({d['destination']}): {d['status']} after {d['attempts']} "
            f"attempts{': ' + d['error'] if d['error'] else ''}",
            highlight=False,
        )
        for a in d["attempts_made"]:
            mark = "ok" if a["ok"] else a["error"]
            out.print(f"  attempt {a['number']} at {a['started']}: {mark}", highlight=False)


@exchange_app.command("ledger")
def exchange_ledger(
    ctx: typer.Context,
    partner: PartnerOpt = None,
    direction: Annotated[str | None, typer.Option("--direction", help="sent or received.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The exchange ledger: what was sent to and received from partners, newest first."""
    with _desk(ctx) as desk:
        entries = desk.exchange.outbox.ledger(
            partner, direction, _day(since, "--since"), _day(until, "--until", end=True)
        )
        slugs = {p.id: p.slug for p in desk.partners.partners()}
    if as_json:
        _print_json([e.as_json() for e in entries])
        return
    table = Table("id", "when", "partner", "dir", "seq", "status", "items", "langs", "tries", "by")
    for e in entries:
        table.add_row(
            str(e.id),
            _when(e.created),
            slugs.get(e.partner_id or 0, ""),
            e.direction,
            str(e.sequence or ""),
            e.status,
            str(e.n_items),
            ",".join(e.languages),
            str(e.attempts),
            e.operator,
        )
    out.print(table)
    for e in entries:
        if e.error:
            out.print(f"entry {e.id} ({e.format}, {e.transport}): {e.error}", highlight=False)


@exchange_app.command("stats")
def exchange_stats(
    ctx: typer.Context, since: SinceOpt = None, until: UntilOpt = None, as_json: JsonOpt = False
) -> None:
    """Packages and items exchanged per partner and direction, by language and topic."""
    with _desk(ctx) as desk:
        found = desk.exchange.outbox.stats(_day(since, "--since"), _day(until, "--until", end=True))
    if as_json:
        _print_json([s.as_json() for s in found])
        return
    if not found:
        out.print("Nothing exchanged in this period.")
        return
    table = Table("partner", "dir", "packages", "items", "articles", "by language", "by topic")
    for s in found:
        table.add_row(
            s.name or s.partner,
            s.direction,
            str(s.packages),
            str(s.items),
            str(s.articles),
            ", ".join(f"{k} {v}" for k, v in s.by_language.items()),
            ", ".join(f"{k} {v}" for k, v in s.by_topic.items()),
        )
    out.print(table)


@exchange_app.command("due")
def exchange_due(
    ctx: typer.Context, operator: OperatorOpt = None, as_json: JsonOpt = False
) -> None:
    """Run the plans whose time has come: build, and send those that are automatic."""
    with _desk(ctx) as desk:
        runs = desk.exchange.outbox.run_due(operator=_operator(operator))
    if as_json:
        _print_json([r.as_json() for r in runs])
        return
    if not runs:
        out.print("No plan is due.")
    for r in runs:
        if r.error:
            err.print(f"[red]{r.plan}:[/red] {r.error}", highlight=False)
        elif r.result is not None:
            out.print(f"[bold]{r.plan}[/bold]: {r.result.message}", highlight=False)
