"""Report commands: `report daily|weekly|monthly|thematic`, `report show`, `reports`."""

import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, app, err, out
from hoasen.errors import UsageError
from hoasen.reports import EXTENSIONS, FORMATS

report_app = typer.Typer(
    help="Write a numbered monitoring report, or show a registered one.", no_args_is_help=True
)
app.add_typer(report_app, name="report")

DateOpt = Annotated[
    str | None, typer.Option("--date", help="A day of the period (YYYY-MM-DD; default today).")
]
FromOpt = Annotated[str | None, typer.Option("--from", help="Custom period: first day.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Custom period: last day (inclusive).")]
QueryOpt = Annotated[
    str | None, typer.Option("--query", help="Only articles matching these words.")
]
TopicOpt = Annotated[
    list[str] | None, typer.Option("--topic", help="Only this topic id (repeatable).")
]
EntityOpt = Annotated[
    list[str] | None,
    typer.Option("--entity", help="Only articles mentioning this entity (repeatable)."),
]
PartnerOpt = Annotated[
    list[str] | None,
    typer.Option("--partner", help="Only this partner source or partner entity (repeatable)."),
]
CountryOpt = Annotated[
    list[str] | None, typer.Option("--country", help="Only sources from this country (repeatable).")
]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", help="Only this registered source (repeatable).")
]
ArticleLangOpt = Annotated[
    list[str] | None,
    typer.Option("--article-lang", help="Only articles in this language (repeatable)."),
]
LangOpt = Annotated[
    str | None, typer.Option("--lang", help="Report language: vi or en (default office_language).")
]
FormatOpt = Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="File to write (default: a file in report_dir)."),
]
TitleOpt = Annotated[str | None, typer.Option("--title", help="The report's title.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who generates it (default: your user name).")
]


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"{name} must be a date like 2026-11-23, not {value!r}") from exc


def _file_name(number: str, kind: str, first: str, fmt: str) -> str:
    slug = re.sub(r"[^\w-]+", "-", number, flags=re.UNICODE).strip("-")
    return f"{kind}-{first}-{slug}.{EXTENSIONS[fmt]}"


def _deliver(data: bytes, fmt: str, output: Path | None, default: Path) -> None:
    """JSON and Markdown go to stdout unless -o is given; other formats to a file."""
    if output is None and fmt in ("json", "md"):
        sys.stdout.write(data.decode("utf-8"))
        return
    path = output or default
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc
    out.print(str(path), highlight=False)


def _make(
    ctx: typer.Context,
    kind: str,
    on: str | None,
    first: str | None,
    last: str | None,
    query: str | None,
    topic: list[str] | None,
    entity: list[str] | None,
    partner: list[str] | None,
    country: list[str] | None,
    source: list[str] | None,
    article_lang: list[str] | None,
    lang: str | None,
    fmt: str,
    output: Path | None,
    title: str | None,
    by: str | None,
) -> None:
    from hoasen.reports.build import ReportFilters

    with _desk(ctx) as desk:
        if fmt not in FORMATS:
            raise UsageError(f"unknown report format {fmt!r}; formats: {', '.join(FORMATS)}")
        filters = ReportFilters(
            query=query,
            topics=tuple(topic or ()),
            entities=tuple(entity or ()),
            partners=tuple(partner or ()),
            countries=tuple(country or ()),
            languages=tuple(article_lang or ()),
            sources=tuple(source or ()),
        )
        made = desk.reports.make(
            kind,
            on=_day(on, "--date"),
            first=_day(first, "--from"),
            last=_day(last, "--to"),
            filters=filters,
            language=lang,
            title=title,
            generated_by=by,
        )
        data = desk.reports.file(made.entry.number, fmt)
        default = Path(desk.settings.report_dir) / _file_name(
            made.entry.number, made.entry.kind, made.entry.period_from, fmt
        )
        _deliver(data, fmt, output, default)
    if fmt != "json":
        totals = made.document["totals"]
        err.print(
            f"Report {made.entry.number}: {totals['articles']} articles, "
            f"{totals['stories']} stories, {made.entry.period_from} to {made.entry.period_to}.",
            highlight=False,
        )


def _command(kind: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        on: DateOpt = None,
        first: FromOpt = None,
        last: ToOpt = None,
        query: QueryOpt = None,
        topic: TopicOpt = None,
        entity: EntityOpt = None,
        partner: PartnerOpt = None,
        country: CountryOpt = None,
        source: SourceOpt = None,
        article_lang: ArticleLangOpt = None,
        lang: LangOpt = None,
        fmt: FormatOpt = "html",
        output: OutputOpt = None,
        title: TitleOpt = None,
        by: ByOpt = None,
    ) -> None:
        _make(ctx, kind, on, first, last, query, topic, entity, partner, country, source,
              article_lang, lang, fmt, output, title, by)  # fmt: skip

    command.__doc__ = doc
    report_app.command(kind)(command)


_command("daily", "Write the daily report (a calendar day in the office's time zone).")
_command("weekly", "Write the weekly report (Monday to Sunday).")
_command("monthly", "Write the monthly report (a calendar month).")
_command("thematic", "Write a thematic report: any mix of filters over a period (default 30 days).")


@report_app.command("show")
def report_show(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The report's number, e.g. 12/BC-TTTT-T.")],
    fmt: FormatOpt = "html",
    output: OutputOpt = None,
) -> None:
    """Render a registered report again, exactly as it was generated."""
    with _desk(ctx) as desk:
        stored = desk.reports.register.get(number)
        data = desk.reports.file(number, fmt)
        e = stored.entry
        default = Path(desk.settings.report_dir) / _file_name(e.number, e.kind, e.period_from, fmt)
        _deliver(data, fmt, output, default)


@app.command("reports")
def reports_list(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the register of reports, newest first."""
    with _desk(ctx) as desk:
        entries = desk.reports.register.entries(kind)
    if as_json:
        _print_json([e.as_json() for e in entries])
        return
    if not entries:
        out.print("No reports yet (try `hoasen report weekly`).")
        return
    table = Table("number", "kind", "period", "lang", "articles", "by", "created", "formats")
    for e in entries:
        table.add_row(
            e.number,
            e.kind,
            f"{e.period_from} – {e.period_to}",
            e.language,
            str(e.articles),
            e.generated_by,
            e.created.strftime("%Y-%m-%d %H:%M"),
            ", ".join(e.formats),
        )
    out.print(table)
