"""Commands of the office's registers (`hoasen register ...`): delegations, foreign press and
their permits, the yearly statistics, and the people named in them (show, export, erase).

`register_app` is the `register` group; the events calendar adds its `events` group to it.
"""

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, app, err, out
from hoasen.errors import UsageError

register_app = typer.Typer(
    help="The office's registers: delegations, foreign press, events, statistics, people.",
    no_args_is_help=True,
)
delegations_app = typer.Typer(help="Incoming and outgoing delegations.", no_args_is_help=True)
press_app = typer.Typer(
    help="Foreign press groups, journalists and their permits.", no_args_is_help=True
)
activity_app = typer.Typer(help="A delegation's programme.", no_args_is_help=True)
person_app = typer.Typer(
    help="People named in the registers: read (audited), export, erase.", no_args_is_help=True
)
app.add_typer(register_app, name="register")
register_app.add_typer(delegations_app, name="delegations")
delegations_app.add_typer(activity_app, name="activity")
register_app.add_typer(press_app, name="press")
register_app.add_typer(person_app, name="person")

FileArg = Annotated[Path, typer.Argument(help="A .csv or .xlsx file.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check every row and import nothing.")]
YearOpt = Annotated[int | None, typer.Option("--year", help="Only entries starting this year.")]


def _me() -> str:
    """The operator's name for the audit log (the login name; `cli` when unknown)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _year(year: int | None) -> tuple[date | None, date | None]:
    if year is None:
        return None, None
    if not 1900 <= year <= 9999:
        raise UsageError(f"{year} is not a year")
    return date(year, 1, 1), date(year, 12, 31)


def _show_import(
    doc: dict[str, object], as_json: bool, rows: int, errors: list[tuple[int, str]]
) -> None:
    """Print an import's report; exit 1 when any row was wrong."""
    if as_json:
        _print_json(doc)
    else:
        for bad in errors:
            err.print(f"row {bad[0]}: {bad[1]}", highlight=False)
        if errors:
            err.print(f"{len(errors)} of {rows} rows are wrong: nothing imported.")
        elif doc["dry_run"]:
            out.print(f"All {rows} rows are clean (dry run: nothing imported).")
        else:
            out.print(f"Imported {doc['imported']} rows.")
    if errors:
        raise typer.Exit(1)


# ------------------------------------------------------------------------- delegations


@delegations_app.command("import")
def delegations_import(
    ctx: typer.Context, file: FileArg, dry_run: DryRunOpt = False, as_json: JsonOpt = False
) -> None:
    """Import delegations from a CSV or XLSX file: all rows, or none when any is wrong."""
    from hoasen.registers.tables import import_delegations

    with _desk(ctx) as desk:
        report = import_delegations(desk.registers.delegations, file, dry_run=dry_run)
    _show_import(report.as_json(), as_json, report.rows, report.errors)


@delegations_app.command("add")
def delegations_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option("--title", help="What the delegation is called.")],
    direction: Annotated[str, typer.Option("--direction", help="incoming or outgoing.")],
    country: Annotated[str, typer.Option("--country", help="Country code or name.")],
    starts: Annotated[str, typer.Option("--starts", help="First day (YYYY-MM-DD).")],
    ends: Annotated[str, typer.Option("--ends", help="Last day (YYYY-MM-DD).")] = "",
    members: Annotated[int, typer.Option("--members", min=0, help="Number of people.")] = 0,
    level: Annotated[str, typer.Option("--level", help="e.g. ministerial, provincial.")] = "",
    purpose: Annotated[
        str, typer.Option("--purpose", help="Purposes, separated by semicolons.")
    ] = "",
    organisation: Annotated[
        str, typer.Option("--organisation", help="The sending or receiving body.")
    ] = "",
    agreement: Annotated[
        int | None, typer.Option("--agreement", help="The cooperation agreement's id.")
    ] = None,
    status: Annotated[
        str, typer.Option("--status", help="planned, confirmed, held or cancelled.")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record one delegation (its head is personal data: a registrar adds it on the web)."""
    with _desk(ctx) as desk:
        row = desk.registers.delegations.add(
            title=title,
            direction=direction,
            country=country,
            starts=starts,
            ends=ends,
            members=members,
            level=level,
            purpose=purpose,
            organisation=organisation,
            agreement="" if agreement is None else str(agreement),
            status=status,
        )
        desk.registers.rows.audit(_me(), "register.delegation.add", f"delegation:{row.id}", {})
    if as_json:
        _print_json(row.as_json())
        return
    out.print(f"Recorded delegation {row.id}: {row.title} ({row.starts})", highlight=False)


@activity_app.command("add")
def activity_add(
    ctx: typer.Context,
    delegation: Annotated[int, typer.Argument(help="The delegation's id.")],
    on: Annotated[str, typer.Option("--on", help="The day (YYYY-MM-DD), within the visit.")],
    place: Annotated[str, typer.Option("--place", help="Where it takes place.")],
    description: Annotated[str, typer.Option("--description", help="What takes place.")],
    at: Annotated[str, typer.Option("--at", help="The time (HH:MM).")] = "",
) -> None:
    """Add an item to a delegation's programme."""
    with _desk(ctx) as desk:
        row = desk.registers.delegations.add_activity(
            delegation, on, description, at=at, place=place
        )
    out.print(f"Added programme item {row.id} on {row.on} to delegation {delegation}.")


@activity_app.command("list")
def activity_list(
    ctx: typer.Context,
    delegation: Annotated[int, typer.Argument(help="The delegation's id.")],
    as_json: JsonOpt = False,
) -> None:
    """A delegation's programme, in order."""
    with _desk(ctx) as desk:
        rows = desk.registers.delegations.activities(delegation)
    if as_json:
        _print_json([a.as_json() for a in rows])
        return
    if not rows:
        out.print("No programme recorded.")
        return
    table = Table("id", "on", "at", "place", "description")
    for a in rows:
        table.add_row(str(a.id), a.on.isoformat(), a.at, a.place, a.description)
    out.print(table)


@delegations_app.command("list")
def delegations_list(
    ctx: typer.Context,
    year: YearOpt = None,
    direction: Annotated[
        str | None, typer.Option("--direction", help="incoming or outgoing.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List delegations, oldest first."""
    with _desk(ctx) as desk:
        since, until = _year(year)
        rows = desk.registers.delegations.find(since=since, until=until, direction=direction)
    if as_json:
        _print_json([d.as_json() for d in rows])
        return
    table = Table("id", "dir", "starts", "country", "members", "level", "status", "title")
    for d in rows:
        table.add_row(
            str(d.id),
            d.direction[:3],
            d.starts.isoformat(),
            d.country or "",
            str(d.members),
            d.level,
            d.status,
            d.title,
        )
    out.print(table)


@delegations_app.command("export")
def delegations_export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="A .csv or .xlsx file.")],
    year: YearOpt = None,
    with_people: Annotated[
        bool, typer.Option("--with-people", help="Add the head's name and role (personal data).")
    ] = False,
) -> None:
    """Export delegations to CSV or XLSX (dates ISO; names only with --with-people)."""
    from hoasen.registers.tables import delegation_table, write_table

    with _desk(ctx) as desk:
        since, until = _year(year)
        regs = desk.registers
        rows = regs.delegations.find(since=since, until=until)
        people = regs.rows.people([d.head_id for d in rows if d.head_id]) if with_people else {}
        if with_people:
            regs.rows.audit(_me(), "register.delegations.export", str(output), {"year": year})
        header, lines = delegation_table(rows, people, with_people)
        written = write_table(output, header, lines)
    out.print(f"Wrote {written} delegations to {output}", highlight=False)


# ------------------------------------------------------------------------- press


@press_app.command("import")
def press_import(
    ctx: typer.Context, file: FileArg, dry_run: DryRunOpt = False, as_json: JsonOpt = False
) -> None:
    """Import journalists (one a row, with their group) from CSV or XLSX: all rows or none."""
    from hoasen.registers.tables import import_press

    with _desk(ctx) as desk:
        report = import_press(desk.registers.press, file, dry_run=dry_run)
    _show_import(report.as_json(), as_json, report.rows, report.errors)


@press_app.command("export")
def press_export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="A .csv or .xlsx file.")],
    year: YearOpt = None,
    with_people: Annotated[
        bool,
        typer.Option(
            "--with-people",
            help="One journalist a row with name, role and permit (personal data).",
        ),
    ] = False,
) -> None:
    """Export press groups to CSV or XLSX (one group a row; journalists only with
    --with-people, in the columns `press import` reads)."""
    from hoasen.registers.tables import press_table, write_table

    with _desk(ctx) as desk:
        since, until = _year(year)
        regs = desk.registers
        groups = regs.press.groups(since, until)
        members = regs.press.journalists([g.id for g in groups]) if groups else []
        people = regs.rows.people([j.person_id for j in members]) if with_people else {}
        if with_people:
            regs.rows.audit(_me(), "register.press.export", str(output), {"year": year})
        header, lines = press_table(groups, members, people, with_people)
        written = write_table(output, header, lines)
    out.print(f"Wrote {written} rows ({len(groups)} press groups) to {output}", highlight=False)


@press_app.command("list")
def press_list(ctx: typer.Context, year: YearOpt = None, as_json: JsonOpt = False) -> None:
    """List press groups with their number of journalists, oldest first."""
    with _desk(ctx) as desk:
        since, until = _year(year)
        press = desk.registers.press
        groups = press.groups(since, until)
        members = press.journalists([g.id for g in groups])
    counts = {g.id: sum(1 for j in members if j.group_id == g.id) for g in groups}
    if as_json:
        _print_json([{**g.as_json(), "journalists": counts[g.id]} for g in groups])
        return
    table = Table("id", "starts", "country", "journalists", "status", "outlets", "title")
    for g in groups:
        table.add_row(
            str(g.id),
            g.starts.isoformat(),
            g.country or "",
            str(counts[g.id]),
            g.status,
            ", ".join(g.outlets),
            g.title,
        )
    out.print(table)


@press_app.command("permits")
def press_permits(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", min=0, help="Flag permits ending within.")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Permits ending soon or just ended, and coverage published outside a permit's dates."""
    with _desk(ctx) as desk:
        flags = desk.registers.press.permits(days=days)
    if as_json:
        _print_json([f.as_json() for f in flags])
        return
    if not flags:
        out.print("No permit needs attention.")
    for f in flags:
        what = (
            f"article {f.article_id} published {f.published}"
            if f.kind == "coverage-outside"
            else f"{f.days_left} days left"
        )
        out.print(
            f"{f.kind}: journalist {f.journalist.id} {f.name} "
            f"(permit {f.journalist.permit_number or '?'}, {f.journalist.valid_from} to "
            f"{f.journalist.valid_to}): {what}",
            highlight=False,
        )


@press_app.command("suggest")
def press_suggest(
    ctx: typer.Context,
    group: Annotated[int, typer.Argument(help="The press group's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Suggest articles the group's journalists published (by byline or outlet)."""
    with _desk(ctx) as desk:
        links = desk.registers.press.suggest_coverage(group)
    if as_json:
        _print_json([lk.as_json() for lk in links])
        return
    for lk in links:
        out.print(f"link {lk.id}: journalist {lk.entry_id} article {lk.article_id} {lk.status}")


@press_app.command("decide")
def press_decide(
    ctx: typer.Context,
    link: Annotated[int, typer.Argument(help="The link's id (from `press suggest`).")],
    status: Annotated[str, typer.Argument(help="confirmed or rejected.")],
    officer: Annotated[
        str | None, typer.Option("--officer", help="Who decides (default: your login).")
    ] = None,
) -> None:
    """Confirm or reject a suggested article."""
    with _desk(ctx) as desk:
        row = desk.registers.press.decide(link, status, officer or _me())
    out.print(f"link {row.id}: {row.status} by {row.decided_by}", highlight=False)


# ------------------------------------------------------------------------- stats, people


@register_app.command("stats")
def register_stats(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="The year.")],
    quarter: Annotated[int | None, typer.Option("--quarter", help="Only this quarter.")] = None,
    month: Annotated[int | None, typer.Option("--month", help="Only this month.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the figures to a .csv or .xlsx file."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Delegations, delegates, press groups, journalists and events of a period."""
    with _desk(ctx) as desk:
        doc = desk.registers.stats(year, quarter=quarter, month=month)
        if output is not None:
            from hoasen.registers.tables import stats_table, write_table

            header, lines = stats_table(doc)
            written = write_table(output, header, lines)
            if not as_json:
                out.print(f"Wrote {written} figures to {output}", highlight=False)
    if as_json:
        _print_json(doc)
        return
    if output is not None:
        return
    out.print(f"{doc['from']} to {doc['to']} (planned, confirmed and held; cancelled left out)")
    for name in ("delegations", "delegates", "press_delegations", "journalists", "events"):
        out.print(f"  {name}: {doc[name]}")
    for direction in ("incoming", "outgoing"):
        part = doc[direction]
        out.print(f"  {direction}: {part['delegations']} delegations, {part['delegates']} people")
    for country, part in doc["by_country"].items():
        out.print(f"  {country}: {part['delegations']} delegations, {part['delegates']} people")


@person_app.command("show")
def person_show(
    ctx: typer.Context,
    person: Annotated[int, typer.Argument(help="The person's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show a person's record (the read is written to the audit log)."""
    with _desk(ctx) as desk:
        row = desk.registers.person(person, _me())
    if as_json:
        _print_json(row.as_json())
        return
    state = f" (erased {row.erased:%Y-%m-%d})" if row.erased else ""
    out.print(
        f"{row.id}: {row.name} — {row.role} {row.outlet} {row.nationality or ''}{state}",
        highlight=False,
    )


@person_app.command("export")
def person_export(
    ctx: typer.Context, person: Annotated[int, typer.Argument(help="The person's id.")]
) -> None:
    """Print everything held about a person as one JSON document (audited)."""
    with _desk(ctx) as desk:
        doc = desk.registers.export_person(person, _me())
    _print_json(doc)


@person_app.command("erase")
def person_erase(
    ctx: typer.Context,
    person: Annotated[int, typer.Argument(help="The person's id.")],
    by: Annotated[str | None, typer.Option("--by", help="Who erases (default: login).")] = None,
) -> None:
    """Erase a person's data (name, role, outlet, nationality); entries and counts stay."""
    with _desk(ctx) as desk:
        desk.registers.erase_person(person, by or _me())
    out.print(f"Erased person {person}.")
