"""Commands of mailing lists and campaigns: `hoasen lists ...` (create, import the official
address list from CSV or Excel, list members, blocklist an address), `hoasen campaign ...` (new,
test, send with a progress bar, resumable; status; cancel) and `hoasen mail bounces` (read
delivery status notifications and abuse reports from a Maildir or mbox)."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, _read_text, app, err, out
from hoasen.errors import UsageError

if TYPE_CHECKING:
    from hoasen.desk import Desk
    from hoasen.mail import Mailer
    from hoasen.publish.mailing import MailingDesk

lists_app = typer.Typer(help="Mailing lists and their subscribers.", no_args_is_help=True)
campaign_app = typer.Typer(help="Mail campaigns to a mailing list.", no_args_is_help=True)
mail_app = typer.Typer(help="The office's mail: bounces and complaints.", no_args_is_help=True)
app.add_typer(lists_app, name="lists")
app.add_typer(campaign_app, name="campaign")
app.add_typer(mail_app, name="mail")


def _mailing(desk: "Desk") -> "MailingDesk":
    """The mailing desk over `desk` (imported here: mail and publishing load only when used)."""
    from hoasen.publish.mailing import MailingDesk

    return MailingDesk(desk)


def _where(mailer: "Mailer") -> str:
    """Where messages went, said plainly (the outbox folder in a dry run)."""
    if mailer.dry_run:
        return f"no smtp_url is set: messages were written to the outbox folder {mailer.where}"
    return f"sent via {mailer.where}"


@lists_app.command("create")
def lists_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list's name.")],
    double_optin: Annotated[
        bool, typer.Option("--double-optin", help="New subscribers confirm by mail first.")
    ] = False,
    language: Annotated[
        str, typer.Option("--language", help="Language of campaigns to it (fallback).")
    ] = "vi",
    as_json: JsonOpt = False,
) -> None:
    """Create a mailing list."""
    with _desk(ctx) as desk:
        created = _mailing(desk).create_list(name, double_optin, language)
    if as_json:
        _print_json(created.as_json())
        return
    out.print(f"Created list {created.id}: {created.name}", highlight=False)


@lists_app.command("list")
def lists_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the mailing lists with their active members."""
    with _desk(ctx) as desk:
        found = _mailing(desk).lists()
    if as_json:
        _print_json([m.as_json() for m in found])
        return
    if not found:
        out.print("No mailing lists.")
        return
    table = Table("id", "name", "language", "double opt-in", "active members")
    for m in found:
        table.add_row(
            str(m.id), m.name, m.language, "yes" if m.double_optin else "no", str(m.members)
        )
    out.print(table)


@lists_app.command("import")
def lists_import(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list's name or id.")],
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file: email, name, language.")],
    as_json: JsonOpt = False,
) -> None:
    """Import subscribers; good rows are kept, bad rows reported with their row number."""
    with _desk(ctx) as desk:
        report = _mailing(desk).import_subscribers(name, file)
    if as_json:
        _print_json(report.as_json())
        return
    out.print(
        f"{report.list_name}: {report.added} added, {report.updated} updated, "
        f"{report.already} already there, {len(report.bad)} bad rows.",
        highlight=False,
    )
    for bad in report.bad:
        err.print(f"  row {bad.row}: {bad.email}: {bad.reason}", highlight=False)


@lists_app.command("subscribers")
def lists_subscribers(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list's name or id.")],
    as_json: JsonOpt = False,
) -> None:
    """List a mailing list's subscribers with their statuses."""
    with _desk(ctx) as desk:
        found = _mailing(desk).subscribers(name)
    if as_json:
        _print_json([s.as_json() for s in found])
        return
    table = Table("email", "name", "language", "on the list", "status")
    for s in found:
        table.add_row(s.email, s.name, s.language, s.member_status, s.status)
    out.print(table)


@campaign_app.command("new")
def campaign_new(
    ctx: typer.Context,
    list_name: Annotated[str, typer.Option("--list", help="The list's name or id.")],
    edition: Annotated[
        str | None, typer.Option("--edition", help="An approved edition issue to send.")
    ] = None,
    report: Annotated[
        str | None, typer.Option("--report", help="A registered report's number to send.")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="The subject line.")] = None,
    body: Annotated[
        str | None, typer.Option("--body", help="UTF-8 text body file (- for stdin).")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Optional HTML body file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a draft campaign: an edition (in each subscriber's language), a report, or a
    subject and body of your own; prints its id."""
    chosen = [x for x in (edition, report, subject or body) if x]
    with _desk(ctx) as desk:
        if len(chosen) != 1:
            raise UsageError(
                "give one of --edition ISSUE, --report NUMBER or --subject S --body FILE"
            )
        mailing = _mailing(desk)
        if edition or report:
            campaign = mailing.campaign_from(list_name, edition=edition, report=report)
        else:
            if not subject or not body:
                raise UsageError("a campaign of your own needs both --subject and --body")
            html_text = _read_text(str(html)) if html else None
            campaign = mailing.new_campaign(list_name, subject, _read_text(body), html_text)
    if as_json:
        _print_json(campaign.as_json())
        return
    out.print(str(campaign.id))


@campaign_app.command("test")
def campaign_test(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    to: Annotated[str, typer.Option("--to", help="Address that gets the test copy.")],
) -> None:
    """Send one test copy of a campaign."""
    with _desk(ctx) as desk:
        mailing = _mailing(desk)
        receipt = mailing.test_send(campaign_id, to)
    out.print(receipt, highlight=False)
    out.print(_where(mailing.mailer), highlight=False)


@campaign_app.command("send")
def campaign_send(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Send a campaign to the list's active members; run it again to resume after a stop."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("Sending"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with _desk(ctx) as desk, Progress(*columns, console=err.console, transient=True) as bar:
        mailing = _mailing(desk)
        task = bar.add_task("send", total=None)
        report = mailing.send(
            campaign_id, lambda done, total: bar.update(task, completed=done, total=total)
        )
    if as_json:
        _print_json(report.as_json())
        return
    out.print(
        f"Campaign {campaign_id}: {report.sent} sent, {report.failed} failed, "
        f"{report.skipped} skipped, {report.remaining} left.",
        highlight=False,
    )
    out.print(_where(mailing.mailer), highlight=False)


@campaign_app.command("status")
def campaign_status(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show where a campaign's send stands."""
    with _desk(ctx) as desk:
        status = _mailing(desk).status(campaign_id)
    if as_json:
        _print_json(status.as_json())
        return
    c = status.campaign
    counts = ", ".join(f"{n} {k}" for k, n in status.counts.items())
    out.print(f"Campaign {c.id} to {status.list_name}: {c.status}; {counts}.", highlight=False)


@campaign_app.command("cancel")
def campaign_cancel(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="The campaign's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Cancel a campaign: what is not sent yet is never sent."""
    with _desk(ctx) as desk:
        mailing = _mailing(desk)
        mailing.campaigns.cancel(campaign_id)
        status = mailing.status(campaign_id)
    if as_json:
        _print_json(status.as_json())
        return
    out.print(
        f"Campaign {campaign_id} cancelled; {status.counts['sent']} had been sent.",
        highlight=False,
    )


@lists_app.command("blocklist")
def lists_blocklist(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address never to mail again.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the address).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Never mail an address again, on any list (an import cannot bring it back)."""
    with _desk(ctx) as desk:
        subscriber = _mailing(desk).blocklist(email, reason)
    if as_json:
        _print_json(subscriber.as_json())
        return
    out.print(f"{subscriber.email} is blocklisted.", highlight=False)


@mail_app.command("bounces")
def mail_bounces(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A Maildir folder or an mbox file.")],
    as_json: JsonOpt = False,
) -> None:
    """Read bounce reports (RFC 3464) and complaints (ARF) from a mailbox and apply them."""
    with _desk(ctx) as desk:
        report = _mailing(desk).bounces.read_mailbox(source)
    if as_json:
        _print_json(report.as_json())
        return
    blocked = sum(1 for o in report.outcomes if o.blocklisted and not o.duplicate)
    out.print(
        f"{report.messages} messages, {report.reports} new reports, {report.already} read "
        f"before; {len(report.outcomes)} bounces recorded, {blocked} addresses blocklisted.",
        highlight=False,
    )
    for o in report.outcomes:
        flag = " (blocklisted)" if o.blocklisted else ""
        out.print(f"  {o.kind}: {o.email}{flag}", highlight=False)
    for line in report.skipped:
        err.print(f"  skipped {line}", highlight=False)
