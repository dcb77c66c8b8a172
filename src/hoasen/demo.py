"""`hoasen demo` (the job behind `make run`): load the bundled sample corpus, show results."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from hoasen.demo_exchange import show_exchange
from hoasen.demo_translate import show_translation
from hoasen.desk import Desk
from hoasen.ingest.files import iter_paths
from hoasen.ingest.formats import split_items
from hoasen.models import ItemError, RawInput
from hoasen.reports.period import zone
from hoasen.settings import load_settings

SAMPLE_QUERIES = ("Quang Ninh", "加泰罗尼亚", "referendum")
VARIANTS = 13  # ntrex.jsonl.gz: each story as 13 consecutive lines (see tools/build_sample.py)
DEMO_DAYS = 42  # six weeks of coverage before the day the demo runs
GROWING = 3  # the newest stories, still growing
DEMO_USER = "hoasen demo"
DEMO_LOGIN = "demo"
DEMO_ALERT = "Quảng Ninh in the foreign news"


def sample_dir() -> Path:
    """Folder of the bundled sample corpus (inside the installed package)."""
    return Path(str(resources.files("hoasen") / "data" / "sample"))


def sample_items(sample: Path, now: datetime, timezone: str) -> Iterator[RawInput | ItemError]:
    """The sample corpus as items, each NTREX article dated within the six weeks before
    `now` (`demo_schedule`). The dates travel as hints, not in the bytes, so a later run on
    another day still recognises what it stored and skips it."""
    yield from iter_paths([sample / "seeds"])
    items: list[RawInput | ItemError] = []
    for raw in iter_paths([sample / "ntrex.jsonl.gz"]):
        items.extend(split_items(raw) if isinstance(raw, RawInput) else [raw])
    when = demo_schedule(len(items), now, timezone)
    for item, published in zip(items, when, strict=True):
        if isinstance(item, RawInput):
            hints = {"published": published.isoformat(), "published_source": "input"}
            item = replace(item, hints={**item.hints, **hints})
        yield item


def demo_schedule(count: int, now: datetime, timezone: str) -> list[datetime]:
    """Publication times for the sample's `count` articles, `VARIANTS` per story, like an
    office's six weeks: stories start on working days far more than at weekends, within office
    hours; most are covered in every language within three days, and the newest few grow, with
    more translations each day up to today. Deterministic for a given `now`."""
    rng = random.Random(20261202)
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=n) for n in range(DEMO_DAYS, -1, -1)]
    weight = [0.25 if d.weekday() >= 5 else 1.0 for d in days]
    stories = -(-count // VARIANTS)
    growing = set(range(max(0, stories - GROWING), stories))
    out: list[datetime] = []
    for story in range(stories):
        if story in growing:  # the newest stories: started this week, still spreading
            rank = story - min(growing)
            start = today - timedelta(days=GROWING + 3 - rank)
        else:
            start = rng.choices(days[: -GROWING - 1], weight[: -GROWING - 1])[0]
        for variant in range(min(VARIANTS, count - story * VARIANTS)):
            if story in growing:
                lag = round((variant / (VARIANTS - 1)) ** 0.3 * (today - start).days)
            else:
                lag = 0 if variant in (0, VARIANTS - 1) else rng.choice((0, 0, 1, 1, 2, 3))
            day = start + timedelta(days=lag)
            weekend = day.weekday() >= 5 and story not in growing
            if weekend and rng.random() < 0.7:  # weekend work waits for Monday
                day += timedelta(days=7 - day.weekday())
            day = min(day, today)
            moment = datetime.combine(day, time(7), tz) + timedelta(minutes=rng.randrange(660))
            out.append(min(moment, now - timedelta(minutes=1 + variant)).astimezone(UTC))
    return out


def demo_login(desk: Desk) -> tuple[str, str]:
    """The demo's admin account, with a new random password each run (there is no default
    password anywhere: the demo prints the one it made)."""
    from hoasen.errors import NotFoundError
    from hoasen.web.auth import Accounts

    accounts = Accounts(desk.store, session_hours=desk.settings.web_session_hours)
    try:
        accounts.get_user(DEMO_LOGIN)
    except NotFoundError:
        return DEMO_LOGIN, accounts.add_user(DEMO_LOGIN, "admin")[1]
    return DEMO_LOGIN, accounts.set_password(DEMO_LOGIN)


def run_demo(
    db: Path,
    fresh: bool,
    console: Console,
    progress_console: Console,
    serve: bool = False,
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Ingest the sample corpus into `db` (idempotent) and print a summary and sample searches."""
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    settings = load_settings(database_url=f"sqlite:///{db}")
    sample = sample_dir()
    with Desk(settings) as desk:
        for spec in json.loads((sample / "sources.json").read_text(encoding="utf-8")):
            if desk.store.find_source(spec["name"]) is None:
                desk.store.add_source(
                    spec["url"],
                    spec["name"],
                    kind=spec["kind"],
                    country=spec["country"],
                    foreign=spec["foreign"],
                )
        columns = (SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn())
        with Progress(*columns, console=progress_console, transient=True) as bar:
            task = bar.add_task("Loading the sample corpus", total=None)
            report = desk.ingest(
                items=sample_items(sample, datetime.now(UTC), settings.office_timezone),
                progress=lambda _item: bar.update(task, advance=1),
                analysis_progress=lambda done, total: bar.update(
                    task, completed=done, total=total, description="Analysing the articles"
                ),
            )
            # articles stored by an interrupted earlier run, or by an older model version
            pending = desk.analyze(
                progress=lambda done, total: bar.update(
                    task, completed=done, total=total, description="Analysing the articles"
                )
            )
        stats = desk.store.stats()
        console.print(f"[bold]hoasen demo[/bold] — database: {db.resolve()}")
        console.print(
            f"This run: {report.ingested} new articles, {report.duplicates} duplicates, "
            f"{report.skipped} already stored, {len(report.errors)} errors; "
            f"{report.analyzed + pending.articles} analysed."
        )
        for e in report.errors:
            console.print(f"  error: {e.input}: {e.reason}", highlight=False)
        console.print(
            f"In the database: {stats['articles']} articles (duplicates hidden), "
            f"{stats['duplicates']} duplicates, {stats['errors']} ingest errors recorded."
        )
        langs = Table("language", "articles", title="Articles per language")
        for lang, n in stats["by_language"].items():
            langs.add_row(lang, str(n))
        console.print(langs)
        srcs = Table("source", "articles", title="Articles per source")
        for name, n in stats["by_source"].items():
            srcs.add_row(name, str(n))
        console.print(srcs)
        for query in SAMPLE_QUERIES:
            hits = desk.search(query, limit=3)
            console.print(f"[bold]Search[/bold] {query!r}: {len(hits)} shown", highlight=False)
            for h in hits:
                console.print(f"  {h.id} [{h.language}] {h.title}", highlight=False)
                console.print(f"      {h.snippet}", highlight=False)
        _show_understanding(desk, console)
        show_translation(desk, console)
        today = datetime.now(ZoneInfo(settings.office_timezone)).date()
        show_exchange(desk, console, db.resolve().parent / "exchange" / "outbox", today)
        from hoasen.demo_publish import show_publishing

        show_publishing(desk, console, db.resolve().parent / "editions", today)
        from hoasen.demo_registers import show_registers

        show_registers(desk, console)
        path = _weekly_report(desk, db)
        console.print(f"[bold]This week's report[/bold] (HTML): {path}", highlight=False)
        _schedule_work(desk, console)
        console.print(
            f"Try: .venv/bin/hoasen --db sqlite:///{db} search 'Quảng Ninh'  "
            f"(or stories, entity 'Quảng Tây', reports, articles, dupes, --help)"
        )
        if serve:
            _serve(desk, console, host or settings.web_host, port or settings.web_port)


def _serve(desk: Desk, console: Console, host: str, port: int) -> None:
    """Serve the web desk on the demo database until Ctrl-C, after printing the login."""
    import uvicorn

    from hoasen.jobs.worker import alongside
    from hoasen.web.app import create_app

    name, password = demo_login(desk)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"[bold]Web desk[/bold]: http://{shown}:{port}/", highlight=False)
    console.print(f"  user:     {name}", highlight=False)
    console.print(
        f"  password: {password}   (new on every run; Ctrl-C stops the desk)", highlight=False
    )
    console.print(
        "  a task worker runs in this process: sources poll, scheduled reports build and "
        "alerts fire by themselves (see /jobs; its log lines are JSON)",
        highlight=False,
    )
    with alongside(desk.settings):
        uvicorn.run(create_app(desk.settings, desk), host=host, port=port)


def _schedule_work(desk: Desk, console: Console) -> None:
    """The demo's standing work (kept as data, edited on the desk): a daily report at 07:30 and
    a weekly one on Monday, and an alert on the province in the foreign news. The worker of
    `--serve` builds the latest daily report at once, then each day by itself."""
    from hoasen.errors import NotFoundError

    for name, kind, at in (
        ("Daily report", "daily", "07:30"),
        ("Weekly report", "weekly", "08:00"),
    ):
        try:
            desk.schedules.get(name)
        except NotFoundError:
            desk.schedules.add(name, kind, at=at, formats=("html", "pdf"), created_by=DEMO_USER)
    if not any(a.name == DEMO_ALERT for a in desk.alerts.alerts()):
        desk.alerts.add(DEMO_ALERT, "entity", "Quảng Ninh", channels=["desk"])
    console.print(
        "[bold]Standing work[/bold]: daily report 07:30, weekly report Monday 08:00 (office "
        f"time, {desk.settings.office_timezone}); alert {DEMO_ALERT!r} on the desk's "
        "notification list. `make run` (or `hoasen serve --with-worker`) runs them by itself.",
        highlight=False,
    )


def _weekly_report(desk: Desk, db: Path) -> Path:
    """Write this week's report of the demo database as HTML (reusing the demo's register entry
    for this week when the articles have not changed) and return its path."""
    from hoasen.reports.period import period_for, zone

    week = period_for("weekly", zone(desk.settings.office_timezone))
    number = None
    for entry in desk.reports.register.entries("weekly"):
        same = entry.period_from == week.first_day.isoformat() and entry.generated_by == DEMO_USER
        if same and entry.articles == desk.store.count_articles():
            number = entry.number
            break
    if number is None:
        number = desk.reports.make("weekly", generated_by=DEMO_USER).entry.number
    slug = number.replace("/", "-")
    path = (db.parent / "reports" / f"weekly-{week.first_day.isoformat()}-{slug}.html").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(desk.reports.file(number, "html"))
    return path


def _show_understanding(desk: Desk, console: Console) -> None:
    """The largest stories across languages and the most-mentioned entities."""
    stories = desk.stories(min_articles=2)
    multilingual = [s for s in stories if len(s.languages) > 1]
    console.print(
        f"[bold]Stories[/bold]: {len(stories)} with two articles or more, "
        f"{len(multilingual)} of them across languages. The largest:"
    )
    table = Table("id", "articles", "languages", "title")
    for s in stories[:8]:
        table.add_row(str(s.id), str(len(s.article_ids)), ", ".join(s.languages), s.title)
    console.print(table)
    office = desk.settings.office_language
    top = Table("entity", "type", "articles", "mentions", title="Most-mentioned entities")
    for entity, entity_id, articles, mentions in desk.top_entities(limit=10):
        name = entity.name(office) if entity else entity_id
        top.add_row(name, entity.type if entity else "", str(articles), str(mentions))
    console.print(top)
