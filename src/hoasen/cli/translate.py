"""Commands of the translation desk: translate, the termbase, the translation memory and QA."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hoasen.cli import (
    JsonOpt,
    Table,
    _desk,
    _errors,
    _print_json,
    _read_text,
    _settings,
    app,
    err,
    out,
)
from hoasen.errors import UsageError
from hoasen.settings import Settings

if TYPE_CHECKING:
    from hoasen.desk import Desk

termbase_app = typer.Typer(
    help="The termbase: names and terms per language (built on the gazetteer).",
    no_args_is_help=True,
)
tm_app = typer.Typer(help="The translation memory (TMX 1.4b).", no_args_is_help=True)
translations_app = typer.Typer(
    help="Articles' stored translations and their review.", no_args_is_help=True
)
app.add_typer(termbase_app, name="termbase")
app.add_typer(tm_app, name="tm")
app.add_typer(translations_app, name="translations")

ToOpt = Annotated[str | None, typer.Option("--to", help="Target language: en, vi, zh, ja, ko...")]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="Source language (else the article's or detected).")
]


def _quiet_desk(settings: Settings) -> "Desk":
    """The configured database when it exists; else a throwaway one in memory, so reading a
    text file creates no database as a side effect (the bundled termbase still applies)."""
    from hoasen.desk import Desk

    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        from dataclasses import replace

        settings = replace(settings, database_url="sqlite://")
    return Desk(settings)


@contextmanager
def _bar(label: str) -> Iterator[Any]:
    """A progress bar on stderr, yielding its `tick(done, total)` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), console=err.console, transient=True
    ) as bar:
        task = bar.add_task(label, total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield tick


def _flag_text(flags: list[dict[str, str]]) -> str:
    return "; ".join(f"{f['severity']}: {f['message']}" for f in flags)


# ---------------------------------------------------------------- translate


@app.command()
def translate(
    ctx: typer.Context,
    what: Annotated[
        str,
        typer.Argument(
            help="An article id, a plain-text file (one segment per line), - for standard "
            "input, or `models` to list the installed local models."
        ),
    ],
    to: ToOpt = None,
    source: FromOpt = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="local, libretranslate, deepl or openai (else by pair)."),
    ] = None,
    no_termbase: Annotated[
        bool, typer.Option("--no-termbase", help="Do not protect the termbase's names.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Translate an article (kept as a draft for review) or plain text, names kept right."""
    if what == "models":
        _models(ctx, as_json)
        return
    with _errors():
        if not to:
            raise UsageError("say which language to translate into: --to en (or vi, zh...)")
        settings = _settings(ctx)
        if what.isdigit():
            from hoasen.desk import Desk

            with Desk(settings) as desk, _bar("Translating") as tick:
                stored = desk.translation.translate_article(
                    int(what), to, engine, termbase=not no_termbase, by="cli", progress=tick
                )
            doc = stored.as_json()
            doc["segments"] = [
                {k: s[k] for k in ("source", "target", "origin", "flags")} for s in doc["segments"]
            ]
        else:
            lines = _read_text(what).splitlines()
            lang = source or _detect(settings, "\n".join(lines))
            with _quiet_desk(settings) as desk, _bar("Translating") as tick:
                result = desk.translation.translate_segments(
                    lines, lang, to, engine, termbase=not no_termbase, progress=tick
                )
            doc = result.as_json()
    if as_json:
        _print_json(doc)
        return
    if "id" in doc:
        out.print(
            f"translation {doc['id']} of article {doc['article_id']} ({doc['from']} → "
            f"{doc['to']}, {doc['engine']}): {doc['flagged']} of {doc['total']} segments "
            "flagged; review it in the web desk or with `hoasen translations show`",
            highlight=False,
        )
    for seg in doc["segments"]:
        out.print(seg["target"], highlight=False, soft_wrap=True)
        if seg["flags"]:
            err.print(f"  [yellow]⚑ {_flag_text(seg['flags'])}[/yellow]", highlight=False)


def _detect(settings: Settings, text: str) -> str:
    from hoasen.analyze.language import make_detector

    guess = make_detector(settings).detect(text)
    if guess.language is None:
        raise UsageError("could not tell the text's language: give --from")
    return guess.language


def _models(ctx: typer.Context, as_json: bool) -> None:
    from hoasen.translate.engines.local_models import list_models

    with _errors():
        settings = _settings(ctx)
        models = list_models(settings.models_dir)
    if as_json:
        _print_json(
            {"models_dir": str(settings.models_dir), "models": [m.as_json() for m in models]}
        )
        return
    if not models:
        out.print(
            f"no local translation models in {settings.models_dir}: copy .argosmodel packages "
            "or CTranslate2 model folders there (see docs/translation.md)",
            highlight=False,
        )
        return
    table = Table("model", "kind", "pairs", "usable")
    for m in models:
        doc = m.as_json()
        pairs = doc.get("pairs") or doc.get("languages") or []
        shown = ", ".join(p if isinstance(p, str) else "→".join(p) for p in pairs[:8])
        table.add_row(str(doc.get("name")), str(doc.get("kind")), shown, str(doc.get("usable")))
    out.print(table)


# ---------------------------------------------------------------- stored translations


@translations_app.command("list")
def translations_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="draft, reviewed or approved.")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Only into this language.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most to list.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Stored translations, newest first."""
    with _desk(ctx) as desk:
        rows, total = desk.translation.records.listing(status=status, lang=lang, limit=limit)
    if as_json:
        _print_json({"total": total, "translations": [r.as_json(False) for r in rows]})
        return
    table = Table("id", "article", "pair", "engine", "status", "title")
    for r in rows:
        table.add_row(
            str(r.id), str(r.article_id), f"{r.source_lang}→{r.lang}", r.engine, r.status, r.title
        )
    out.print(table)


@translations_app.command("show")
def translations_show(
    ctx: typer.Context,
    translation_id: Annotated[int, typer.Argument(help="The translation's id.")],
    as_json: JsonOpt = False,
) -> None:
    """One translation segment by segment, with its QA flags."""
    with _desk(ctx) as desk:
        found = desk.translation.records.get(translation_id)
    if as_json:
        _print_json(found.as_json())
        return
    table = Table("#", "source", "target", "flags")
    for s in found.segments:
        table.add_row(str(s.position), s.source, s.target, _flag_text(s.flags))
    out.print(table)


@translations_app.command("status")
def translations_status(
    ctx: typer.Context,
    translation_id: Annotated[int, typer.Argument(help="The translation's id.")],
    status: Annotated[str, typer.Argument(help="draft, reviewed or approved.")],
    by: Annotated[str, typer.Option("--by", help="Who reviews or approves.")] = "cli",
) -> None:
    """Review or approve a translation (approved segments enter the memory)."""
    with _desk(ctx) as desk:
        found = desk.translation.set_status(translation_id, status, by)
    out.print(f"translation {found.id} is {found.status}", highlight=False)


# ---------------------------------------------------------------- termbase


@termbase_app.command("import")
def termbase_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A TBX (TBX-Basic) or CSV file.")],
    as_json: JsonOpt = False,
) -> None:
    """Import terms from TBX-Basic or CSV: all of the file or, on any error, none of it."""
    with _desk(ctx) as desk:
        result = desk.translation.import_terms(path)
    if as_json:
        _print_json(result)
        return
    out.print(
        f"imported {result['concepts']} concepts, {result['terms']} terms from {path.name}",
        highlight=False,
    )


@termbase_app.command("export")
def termbase_export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="tbx or csv.")] = "tbx",
    everything: Annotated[
        bool,
        typer.Option("--all", help="Also the gazetteer's names (else only the office's terms)."),
    ] = False,
) -> None:
    """Export the termbase as TBX-Basic or CSV."""
    with _desk(ctx) as desk:
        count = desk.translation.export_terms(output, fmt, everything)
    out.print(f"wrote {count} concepts to {output}", highlight=False)


@termbase_app.command("list")
def termbase_list(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="Only concepts with a matching name.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Only names in this language.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most to list.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Concepts of the termbase with their preferred, admitted and forbidden terms."""
    with _desk(ctx) as desk:
        found, total = desk.translation.list_terms(query, lang, limit)
    if as_json:
        _print_json({"total": total, "concepts": found})
        return
    table = Table("concept", "type", "terms")
    for c in found:
        shown = "; ".join(
            f"{t['lang']}: {t['text']}"
            + ("" if t["status"] == "preferred" else f" ({t['status']})")
            for t in c["terms"]
        )
        table.add_row(str(c["id"]), str(c["type"]), shown)
    out.print(table)
    out.print(f"{len(found)} of {total}", highlight=False)


@termbase_app.command("suggest")
def termbase_suggest(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A Chinese name, e.g. 福建省 or 孙业礼.")],
    as_json: JsonOpt = False,
) -> None:
    """Vietnamese (Hán-Việt) and English (pinyin) forms of a Chinese name, and known forms."""
    with _errors(), _quiet_desk(_settings(ctx)) as desk:
        doc = desk.translation.suggest(name)
    if as_json:
        _print_json(doc)
        return
    for key, value in doc.items():
        if value:
            out.print(f"{key}: {value}", highlight=False)


@termbase_app.command("check")
def termbase_check(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A UTF-8 text file, or - for standard input.")],
    lang: Annotated[str, typer.Option("--lang", help="The text's language (en, vi...).")],
    as_json: JsonOpt = False,
) -> None:
    """Find forbidden name forms in a published text ("Ton Nghiep Le" → Sun Yeli)."""
    with _errors():
        text = _read_text(target)
        with _quiet_desk(_settings(ctx)) as desk:
            found = desk.translation.check_names(text, lang)
    if as_json:
        _print_json({"findings": found, "total": len(found)})
        return
    for f in found:
        out.print(f"{f['start']}: {f['message']}", highlight=False)
    out.print(f"{len(found)} forbidden name forms", highlight=False)


# ---------------------------------------------------------------- memory


@tm_app.command("import")
def tm_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A TMX 1.4 file.")],
    as_json: JsonOpt = False,
) -> None:
    """Import segment pairs from TMX: all of the file or, on any error, none of it."""
    with _desk(ctx) as desk:
        result = desk.translation.import_memory(path)
    if as_json:
        _print_json(result)
        return
    out.print(
        f"imported {result['added']} new and {result['updated']} known segment pairs from "
        f"{path.name}",
        highlight=False,
    )


@tm_app.command("export")
def tm_export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The TMX file to write.")],
) -> None:
    """Export the whole memory as TMX 1.4b."""
    with _desk(ctx) as desk:
        count = desk.translation.export_memory(path)
    out.print(f"wrote {count} segment pairs to {path}", highlight=False)


@tm_app.command("lookup")
def tm_lookup(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The source segment.")],
    source: Annotated[str, typer.Option("--from", help="Source language.")],
    target: Annotated[str, typer.Option("--to", help="Target language.")],
    limit: Annotated[int, typer.Option("--limit", help="Most matches.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Exact and fuzzy matches from the memory."""
    with _errors(), _quiet_desk(_settings(ctx)) as desk:
        matches = desk.translation.memory.lookup(text, source, target, limit=limit)
    docs = [m.as_json() for m in matches]
    if as_json:
        _print_json({"matches": docs})
        return
    table = Table("score", "source", "target", "state")
    for m in docs:
        table.add_row(f"{m['score']:.2f}", str(m["source"]), str(m["target"]), str(m["state"]))
    out.print(table)


# ---------------------------------------------------------------- QA


@app.command()
def qa(
    ctx: typer.Context,
    source_file: Annotated[Path, typer.Argument(help="Source text, one segment per line.")],
    target_file: Annotated[Path, typer.Argument(help="Its translation, line by line.")],
    src_lang: Annotated[str, typer.Option("--src-lang", help="Source language.")],
    tgt_lang: Annotated[str, typer.Option("--tgt-lang", help="Target language.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a translation line by line: names, numbers, language, length, markup.
    Exits 0 whether or not anything is flagged."""
    with _errors():
        sources = _read_text(str(source_file)).splitlines()
        targets = _read_text(str(target_file)).splitlines()
        with _quiet_desk(_settings(ctx)) as desk:
            found = desk.translation.check(sources, targets, src_lang, tgt_lang)
    segments: list[dict[str, Any]] = [
        {"line": n, "flags": [f.as_json() for f in flags]} for n, flags in enumerate(found, start=1)
    ]
    flagged = sum(1 for flags in found if any(f.severity in ("error", "warning") for f in flags))
    doc = {"segments": segments, "flagged": flagged, "total": len(found)}
    if as_json:
        _print_json(doc)
        return
    for seg in segments:
        for f in seg["flags"]:
            out.print(
                f"line {seg['line']}: {f['severity']} [{f['check']}] {f['message']}",
                highlight=False,
            )
    out.print(f"{flagged} of {len(found)} lines flagged", highlight=False)
