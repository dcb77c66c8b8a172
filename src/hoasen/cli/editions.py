"""Commands of numbered bilingual editions: series, issues, their items and texts per language
(machine-translated through the translation desk or written by an editor), the status workflow
draft → review → approved → published, rendering and the static site."""

from pathlib import Path
from typing import Annotated, Any

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, app, out
from hoasen.cli.exchange import _operator
from hoasen.errors import UsageError
from hoasen.publish.edition_model import LAYOUTS

edition_app = typer.Typer(
    help="Numbered bilingual editions: series, issues, texts, workflow and rendering.",
    no_args_is_help=True,
)
app.add_typer(edition_app, name="edition")
series_app = typer.Typer(
    help="Edition series: language pair, layout, masthead.", no_args_is_help=True
)
edition_app.add_typer(series_app, name="series")

OperatorOpt = Annotated[
    str | None, typer.Option("--operator", help="Who does it (default: your OS user name).")
]
IssueArg = Annotated[str, typer.Argument(help="The issue's id, or SERIES/NUMBER.")]
ItemArg = Annotated[int, typer.Argument(help="The item's id (see `hoasen edition show`).")]
LangArg = Annotated[str, typer.Argument(help="The text's language, one of the series'.")]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {path} as UTF-8 text: {exc}") from exc


def _say(text: str) -> None:
    """Print plain text (names and titles may hold brackets rich would read as markup)."""
    out.print(text, highlight=False, markup=False)


def _notes(notes: list[str]) -> None:
    for note in notes:
        _say(f"- {note}")


# ---------------------------------------------------------------- series


@series_app.command("add")
def series_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help='The series\' name, e.g. "Hoa Sen".')],
    languages: Annotated[
        str, typer.Option("--languages", help="Language pair, main first: vi,zh.")
    ],
    layout: Annotated[
        str, typer.Option("--layout", help=f"{', '.join(LAYOUTS)} (default parallel).")
    ] = "parallel",
    masthead: Annotated[str, typer.Option("--masthead", help="The masthead text.")] = "",
    colophon: Annotated[str, typer.Option("--colophon", help="The colophon text.")] = "",
    description: Annotated[str, typer.Option("--description", help="What it is.")] = "",
    partner: Annotated[
        str | None, typer.Option("--partner", help="A partner it is published with.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an edition series with its language pair and layout."""
    with _desk(ctx) as desk:
        row = desk.editions.add_series(
            name, languages, layout, masthead, colophon, description, partner
        )
    if as_json:
        _print_json(row.as_json())
    else:
        _say(f"series {row.id} ({row.slug}): {row.name}")


@series_app.command("list")
def series_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the edition series."""
    with _desk(ctx) as desk:
        rows = desk.editions.series_list()
    if as_json:
        _print_json([r.as_json() for r in rows])
        return
    table = Table("id", "slug", "name", "languages", "layout")
    for r in rows:
        table.add_row(str(r.id), r.slug, r.name, ",".join(r.languages), r.layout)
    out.print(table)


# ---------------------------------------------------------------- issues


@edition_app.command("new")
def edition_new(
    ctx: typer.Context,
    series: Annotated[str, typer.Argument(help="The series: id, slug or name.")],
    title: Annotated[str, typer.Option("--title", help="The issue's title.")] = "",
    issue_date: Annotated[
        str | None, typer.Option("--date", help="The issue's date, e.g. 2026-02-01.")
    ] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open the series' next issue as a draft and print its id."""
    with _desk(ctx) as desk:
        row = desk.editions.new_issue(series, title, issue_date, _operator(operator))
    if as_json:
        _print_json(row.as_json())
    else:
        _say(str(row.id))


@edition_app.command("list")
def edition_list(
    ctx: typer.Context,
    series: Annotated[str | None, typer.Option("--series", help="Only this series.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List issues, newest first."""
    with _desk(ctx) as desk:
        rows = desk.editions.issues(series)
        names = {s.id: s.name for s in desk.editions.series_list()}
    if as_json:
        _print_json([{**r.as_json(), "series": names.get(r.series_id, "")} for r in rows])
        return
    table = Table("id", "series", "no.", "title", "date", "status")
    for r in rows:
        table.add_row(
            str(r.id),
            names.get(r.series_id, ""),
            str(r.number),
            r.title,
            r.issue_date.isoformat() if r.issue_date else "",
            r.status,
        )
    out.print(table)


def _flag_words(flags: list[dict[str, Any]]) -> str:
    return "; ".join(f"[{f['severity']}] {f['message']}" for f in flags)


@edition_app.command("show")
def edition_show(ctx: typer.Context, issue: IssueArg, as_json: JsonOpt = False) -> None:
    """Show an issue: its items, their texts per language (origin, approval, QA flags) and
    its status history."""
    with _desk(ctx) as desk:
        doc = desk.editions.describe(issue)
    if as_json:
        _print_json(doc)
        return
    series = doc["series"]
    _say(
        f"{series['name']} no. {doc['number']} (issue {doc['id']}): {doc['title']} "
        f"[{doc['status']}]"
    )
    for item in doc["items"]:
        what = f"article {item['article_id']}" if item["article_id"] else "desk piece"
        _say(f"{item['position']}. item {item['id']} ({what})")
        for lang, text in item["texts"].items():
            state = "approved" if text["approved"] else "NOT approved"
            who = f" by {text['approved_by']}" if text["approved_by"] else ""
            _say(f"   {lang} [{text['origin']}, {state}{who}] {text['title']}")
            if text["flags"]:
                _say(f"      QA: {_flag_words(text['flags'])}")
        for lang in item["missing"]:
            _say(f"   {lang} missing")
    for event in doc["history"]:
        note = f" — {event['note']}" if event["note"] else ""
        _say(f"{event['at']} {event['who']}: {event['from'] or '·'} → {event['to']}{note}")


@edition_app.command("add")
def edition_add(
    ctx: typer.Context,
    issue: IssueArg,
    article_ids: Annotated[list[int], typer.Argument(help="Ids of the articles to add.")],
    section: Annotated[str, typer.Option("--section", help="The items' section.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Add stored articles to an issue (their own text in their language)."""
    with _desk(ctx) as desk:
        items, notes = desk.editions.add_items(issue, article_ids, section)
    if as_json:
        _print_json({"items": [i.id for i in items], "notes": notes})
        return
    _say(f"added items {', '.join(str(i.id) for i in items)}")
    _notes(notes)


@edition_app.command("piece")
def edition_piece(
    ctx: typer.Context,
    issue: IssueArg,
    langs: Annotated[list[str], typer.Option("--lang", help="A language (repeatable).")],
    titles: Annotated[list[str], typer.Option("--title", help="Its title (one per --lang).")],
    bodies: Annotated[
        list[Path], typer.Option("--body", help="A UTF-8 file with its body (one per --lang).")
    ],
    section: Annotated[str, typer.Option("--section", help="The piece's section.")] = "",
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a piece written in the desk, with a title and body per language given."""
    if not (len(langs) == len(titles) == len(bodies)):
        raise typer.BadParameter("give one --title and one --body for each --lang")
    with _desk(ctx) as desk:
        texts = {lang: (t, _read(b)) for lang, t, b in zip(langs, titles, bodies, strict=True)}
        item = desk.editions.add_piece(issue, texts, _operator(operator), section)
    if as_json:
        _print_json({"item": item.id, "position": item.position})
    else:
        _say(str(item.id))


@edition_app.command("text")
def edition_text(
    ctx: typer.Context,
    item: ItemArg,
    language: LangArg,
    title: Annotated[str, typer.Option("--title", help="The text's title.")],
    body: Annotated[Path, typer.Option("--body", help="A UTF-8 file with the text's body.")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write an item's text in one language (the editor's, approved by them)."""
    with _desk(ctx) as desk:
        text = desk.editions.set_text(item, language, title, _read(body), _operator(operator))
    if as_json:
        _print_json(text.as_json())
    else:
        _say(f"item {item}: {language} text written and approved")


@edition_app.command("translate")
def edition_translate(
    ctx: typer.Context,
    issue: IssueArg,
    language: Annotated[str, typer.Option("--lang", help="The language to translate into.")],
    engine: Annotated[str | None, typer.Option("--engine", help="The engine to use.")] = None,
    redo: Annotated[
        bool, typer.Option("--redo", help="Translate again texts already there.")
    ] = False,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Machine-translate an issue's missing texts in one language (termbase enforced); they
    count as approved only once an editor approves them."""
    with _desk(ctx) as desk:
        notes = desk.editions.translate(
            language, _operator(operator), issue=issue, engine=engine, redo=redo
        )
    if as_json:
        _print_json({"notes": notes})
    else:
        _notes(notes or ["nothing to translate"])


@edition_app.command("approve-text")
def edition_approve_text(
    ctx: typer.Context,
    item: ItemArg,
    language: LangArg,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve an item's text in one language (a translation is approved on the desk too)."""
    with _desk(ctx) as desk:
        text = desk.editions.approve_text(item, language, _operator(operator))
    if as_json:
        _print_json(text.as_json())
    else:
        _say(f"item {item}: {language} approved by {text.approved_by}")


@edition_app.command("status")
def edition_status(
    ctx: typer.Context,
    issue: IssueArg,
    status: Annotated[str, typer.Argument(help="review, approved or draft.")],
    note: Annotated[str, typer.Option("--note", help="Why (needed to go back to draft).")] = "",
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse approval while QA flags remain.")
    ] = False,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move an issue through draft → review → approved (or back to draft)."""
    if status not in ("review", "approved", "draft"):
        raise typer.BadParameter("status must be review, approved or draft (publish: `publish`)")
    with _desk(ctx) as desk:
        row, notes = desk.editions.set_status(issue, status, _operator(operator), note, strict)
    if as_json:
        _print_json({**row.as_json(), "notes": notes})
        return
    _say(f"issue {row.id} is {row.status}")
    _notes(notes)


# ---------------------------------------------------------------- output


@edition_app.command("render")
def edition_render(
    ctx: typer.Context,
    issue: IssueArg,
    fmt: Annotated[str, typer.Option("--format", help="pdf, html, epub or docx.")],
    output: Annotated[Path, typer.Option("--out", "-o", help="The file to write.")],
) -> None:
    """Render an issue as PDF, HTML, EPUB or DOCX."""
    with _desk(ctx) as desk:
        path = desk.editions.render(issue, fmt, output)
    _say(str(path))


@edition_app.command("publish")
def edition_publish(
    ctx: typer.Context,
    issue: IssueArg,
    site: Annotated[
        bool, typer.Option("--site", help="Rebuild the static site in edition_site_dir.")
    ] = False,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish an approved issue (it is then frozen)."""
    with _desk(ctx) as desk:
        row = desk.editions.publish(issue, _operator(operator), site=site)
    if as_json:
        _print_json(row.as_json())
    else:
        _say(f"issue {row.id} published")


@edition_app.command("site")
def edition_site(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The site's folder (default: edition_site_dir)."),
    ] = None,
) -> None:
    """Write the static site of every published edition."""
    with _desk(ctx) as desk:
        target = output or Path(desk.settings.edition_site_dir)
        desk.editions.build_site(target)
    _say(str(target))
