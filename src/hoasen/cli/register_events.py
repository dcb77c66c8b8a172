"""Commands of the events calendar (`hoasen register events ...`): add and list events, import
and export iCalendar, CSV and XLSX, find an event's coverage, make its thematic report and hand
out a calendar subscription token."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, err, out
from hoasen.cli.registers_cli import _show_import, register_app
from hoasen.errors import UsageError

events_app = typer.Typer(
    help="The events calendar: festivals, forums, conferences, anniversaries, visits.",
    no_args_is_help=True,
)
register_app.add_typer(events_app, name="events")

CalendarOpt = Annotated[str, typer.Option("--calendar", help="The calendar (default: office).")]


@events_app.command("import")
def events_import(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="An iCalendar (.ics), CSV (.csv) or Excel (.xlsx) file.")
    ],
    calendar: Annotated[
        str,
        typer.Option(
            "--calendar", help="The calendar (default: office; CSV/XLSX: rows naming none)."
        ),
    ] = "office",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every event and import nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import events: iCalendar (known UIDs update their event, broken events are reported) or
    a CSV/XLSX sheet, one event a row (all rows, or none when any is wrong)."""
    suffix = file.suffix.lower()
    if suffix in (".csv", ".xlsx"):
        from hoasen.registers.tables import import_events

        with _desk(ctx) as desk:
            table = import_events(desk.registers.events, file, dry_run=dry_run, calendar=calendar)
        _show_import(table.as_json(), as_json, table.rows, table.errors)
        return
    if suffix != ".ics":
        err.print(
            f"[red]error:[/red] {file.name} is not an .ics, .csv or .xlsx file", highlight=False
        )
        raise typer.Exit(2)
    try:
        data = file.read_bytes()
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot read {file}: {exc.strerror}", highlight=False)
        raise typer.Exit(2) from exc
    with _desk(ctx) as desk:
        report = desk.registers.events.import_ics(data, calendar=calendar, dry_run=dry_run)
    if as_json:
        _print_json(report.as_json())
    else:
        verb = "would add" if dry_run else "added"
        out.print(
            f"{calendar}: {verb} {len(report.added)}, "
            f"{'would update' if dry_run else 'updated'} {len(report.updated)}, "
            f"{len(report.errors)} refused",
            highlight=False,
        )
        for where, reason in report.errors:
            err.print(f"  {where}: {reason}", highlight=False)
    if report.errors and not report.added and not report.updated:
        raise typer.Exit(1)


@events_app.command("export")
def events_export(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The .ics, .csv or .xlsx file to write.")
    ],
    calendar: CalendarOpt = "office",
    year: Annotated[
        int | None, typer.Option("--year", help="Only events held this year (.csv/.xlsx).")
    ] = None,
    month: Annotated[
        int | None, typer.Option("--month", help="Only this month (with --year; .csv/.xlsx).")
    ] = None,
) -> None:
    """Write a calendar as iCalendar (RFC 5545), or its (filtered) list as CSV or XLSX, by
    the file's suffix."""
    from hoasen.registers.tables import event_table, write_table

    suffix = output.suffix.lower()
    with _desk(ctx) as desk:
        events = desk.registers.events
        if suffix == ".ics":
            if year is not None or month is not None:
                raise UsageError("--year and --month filter .csv and .xlsx exports only")
            output.write_bytes(events.export_ics(calendar))
            out.print(f"Wrote {output} ({calendar})", highlight=False)
            return
        if suffix not in (".csv", ".xlsx"):
            raise UsageError(f"{output.name}: export to a .ics, .csv or .xlsx file")
        if month is not None and year is None:
            raise UsageError("--month needs --year")
        header, lines = event_table(events.list(calendar, year=year, month=month))
        written = write_table(output, header, lines)
    out.print(f"Wrote {written} events to {output} ({calendar})", highlight=False)


@events_app.command("list")
def events_list(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="Events held this year.")] = None,
    month: Annotated[
        int | None, typer.Option("--month", help="Only this month (with --year).")
    ] = None,
    calendar: Annotated[str | None, typer.Option("--calendar", help="Only this calendar.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List events (or their occurrences in a year or month, recurring ones expanded)."""
    from hoasen.registers.events import period_days

    with _desk(ctx) as desk:
        events = desk.registers.events
        if year is None:
            if month is not None:
                raise UsageError("--month needs --year")
            rows = [(e, e.starts, e.ends) for e in events.list(calendar)]
            docs = [e.as_json() for e, _, _ in rows]
        else:
            found = events.occurrences(period_days(year, None, month), calendar=calendar)
            rows = [(o.event, o.start, o.end) for o in found]
            docs = [o.as_json() for o in found]
    if as_json:
        _print_json(docs)
        return
    table = Table("id", "when", "title", "kind", "place", "status")
    for event, start, end in rows:
        table.add_row(
            str(event.id),
            _when(event.all_day, start, end, event.timezone),
            event.title,
            event.kind,
            event.place,
            event.status,
        )
    out.print(table)


def _when(all_day: bool, start: object, end: object, tz: str) -> str:
    """When an event (occurrence) is, as the table shows it: days for all-day ones."""
    if not isinstance(start, datetime):
        return str(start)
    local = start.astimezone(ZoneInfo(tz))
    if all_day:
        last = end - timedelta(days=1) if isinstance(end, datetime) else local
        last_day = last.astimezone(ZoneInfo(tz)).date()
        first = local.date()
        return first.isoformat() + ("" if last_day <= first else f" → {last_day.isoformat()}")
    return f"{local:%Y-%m-%d %H:%M} {tz}"


@events_app.command("add")
def events_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The event's name.")],
    start: Annotated[
        str, typer.Option("--start", help="Start: 2026-03-01 (all day) or 2026-03-01T09:00.")
    ],
    end: Annotated[
        str | None, typer.Option("--end", help="End time, or last day of an all-day event.")
    ] = None,
    all_day: Annotated[bool, typer.Option("--all-day", help="An all-day event.")] = False,
    tz: Annotated[
        str | None, typer.Option("--tz", help="IANA time zone it is held in (office's).")
    ] = None,
    rrule: Annotated[
        str, typer.Option("--rrule", help="Recurrence, e.g. FREQ=YEARLY or FREQ=WEEKLY;BYDAY=MO.")
    ] = "",
    place: Annotated[str, typer.Option("--place", help="Where it is held.")] = "",
    kind: Annotated[
        str, typer.Option("--kind", help="festival, forum, conference, anniversary, visit...")
    ] = "",
    names: Annotated[
        str, typer.Option("--names", help="Other names (vi/en/zh), separated by |.")
    ] = "",
    expected: Annotated[
        int | None, typer.Option("--expected", help="Expected participants.")
    ] = None,
    calendar: CalendarOpt = "office",
    as_json: JsonOpt = False,
) -> None:
    """Add an event to a calendar."""
    with _desk(ctx) as desk:
        event = desk.registers.events.add(
            title,
            start=start,
            end=end,
            all_day=all_day,
            tz=tz,
            rrule=rrule,
            place=place,
            kind=kind,
            names=names.split("|"),
            expected=expected,
            calendar=calendar,
        )
    if as_json:
        _print_json(event.as_json())
        return
    out.print(f"Added event {event.id}: [bold]{event.title}[/bold] ({event.uid})", highlight=False)


@events_app.command("coverage")
def events_coverage(
    ctx: typer.Context,
    event_id: Annotated[int, typer.Argument(metavar="ID", help="The event's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Find and list the articles naming an event in its window, and their stories."""
    with _desk(ctx) as desk:
        found = desk.registers.events.coverage(event_id)
    if as_json:
        _print_json(found.as_json())
        return
    out.print(
        f"[bold]{found.event.title}[/bold]: {found.since:%Y-%m-%d} to {found.until:%Y-%m-%d} UTC",
        highlight=False,
    )
    table = Table("id", "status", "lang", "published", "title", "story")
    for a in found.articles:
        table.add_row(
            str(a.article_id),
            a.status,
            a.language or "",
            f"{a.published:%Y-%m-%d}" if a.published else "",
            a.title,
            str(a.story_id or ""),
        )
    out.print(table)


@events_app.command("report")
def events_report(
    ctx: typer.Context,
    event_id: Annotated[int, typer.Argument(metavar="ID", help="The event's id.")],
    language: Annotated[
        str | None, typer.Option("--language", help="Report language (vi or en).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make the thematic report of an event's coverage (its window and title)."""
    with _desk(ctx) as desk:
        made = desk.registers.events.thematic_report(event_id, language=language)
    if as_json:
        _print_json(made.document)
        return
    count = len(made.document.get("articles", []))
    out.print(f"Report {made.entry.number}: {count} articles", highlight=False)


@events_app.command("token")
def events_token(
    ctx: typer.Context,
    calendar: Annotated[str, typer.Argument(help="The calendar the token opens.")],
    user: Annotated[str, typer.Option("--user", help="The user the token is for.")],
) -> None:
    """Make a secret subscription token for a user's calendar feed (shown only once)."""
    with _desk(ctx) as desk:
        token = desk.registers.events.new_token(user, calendar)
    out.print(token, highlight=False, soft_wrap=True)
