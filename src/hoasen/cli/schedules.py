"""Report schedule commands, `hoasen report schedule ...`: add, list, show, edit, enable,
disable, remove, and run one by hand (idempotent: the same instant is built and mailed once)."""

import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, err, out
from hoasen.cli.reports import (
    ArticleLangOpt,
    CountryOpt,
    EntityOpt,
    PartnerOpt,
    QueryOpt,
    SourceOpt,
    TopicOpt,
    report_app,
)
from hoasen.errors import UsageError
from hoasen.reports import FORMATS

if TYPE_CHECKING:
    from hoasen.reports.schedules import ReportScheduleDesk, ScheduleRun
    from hoasen.store.schedules import ScheduleRow

schedule_app = typer.Typer(
    help="Report schedules: a daily, weekly or monthly report built at a time in the office "
    "time zone and e-mailed to its recipients.",
    no_args_is_help=True,
)
report_app.add_typer(schedule_app, name="schedule")

NameArg = Annotated[str, typer.Argument(help="The schedule's name (or id).")]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="Time of day, HH:MM in the office time zone.")
]
WeekdayOpt = Annotated[
    str | None, typer.Option("--weekday", help="Weekly: mon..sun (default mon).")
]
DayOpt = Annotated[
    int | None, typer.Option("--day", help="Monthly: day of the month, 1-28 (default 1).")
]
ScheduleLangOpt = Annotated[
    str | None, typer.Option("--lang", help="Report language: vi or en (default office_language).")
]
FormatsOpt = Annotated[
    list[str] | None,
    typer.Option("--format", help=f"A format to attach (repeatable): {', '.join(FORMATS)}."),
]
ToOpt = Annotated[
    list[str] | None,
    typer.Option("--to", help="A recipient's e-mail address (repeatable)."),
]


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _filters(
    query: str | None,
    topic: list[str] | None,
    entity: list[str] | None,
    partner: list[str] | None,
    country: list[str] | None,
    source: list[str] | None,
    article_lang: list[str] | None,
) -> dict[str, Any] | None:
    """The filter options given, as stored filters; None when none was given."""
    given = {
        "query": query,
        "topics": topic,
        "entities": entity,
        "partners": partner,
        "countries": country,
        "sources": source,
        "languages": article_lang,
    }
    found = {k: v for k, v in given.items() if v}
    return found or None


def _when(schedule: "ScheduleRow") -> str:
    from hoasen.reports.schedule_times import WEEKDAYS

    if schedule.kind == "weekly" and schedule.weekday is not None:
        return f"weekly {WEEKDAYS[schedule.weekday]} {schedule.at}"
    if schedule.kind == "monthly":
        return f"monthly day {schedule.day} {schedule.at}"
    return f"daily {schedule.at}"


def _local(schedules: "ReportScheduleDesk", value: datetime | None) -> str:
    return value.astimezone(schedules.zone).strftime("%Y-%m-%d %H:%M") if value else "-"


def _parse_at(value: str | None, schedules: "ReportScheduleDesk") -> datetime | None:
    """--at as an instant: a date or date-time, read in the office time zone without a zone."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise UsageError(f"--at must be a time like 2026-03-10T07:30, not {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=schedules.zone)


@schedule_app.command("add")
def schedule_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the schedule.")],
    kind: Annotated[str, typer.Option("--kind", help="daily, weekly or monthly.")] = "daily",
    at: AtOpt = "07:30",
    weekday: WeekdayOpt = None,
    day: DayOpt = None,
    lang: ScheduleLangOpt = None,
    fmt: FormatsOpt = None,
    to: ToOpt = None,
    query: QueryOpt = None,
    topic: TopicOpt = None,
    entity: EntityOpt = None,
    partner: PartnerOpt = None,
    country: CountryOpt = None,
    source: SourceOpt = None,
    article_lang: ArticleLangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Schedule a report: built at its time (office time zone), mailed, registered."""
    with _desk(ctx) as desk:
        schedules = desk.schedules
        row = schedules.add(
            name,
            kind,
            at=at or "07:30",
            weekday=weekday,
            day=day,
            language=lang,
            formats=fmt or ("pdf",),
            recipients=to or (),
            filters=_filters(query, topic, entity, partner, country, source, article_lang),
            created_by=_operator(),
        )
        doc = schedules.as_json(row)
    if as_json:
        _print_json(doc)
        return
    out.print(f"Scheduled {row.name!r} ({_when(row)}); next run {doc['next_due']}.")


@schedule_app.command("list")
def schedule_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the schedules with their next run (office time) and last report."""
    with _desk(ctx) as desk:
        schedules = desk.schedules
        rows = schedules.list()
        now = datetime.now(UTC)
        docs = [schedules.as_json(r, now) for r in rows]
        table = Table("name", "when", "lang", "formats", "to", "state", "next run", "last report")
        for r in rows:
            table.add_row(
                r.name,
                _when(r),
                r.language,
                ", ".join(r.formats),
                str(len(r.recipients)),
                "enabled" if r.enabled else "disabled",
                _local(schedules, schedules.next_due(r, now)),
                r.last_number or "-",
            )
    if as_json:
        _print_json(docs)
        return
    if not rows:
        out.print("No report schedules yet (try `hoasen report schedule add`).")
        return
    out.print(table)


@schedule_app.command("show")
def schedule_show(ctx: typer.Context, name: NameArg, as_json: JsonOpt = False) -> None:
    """Show one schedule: when, formats, recipients, filters, next run, last report."""
    with _desk(ctx) as desk:
        schedules = desk.schedules
        row = schedules.get(name)
        doc = schedules.as_json(row)
        following = schedules.next_due(row, datetime.now(UTC))
    if as_json:
        _print_json(doc)
        return
    out.print(f"{row.name} (id {row.id}): {_when(row)} {doc['timezone']}", highlight=False)
    out.print(f"  state: {'enabled' if row.enabled else 'disabled'}", highlight=False)
    out.print(f"  language: {row.language}; formats: {', '.join(row.formats)}", highlight=False)
    out.print(f"  to: {', '.join(row.recipients) or '(nobody)'}", highlight=False)
    if row.filters:
        out.print(f"  filters: {row.filters}", highlight=False)
    out.print(f"  next run: {_local(schedules, following)}", highlight=False)
    out.print(f"  last report: {row.last_number or '-'}", highlight=False)


@schedule_app.command("edit")
def schedule_edit(
    ctx: typer.Context,
    name: NameArg,
    new_name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="daily, weekly or monthly.")] = None,
    at: AtOpt = None,
    weekday: WeekdayOpt = None,
    day: DayOpt = None,
    lang: ScheduleLangOpt = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", help="Formats to attach (repeatable; replaces them)."),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help='Recipients (repeatable; replaces them; --to "" for none).'),
    ] = None,
    query: QueryOpt = None,
    topic: TopicOpt = None,
    entity: EntityOpt = None,
    partner: PartnerOpt = None,
    country: CountryOpt = None,
    source: SourceOpt = None,
    article_lang: ArticleLangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a schedule; options not given stay as they are (filters given replace all)."""
    with _desk(ctx) as desk:
        schedules = desk.schedules
        row = schedules.update(
            name,
            name=new_name,
            kind=kind,
            at=at,
            weekday=weekday,
            day=day,
            language=lang,
            formats=fmt,
            recipients=to,
            filters=_filters(query, topic, entity, partner, country, source, article_lang),
        )
        doc = schedules.as_json(row)
    if as_json:
        _print_json(doc)
        return
    out.print(f"Changed {row.name!r} ({_when(row)}); next run {doc['next_due']}.")


@schedule_app.command("enable")
def schedule_enable(ctx: typer.Context, name: NameArg) -> None:
    """Switch a schedule on (its latest instant not built yet is built at the next tick)."""
    with _desk(ctx) as desk:
        row = desk.schedules.enable(name)
    out.print(f"Enabled {row.name!r}.")


@schedule_app.command("disable")
def schedule_disable(ctx: typer.Context, name: NameArg) -> None:
    """Switch a schedule off: nothing is built until it is enabled again."""
    with _desk(ctx) as desk:
        row = desk.schedules.disable(name)
    out.print(f"Disabled {row.name!r}.")


@schedule_app.command("remove")
def schedule_remove(ctx: typer.Context, name: NameArg) -> None:
    """Delete a schedule (the reports it made stay in the register)."""
    with _desk(ctx) as desk:
        row = desk.schedules.remove(name)
    out.print(f"Removed {row.name!r}.")


def _print_run(run: "ScheduleRun") -> None:
    made = "made now" if run.created else "already made"
    out.print(f"Report {run.number} ({made}) for {run.key}.", highlight=False)
    if run.sent:
        out.print(f"  mailed to: {', '.join(run.sent)}", highlight=False)
    if run.already:
        out.print(f"  mailed earlier: {', '.join(run.already)}", highlight=False)
    if run.pending:
        out.print(f"  queued for a retry: {', '.join(run.pending)}", highlight=False)
    for error in run.errors:
        err.print(f"[red]error:[/red] {error}", highlight=False)


@schedule_app.command("run")
def schedule_run(
    ctx: typer.Context,
    name: NameArg,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Run the latest instant at or before this time (ISO; office time zone "
            "without a zone; default now).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a schedule by hand: its latest instant is built, mailed and registered once
    (running again finds the report and mails nobody twice; failed mail is tried again)."""
    with _desk(ctx) as desk:
        schedules = desk.schedules
        run = schedules.run_now(name, _parse_at(at, schedules))
    if as_json:
        _print_json(run.as_json())
    else:
        _print_run(run)
    if run.errors:
        raise typer.Exit(1)
