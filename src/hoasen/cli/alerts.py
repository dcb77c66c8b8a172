"""Commands of alerts: `hoasen alerts ...` (add, list, show, pause, resume, remove, check, digests)
and `hoasen notifications`. Alerts fire by themselves after each analysis of new articles;
`check` runs them by hand over what was stored lately, `digests` sends the due digests now."""

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from hoasen.cli import JsonOpt, Table, _desk, _parse_date, _print_json, app, out
from hoasen.errors import UsageError

if TYPE_CHECKING:
    from hoasen.alerts.desk import AlertRun

alerts_app = typer.Typer(
    help="Alerts: saved searches and watches, delivered to the desk, by e-mail or on Telegram.",
    no_args_is_help=True,
)
app.add_typer(alerts_app, name="alerts")

IdArg = Annotated[int, typer.Argument(help="The alert's id (see `hoasen alerts list`).")]


def _print_run(run: "AlertRun", what: str) -> None:
    out.print(f"{what}: {run.hits} new hits, {run.delivered} delivered", highlight=False)
    for note in run.rehearsed:
        out.print(note, highlight=False)
    for error in run.errors:
        out.print(f"[red]not delivered:[/red] {error}", highlight=False)


@alerts_app.command("add")
def alerts_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the alert.")],
    query: Annotated[str | None, typer.Option("--query", help="Watch a search query.")] = None,
    entity: Annotated[
        str | None, typer.Option("--entity", help="Watch an entity (any of its names).")
    ] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Watch a partner.")] = None,
    topic: Annotated[
        str | None, typer.Option("--topic", help="Watch a topic (id or name).")
    ] = None,
    story_spike: Annotated[
        int | None, typer.Option("--story-spike", help="Watch stories reaching N articles.")
    ] = None,
    within_hours: Annotated[
        int, typer.Option("--within-hours", help="The story spike's period in hours.")
    ] = 24,
    lang: Annotated[str | None, typer.Option("--lang", help="Only articles in it.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Also e-mail this address.")] = None,
    telegram: Annotated[
        str | None, typer.Option("--telegram", help="Also post on CHANNEL[:CHAT].")
    ] = None,
    digest: Annotated[
        str | None, typer.Option("--digest", help="A daily digest at HH:MM, office time.")
    ] = None,
    no_desk: Annotated[
        bool, typer.Option("--no-desk", help="No notice on the desk's list.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add an alert on one query, entity, partner, topic or spiking story."""
    given = {
        "query": query,
        "entity": entity,
        "partner": partner,
        "topic": topic,
        "story": None if story_spike is None else str(story_spike),
    }
    chosen = [(k, v) for k, v in given.items() if v is not None]
    channels = [
        *([] if no_desk else ["desk"]),
        *(["email"] if email else []),
        *(["telegram"] if telegram else []),
    ]
    with _desk(ctx) as desk:
        if len(chosen) != 1:
            raise UsageError(
                "give exactly one of --query, --entity, --partner, --topic, --story-spike"
            )
        kind, target = chosen[0]
        row = desk.alerts.add(
            name,
            kind,
            "" if kind == "story" else target,
            language=lang,
            channels=channels,
            email=email,
            telegram=telegram,
            digest_at=digest,
            spike_count=story_spike or 5,
            spike_hours=within_hours,
        )
        watches = desk.alerts.describe(row)
    if as_json:
        _print_json(row.as_json())
        return
    out.print(
        f"Added alert {row.id}: {row.name} ({row.kind}: {watches}), {row.mode}, "
        f"to {', '.join(row.channels)}",
        highlight=False,
    )


@alerts_app.command("list")
def alerts_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every alert with what it watches, where it delivers and its hits."""
    with _desk(ctx) as desk:
        rows = desk.alerts.alerts()
        counts = desk.alerts.counts()
        watches = {r.id: desk.alerts.describe(r) for r in rows}
    if as_json:
        docs = []
        for r in rows:
            hits, waiting = counts.get(r.id, (0, 0))
            docs.append({**r.as_json(), "watches": watches[r.id], "hits": hits, "unsent": waiting})
        _print_json({"items": docs, "total": len(docs)})
        return
    table = Table("id", "name", "kind", "watches", "lang", "to", "mode", "state", "hits")
    for r in rows:
        hits, waiting = counts.get(r.id, (0, 0))
        table.add_row(
            str(r.id),
            r.name,
            r.kind,
            watches[r.id][:50],
            r.language or "",
            ",".join(r.channels),
            r.mode if r.mode == "immediate" else f"digest {r.digest_at}",
            "active" if r.active else "paused",
            f"{hits} ({waiting} waiting)" if waiting else str(hits),
        )
    out.print(table)


@alerts_app.command("show")
def alerts_show(ctx: typer.Context, alert_id: IdArg, as_json: JsonOpt = False) -> None:
    """One alert, its unsubscribe link and its latest hits."""
    with _desk(ctx) as desk:
        row = desk.alerts.get(alert_id)
        watches = desk.alerts.describe(row)
        link = desk.alerts.unsubscribe_link(row.id)
        hits = desk.alerts.hits(row.id)
    if as_json:
        doc = {
            **row.as_json(),
            "watches": watches,
            "unsubscribe": link,
            "hits": [
                {
                    **h.as_json(),
                    "title": a.title if a else None,
                    "language": a.language if a else None,
                }
                for h, a in hits
            ],
        }
        _print_json(doc)
        return
    out.print(f"{row.id}: {row.name} ({row.kind}: {watches})", highlight=False)
    out.print(
        f"{'active' if row.active else 'paused'}, {row.mode}"
        + (f" at {row.digest_at}" if row.mode == "digest" else "")
        + f", to {', '.join(row.channels)}",
        highlight=False,
    )
    out.print(f"unsubscribe: {link}", highlight=False)
    table = Table("matched", "article", "sent", "title")
    for h, a in hits:
        table.add_row(
            h.matched.isoformat(timespec="minutes"),
            str(h.article_id),
            h.sent.isoformat(timespec="minutes") if h.sent else "",
            (a.title if a else "")[:70],
        )
    out.print(table)


@alerts_app.command("pause")
def alerts_pause(ctx: typer.Context, alert_id: IdArg) -> None:
    """Stop an alert (its waiting hits are kept)."""
    with _desk(ctx) as desk:
        row = desk.alerts.pause(alert_id)
    out.print(f"Paused alert {row.id}: {row.name}", highlight=False)


@alerts_app.command("resume")
def alerts_resume(ctx: typer.Context, alert_id: IdArg) -> None:
    """Start a paused alert again."""
    with _desk(ctx) as desk:
        row = desk.alerts.resume(alert_id)
    out.print(f"Resumed alert {row.id}: {row.name}", highlight=False)


@alerts_app.command("remove")
def alerts_remove(ctx: typer.Context, alert_id: IdArg) -> None:
    """Delete an alert and its hits."""
    with _desk(ctx) as desk:
        row = desk.alerts.remove(alert_id)
    out.print(f"Removed alert {row.id}: {row.name}", highlight=False)


@alerts_app.command("check")
def alerts_check(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Articles stored since this date (default: a day ago)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the active alerts over recently stored articles by hand."""
    from hoasen.store.schema import utcnow

    start = _parse_date(since, "--since") or utcnow() - timedelta(days=1)
    with _desk(ctx) as desk:
        run = desk.alerts.check(start)
    if as_json:
        _print_json(run.as_json())
        return
    _print_run(run, "Checked")


@alerts_app.command("digests")
def alerts_digests(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Send the due digests now (and deliver hits a failure left waiting)."""
    with _desk(ctx) as desk:
        run = desk.alerts.send_due_digests()
        pending = desk.alerts.send_pending()
    run.delivered += pending.delivered
    run.errors.extend(pending.errors)
    run.rehearsed.extend(pending.rehearsed)
    if as_json:
        _print_json(run.as_json())
        return
    _print_run(run, "Digests")


@app.command("notifications")
def notifications(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="Only those not read yet.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The desk's notification list, newest first (every user's)."""
    with _desk(ctx) as desk:
        rows = desk.alerts.notifications(unread=unread)
    if as_json:
        _print_json({"items": [n.as_json() for n in rows], "total": len(rows)})
        return
    table = Table("id", "when", "kind", "title", "link", "read")
    for n in rows:
        table.add_row(
            str(n.id),
            n.created.isoformat(timespec="minutes"),
            n.kind,
            n.title[:70],
            n.link or "",
            "" if n.read is None else "read",
        )
    out.print(table)
