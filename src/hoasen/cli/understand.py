"""Commands over the analysis: entities, figures, topics, stories, `analyze` and the gazetteer."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hoasen.cli import (
    JsonOpt,
    SinceOpt,
    Table,
    TextArg,
    TextLangOpt,
    _desk,
    _errors,
    _parse_date,
    _print_json,
    _settings,
    _text_in,
    app,
    err,
    out,
)
from hoasen.errors import UsageError
from hoasen.settings import Settings

if TYPE_CHECKING:
    from hoasen.desk import AnalysisProgress, Desk

# hoasen.analyze.pipeline.STAGES, written out so the help loads no analysis models;
# tests/test_cli_startup.py checks the two agree.
STAGES = ("entities", "figures", "embeddings", "topics", "stories")

topics_app = typer.Typer(help="Topic taxonomy, training and prediction.", no_args_is_help=True)
gazetteer_app = typer.Typer(help="The multilingual gazetteer of entities.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(gazetteer_app, name="gazetteer")


@contextmanager
def analysis_bar(label: str = "Analysing") -> "Iterator[AnalysisProgress]":
    """A progress bar with time remaining, on stderr."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err.console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


def _local_desk(settings: Settings) -> "Desk | None":
    """A Desk when the configured database exists (for imported gazetteer entries), else None:
    reading a text file should not create a database as a side effect."""
    from hoasen.desk import Desk

    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return Desk(settings)


# ------------------------------------------------------------------------- one text


@app.command()
def entities(
    ctx: typer.Context,
    target: TextArg,
    lang: TextLangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find people, organisations and places in a text, linked to gazetteer entities."""
    from hoasen.analyze.entities import EntityRecognizer, default_engines
    from hoasen.analyze.gazetteer import Gazetteer

    with _errors():
        text, language = _text_in(ctx, target, lang)
        desk = _local_desk(_settings(ctx))
        if desk is None:
            recognizer = EntityRecognizer(Gazetteer.load(), engines=default_engines())
        else:
            with desk:
                recognizer = desk.pipeline.recognizer
        mentions = recognizer.recognize(text, language)
    rows = [
        {"text": m.text, "type": m.type, "start": m.start, "end": m.end, "entity": m.entity}
        for m in mentions
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table("type", "text", "entity", "at")
    for r in rows:
        table.add_row(str(r["type"]), str(r["text"]), str(r["entity"] or ""), str(r["start"]))
    out.print(table)


@app.command()
def figures(
    ctx: typer.Context,
    target: TextArg,
    lang: TextLangOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find key figures (money, visitors, percentages...) with value, unit and subject."""
    from hoasen.analyze.figures import FigureExtractor

    with _errors():
        text, language = _text_in(ctx, target, lang)
        found = FigureExtractor().extract(text, language)
    rows = [f.as_json() for f in found]
    if as_json:
        _print_json(rows)
        return
    table = Table("text", "value", "unit", "subject")
    for f in found:
        table.add_row(f.text, f"{f.value:,.10g}", f.unit or "", f.subject or "")
    out.print(table)


# ------------------------------------------------------------------------- stored articles


@app.command()
def analyze(
    ctx: typer.Context,
    since: SinceOpt = None,
    stage: Annotated[
        list[str] | None,
        typer.Option("--stage", help=f"Only this stage (repeatable): {', '.join(STAGES)}."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo the stages even where their output is current.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the analysis stages on stored articles where output is missing or from an older
    model version (entities, figures, embeddings, topics, stories)."""
    with _desk(ctx) as desk, analysis_bar() as tick:
        report = desk.analyze(
            since=_parse_date(since, "--since"), stages=stage, force=force, progress=tick
        )
        versions = desk.pipeline.versions(stage or STAGES)
    if as_json:
        _print_json({**report.as_json(), "versions": versions})
        return
    if not report.articles:
        out.print("Nothing to do: every stage's output is current.")
    else:
        done = ", ".join(f"{k} {v}" for k, v in report.stages.items())
        out.print(f"Analysed [bold]{report.articles}[/bold] articles ({done}).")
        if report.stories_created:
            out.print(f"{report.stories_created} new stories.")
    for e in report.errors:
        out.print(f"  [yellow]failed[/yellow] {e.input}: {e.reason}", highlight=False)


@app.command()
def stories(
    ctx: typer.Context,
    since: SinceOpt = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="How many stories.")] = None,
    min_articles: Annotated[
        int, typer.Option("--min-articles", help="Only stories with this many articles.")
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """List stories (articles about one event across sources and languages), largest first."""
    with _desk(ctx) as desk:
        rows = desk.stories(
            since=_parse_date(since, "--since"),
            until=_parse_date(until, "--until"),
            limit=limit,
            min_articles=min_articles,
        )
    if as_json:
        _print_json([r.as_json() for r in rows])
        return
    if not rows:
        out.print("No stories yet (run `hoasen analyze` after ingesting).")
        return
    table = Table("id", "articles", "languages", "first seen", "last seen", "title")
    for r in rows:
        table.add_row(
            str(r.id),
            str(len(r.article_ids)),
            ",".join(r.languages),
            r.first_seen.strftime("%Y-%m-%d"),
            r.last_seen.strftime("%Y-%m-%d"),
            r.title,
        )
    out.print(table)


@app.command()
def entity(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name in any language or spelling, or an id.")],
    limit: Annotated[int, typer.Option("--limit", help="Most articles listed.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Show one entity: its names per language and the articles that mention it."""
    with _desk(ctx) as desk:
        found = desk.entity_report(name, limit=limit)
    doc = found.as_json()
    if as_json:
        _print_json(doc)
        return
    out.print(f"[bold]{doc['id']}[/bold] {doc['type']} ({doc['kind']}, {doc['country']})")
    for lang, value in doc["names"].items():
        extra = doc["aliases"].get(lang, [])
        shown = value + (f"  [dim]also {', '.join(extra)}[/dim]" if extra else "")
        out.print(f"  {lang}: {shown}", highlight=False)
    if doc["successor"]:
        out.print(f"  now part of {doc['successor']}")
    out.print(f"{len(doc['articles'])} articles")
    for a in doc["articles"]:
        out.print(f"  {a['id']} [{a['language'] or '?'}] {a['title']}", highlight=False)


# ------------------------------------------------------------------------- topics


@topics_app.command("list")
def topics_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the topics of the taxonomy in use."""
    from hoasen.analyze.topics import Taxonomy

    with _errors():
        settings = _settings(ctx)
        path = settings.topics_taxonomy
        taxonomy = Taxonomy.load(Path(path) if path else None)
    if as_json:
        _print_json(
            [
                {"id": t.id, "names": dict(t.names), "description": t.description}
                for t in taxonomy.topics
            ]
        )
        return
    table = Table("id", "vi", "en", "description")
    for t in taxonomy.topics:
        table.add_row(t.id, t.names.get("vi", ""), t.names.get("en", ""), t.description)
    out.print(table)


@topics_app.command("train")
def topics_train(
    ctx: typer.Context,
    labelled: Annotated[Path, typer.Argument(help='JSON lines of {"text": ..., "label": ...}.')],
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model into.")],
    as_json: JsonOpt = False,
) -> None:
    """Train a topic classifier on labelled articles (a label or a list of labels each)."""
    from hoasen.analyze.topics import TrainedTopicModel, read_labelled

    with _errors():
        records, problems = read_labelled(labelled)
        if not records:
            raise UsageError(f"{labelled}: no usable labelled lines")
        trained = TrainedTopicModel.train(records)
        trained.save(model)
    doc: dict[str, Any] = {
        "model": str(model),
        "trained_on": len(records),
        "labels": list(trained.labels),
        "version": trained.version,
        "errors": [{"input": p.input, "reason": p.reason} for p in problems],
    }
    if as_json:
        _print_json(doc)
        return
    out.print(
        f"Trained on {len(records)} texts, {len(trained.labels)} labels; saved to {model}.",
        highlight=False,
    )
    for p in problems:
        out.print(f"  [yellow]skipped[/yellow] {p.input}: {p.reason}", highlight=False)


@topics_app.command("predict")
def topics_predict(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help='JSON lines of {"id": ..., "text": ...}.')],
    model: Annotated[
        Path | None,
        typer.Option("--model", help="A trained model folder (default: the zero-shot taxonomy)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict the topics of texts with a trained model or the default taxonomy model."""
    from hoasen.analyze.embed import embedding_text
    from hoasen.analyze.topics import Taxonomy, load_topic_model

    with _errors():
        settings = _settings(ctx)
        items, problems = _read_texts(data)
        path = settings.topics_taxonomy
        taxonomy = Taxonomy.load(Path(path) if path else None)
        embedder = None
        if model is None:
            from hoasen.analyze.embed import E5Embedder

            embedder = E5Embedder()
        predictor = load_topic_model(model, taxonomy, embedder=embedder)
        texts = [t for _, t in items]
        vectors = embedder.embed([embedding_text("", t) for t in texts]) if embedder else None
        labels = predictor.predict(texts, None, embeddings=vectors) if texts else []
    rows = [
        {"id": i, "labels": [k for k, _ in found], "scores": {k: round(s, 4) for k, s in found}}
        for (i, _), found in zip(items, labels, strict=True)
    ]
    for p in problems:
        err.print(f"skipped {p.input}: {p.reason}", highlight=False)
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        out.print(f"{r['id']}: {', '.join(r['labels']) or '-'}", highlight=False)


def _read_texts(path: Path) -> tuple[list[tuple[Any, str]], list[Any]]:
    """(id, text) of each good line of a JSON-lines file, and a reason for each bad line."""
    from hoasen.models import ItemError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path} as UTF-8 text: {exc}") from exc
    items: list[tuple[Any, str]] = []
    problems: list[ItemError] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(ItemError(where, f"not JSON ({exc.msg})"))
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            problems.append(ItemError(where, 'no "text" string'))
            continue
        items.append((doc.get("id", number), doc["text"]))
    return items, problems


# ------------------------------------------------------------------------- gazetteer


@gazetteer_app.command("import")
def gazetteer_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV file in the gazetteer's format.")],
    as_json: JsonOpt = False,
) -> None:
    """Add or correct entities from a CSV file (kept in the database for every later run)."""
    with _desk(ctx) as desk:
        rows = desk.import_gazetteer(file)
    if as_json:
        _print_json({"file": str(file), "entities": rows})
        return
    out.print(
        f"Imported {rows} entities from {file}. Run `hoasen analyze --stage entities` to "
        "link stored articles to them.",
        highlight=False,
    )


@gazetteer_app.command("list")
def gazetteer_list(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind: country, province, city...")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the known entities with their names in vi, en and zh."""
    with _desk(ctx) as desk:
        known = [e for e in desk.pipeline.gazetteer if kind is None or e.kind == kind]
    if as_json:
        _print_json(
            [
                {
                    "id": e.id,
                    "type": e.type,
                    "kind": e.kind,
                    "country": e.country,
                    "status": e.status,
                    "names": dict(e.names),
                }
                for e in known
            ]
        )
        return
    table = Table("id", "type", "kind", "vi", "en", "zh")
    for e in known:
        n = e.names
        table.add_row(e.id, e.type, e.kind, n.get("vi", ""), n.get("en", ""), n.get("zh", ""))
    out.print(table)
