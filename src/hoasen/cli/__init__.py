"""The `hoasen` command line: parses input, calls the Desk, prints tables or one JSON document.

Domain errors become a plain message on stderr and the error's exit code; `--json` output is
always a single JSON document on stdout (progress goes to stderr).

Start-up is kept light (tests/test_cli_startup.py, bench/cli.py): the cli modules import the desk,
store, analysis, web... only inside the commands that use them (names for type hints only under
TYPE_CHECKING, quoted), and, unlike the rest of hoasen, do without `from __future__ import
annotations`: Typer reads every command's annotations at start-up, and strings would be evaluated
four times per command instead of once at import. The other cli modules are imported only when
one of their commands runs (`lazy.HoasenGroup`); help is Click's plain text and Rich loads with
the first table or progress bar.
"""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from hoasen.cli.lazy import HoasenGroup
from hoasen.errors import HoasenError, InputRejected, UsageError
from hoasen.settings import Settings, load_settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table as RichTable

    from hoasen.desk import Desk
    from hoasen.models import IngestReport, RawInput

app = typer.Typer(
    help="hoasen: a multilingual foreign-information desk (monitor, search, report news).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text (Click's): Rich's help panels cost ~0.1 s of every `--help`.
    rich_markup_mode=None,
    cls=HoasenGroup,  # the other cli modules load when one of their commands runs
)
sources_app = typer.Typer(help="Register and list monitored news sources.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


class LazyConsole:
    """A Rich console made on first use: `hoasen --help` and the commands that print no
    table never import Rich. `console` is the Rich console itself, for Rich's own classes."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> "Console":
        """The Rich console (made now if not yet)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


def Table(*args: Any, **kwargs: Any) -> "RichTable":
    """A Rich table (Rich is imported on first use)."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


out = LazyConsole()
err = LazyConsole(stderr=True)
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
TextArg = Annotated[str, typer.Argument(help="A UTF-8 text file, or - for standard input.")]
TextLangOpt = Annotated[str | None, typer.Option("--lang", help="vi, en, zh... (else detected).")]
# Filters shared by the listing commands (articles, search)
OnlyLangOpt = Annotated[str | None, typer.Option("--lang", help="Only this language.")]
OnlySourceOpt = Annotated[str | None, typer.Option("--source", help="Only this source.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Up to this date.")]


class State:
    """Options given before the command (`hoasen --db URL COMMAND`)."""

    db: str | None = None
    config: Path | None = None


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL (default: HOASEN_DATABASE_URL or sqlite:///hoasen.db)."
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Settings file (default: ./hoasen.toml).")
    ] = None,
) -> None:
    """hoasen: monitor, clean, search and report news coverage in many languages."""
    state = State()
    state.db, state.config = db, config
    ctx.obj = state


def _settings(ctx: typer.Context) -> Settings:
    state: State = ctx.obj
    return load_settings(config_path=state.config, database_url=state.db)


@contextmanager
def _desk(ctx: typer.Context) -> "Iterator[Desk]":
    """The Desk of the command's settings, with domain errors mapped to exit codes."""
    from hoasen.desk import Desk

    with _errors(), Desk(_settings(ctx)) as desk:
        yield desk


@contextmanager
def _errors() -> Iterator[None]:
    """Map domain errors to a message and exit code."""
    try:
        yield
    except HoasenError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from exc


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")


def _parse_date(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"{name} must be a date like 2026-11-23, not {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Ticker:
    """Progress callbacks for ingest (one per item) and the analysis that follows it."""

    def __init__(self, bar: "Progress | None", label: str) -> None:
        self.bar, self.label = bar, label
        self.task = bar.add_task(label, total=None) if bar else None

    def item(self, name: str) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1, description=f"{self.label} {name[-50:]}")

    def analysis(self, done: int, total: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done, total=total, description="Analysing")


@contextmanager
def _progress(label: str, quiet: bool) -> Iterator[_Ticker]:
    """A spinner with a running count on stderr; silent when `quiet`."""
    if quiet:
        yield _Ticker(None, label)
        return
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn())
    with Progress(*columns, console=err.console, transient=True) as bar:
        yield _Ticker(bar, label)


def _print_report(report: "IngestReport") -> None:
    out.print(
        f"Ingested [bold]{report.ingested}[/bold] articles, {report.duplicates} duplicates, "
        f"{report.skipped} already stored, {len(report.errors)} errors; "
        f"analysed {report.analyzed}"
        + (f" ({report.caught_up} older ones caught up)" if report.caught_up else "")
        + (f"; {report.behind} still wait for analysis" if report.behind else "")
        + "."
    )
    for e in report.errors:
        out.print(f"  [yellow]skipped[/yellow] {e.input}: {e.reason}", highlight=False)


# ------------------------------------------------------------------------- extract / ingest


@app.command()
def extract(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A file (html, txt, json) or an http(s) URL.")],
    url: Annotated[
        str | None, typer.Option("--url", help="The page's original URL, for a local file.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Extract one page or file into a clean article, without storing it."""
    from hoasen.desk import Desk

    with _errors():
        settings = _settings(ctx)
        item = _single_item(target, settings)
        if url is not None:
            item = replace(item, url=url)
        with Desk(settings) as desk:
            article = desk.extract(item)
    doc = article.as_extract_json()
    if as_json:
        _print_json(doc)
        return
    out.print(f"[bold]{article.title}[/bold]", highlight=False)
    meta = {k: v for k, v in doc.items() if k not in {"title", "text"} and v}
    out.print(", ".join(f"{k}: {v}" for k, v in meta.items()), highlight=False)
    out.print()
    out.print(article.text, highlight=False)


def _single_item(target: str, settings: Settings) -> "RawInput":
    """The one input of `extract`: a fetched page for a URL, else the single file at `target`."""
    from hoasen.ingest.files import iter_paths
    from hoasen.models import ItemError

    if target.startswith(("http://", "https://")):  # the fetcher (httpx) loads only for a URL
        import asyncio

        from hoasen.ingest.feeds import page_item
        from hoasen.ingest.http import SafeFetcher

        async def fetch() -> "RawInput":
            async with SafeFetcher(settings) as fetcher:
                return await page_item(fetcher, target)

        return asyncio.run(fetch())
    items = list(iter_paths([Path(target)]))
    if not items:
        raise UsageError(f"nothing to extract in {target}")
    if len(items) > 1:
        raise UsageError(f"{target} holds {len(items)} files; extract takes one (use ingest)")
    first = items[0]
    if isinstance(first, ItemError):
        raise InputRejected(f"{first.input}: {first.reason}")
    return first


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (.html .txt .json .jsonl .gz).")
    ] = None,
    feed: Annotated[
        list[str] | None, typer.Option("--feed", help="An RSS/Atom/JSON feed URL (repeatable).")
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="A web page URL (repeatable).")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Name of the registered source these came from.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest files, folders, feeds and pages: extract, clean, detect language, dedupe, index."""
    if not (paths or feed or url):
        err.print("error: give at least one PATH, --feed URL or --url URL")
        raise typer.Exit(2)
    with _desk(ctx) as desk, _progress("Ingesting", quiet=False) as tick:
        report = desk.ingest(
            paths or [],
            feed or [],
            url or [],
            source,
            progress=tick.item,
            analysis_progress=tick.analysis,
        )
    if as_json:
        _print_json(report.as_json())
    else:
        _print_report(report)


@app.command()
def fetch(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Poll only this source (repeatable).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Poll every due source now and ingest what is new."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with _desk(ctx) as desk:
        if source:
            for name in source:
                desk.store.get_source(name)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err.console, transient=True) as bar:
            task = bar.add_task("Polling sources", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            def analysing(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description="Analysing")

            report, outcomes = desk.fetch_due(
                names=source, progress=tick, analysis_progress=analysing
            )
    if as_json:
        _print_json(report.as_json())
        return
    out.print(f"Polled {len(outcomes)} sources.")
    _print_report(report)


# ------------------------------------------------------------------------- sources


@sources_app.command("add")
def sources_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Feed or site URL.")],
    name: Annotated[str, typer.Option("--name", help="A unique short name.")],
    kind: Annotated[str, typer.Option("--kind", help="feed or site.")] = "feed",
    country: Annotated[
        str | None, typer.Option("--country", help="Two-letter country code, e.g. CN.")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language hint, e.g. zh.")] = None,
    foreign: Annotated[
        bool, typer.Option("--foreign", help="A foreign (not domestic) outlet.")
    ] = False,
    partner: Annotated[bool, typer.Option("--partner", help="A partner agency.")] = False,
    every: Annotated[int | None, typer.Option("--every", help="Poll interval in minutes.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a monitored source."""
    with _desk(ctx) as desk:
        src = desk.store.add_source(
            url,
            name,
            kind=kind,
            country=country,
            language=lang,
            foreign=foreign,
            partner=partner,
            poll_minutes=every or desk.settings.default_poll_minutes,
        )
    if as_json:
        _print_json(src.as_json())
    else:
        out.print(f"Added source [bold]{src.name}[/bold] ({src.kind}) {src.url}", highlight=False)


@sources_app.command("list")
def sources_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List monitored sources with their health."""
    with _desk(ctx) as desk:
        sources = desk.store.list_sources()
    if as_json:
        _print_json([s.as_json() for s in sources])
        return
    table = Table("name", "kind", "country", "lang", "flags", "last success", "failures", "url")
    for s in sources:
        flags = " ".join(f for f, on in (("foreign", s.foreign), ("partner", s.partner)) if on)
        last = s.last_success.strftime("%Y-%m-%d %H:%M") if s.last_success else "never"
        table.add_row(
            s.name,
            s.kind,
            s.country or "",
            s.language or "",
            flags,
            last,
            str(s.consecutive_failures),
            s.url,
        )
    out.print(table)


@sources_app.command("remove")
def sources_remove(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The source's name.")]
) -> None:
    """Stop monitoring a source (its articles are kept)."""
    with _desk(ctx) as desk:
        desk.store.remove_source(name)
    out.print(f"Removed source {name}.", highlight=False)


# ------------------------------------------------------------------------- reading


@app.command()
def articles(
    ctx: typer.Context,
    lang: OnlyLangOpt = None,
    source: OnlySourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="How many, newest first.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
    include_all: Annotated[bool, typer.Option("--all", help="Include duplicates.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List stored articles, newest first (duplicates hidden), with optional filters."""
    from hoasen.store.listing import ArticleFilters, find_articles

    with _desk(ctx) as desk:
        filters = ArticleFilters(
            language=lang,
            source=source,
            since=_parse_date(since, "--since"),
            until=_parse_date(until, "--until"),
            include_duplicates=include_all,
        )
        rows, total = find_articles(desk.store, filters, limit, offset)
    if as_json:
        _print_json([a.as_json() for a in rows])
        return
    table = Table("id", "lang", "date", "source", "title")
    for a in rows:
        when = (a.published or a.fetched).strftime("%Y-%m-%d")
        title = (
            a.title if a.duplicate_of is None else f"{a.title} [dim](dup of {a.duplicate_of})[/dim]"
        )
        table.add_row(str(a.id), a.language or "?", when, a.source_name or "", title)
    out.print(table)
    shown = f"{offset + 1}-{offset + len(rows)}" if rows else "none"
    err.print(f"{shown} of {total} articles", highlight=False)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words to find; "quotes" for a phrase.')],
    lang: OnlyLangOpt = None,
    source: OnlySourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", help="How many results.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search articles in any language, best matches first."""
    with _desk(ctx) as desk:
        hits = desk.search(
            query,
            language=lang,
            source=source,
            since=_parse_date(since, "--since"),
            until=_parse_date(until, "--until"),
            limit=limit,
        )
    if as_json:
        _print_json([h.as_json() for h in hits])
        return
    if not hits:
        out.print("No articles match.")
    for h in hits:
        out.print(f"[bold]{h.id}[/bold] [{h.language or '?'}] {h.title}", highlight=False)
        out.print(f"    {h.snippet}", highlight=False)


@app.command()
def dupes(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List originals and the duplicates linked to them."""
    with _desk(ctx) as desk:
        groups = desk.store.duplicate_groups()
    if as_json:
        _print_json([{"original": o, "duplicates": d} for o, d in groups])
        return
    if not groups:
        out.print("No duplicates.")
    for original, dups in groups:
        out.print(f"{original}: {', '.join(map(str, dups))}")


def _read_text(target: str) -> str:
    """The text of a file, or of standard input for `-`."""
    if target == "-":
        return sys.stdin.read()
    path = Path(target)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {target}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {target} as UTF-8 text: {exc}") from exc


def _text_in(ctx: typer.Context, target: str, lang: str | None) -> tuple[str, str]:
    """The text of `target` and its language (the given one, else the detected one)."""
    text = _read_text(target)
    if lang:
        return text, lang
    from hoasen.analyze.language import make_detector

    guess = make_detector(_settings(ctx)).detect(text)
    if guess.language is None:
        raise UsageError("could not tell the text's language: give --lang")
    return text, guess.language


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="Demo database file.")] = Path("hoasen-demo.db"),
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the demo database first.")] = False,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the web desk on it (what `make run` does).")
    ] = False,
    host: Annotated[str | None, typer.Option("--host", help="Address for --serve.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port for --serve.")] = None,
) -> None:
    """Build a demo database from the bundled sample corpus and show what hoasen found."""
    from hoasen.demo import run_demo

    with _errors():
        run_demo(
            db,
            fresh=fresh,
            console=out.console,
            progress_console=err.console,
            serve=serve,
            host=host,
            port=port,
        )


if __name__ == "__main__":
    app()
