"""Commands that receive from partners: `hoasen exchange receive` reads the watched folders of
the inbound exchange plans now (what a scheduler runs every few minutes)."""

import getpass
from typing import Annotated

import typer

from hoasen.cli import JsonOpt, _desk, _print_json, err, out
from hoasen.cli.exchange import exchange_app


def operator_name() -> str:
    """Who runs the command, for the ledger's operator column (`cli` when unknown)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


@exchange_app.command("receive")
def exchange_receive(
    ctx: typer.Context,
    plan: Annotated[
        str | None,
        typer.Option("--plan", help="Only this inbound plan's folder (default: every active one)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Receive the new partner documents in the watched folders of the inbound plans."""
    with _desk(ctx) as desk:
        polls = desk.inbox.poll_folders(plan, operator=operator_name())
    if as_json:
        _print_json({"plans": [p.as_json() for p in polls]})
        return
    if not polls:
        out.print("No active inbound plan reads from a watched folder.")
        return
    for poll in polls:
        if poll.error:
            err.print(f"[red]{poll.plan.name}:[/red] {poll.error}", highlight=False)
            continue
        out.print(
            f"[bold]{poll.plan.name}[/bold] ({poll.partner}, {poll.folder}): "
            f"{poll.count('received')} received, {poll.count('refused')} refused, "
            f"{poll.count('waiting')} still being written; {poll.ingest.ingested} new articles, "
            f"{poll.ingest.duplicates} duplicates.",
            highlight=False,
        )
        for f in poll.files:
            if f.status == "refused":
                out.print(f"  [yellow]refused[/yellow] {f.name}: {f.reason}", highlight=False)
