"""Commands of the news exchange: export articles to partner formats, import partner documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hoasen.cli import JsonOpt, _desk, _print_json, _print_report, app, out

exchange_app = typer.Typer(
    help="News exchange with partner agencies (ninjs, NewsML-G2, Atom, JSON Feed).",
    no_args_is_help=True,
)
app.add_typer(exchange_app, name="exchange")


@exchange_app.command("export")
def exchange_export(
    ctx: typer.Context,
    article_ids: Annotated[list[int], typer.Argument(help="Ids of the articles to export.")],
    fmt: Annotated[
        str, typer.Option("--format", help="ninjs, newsml, atom or jsonfeed.")
    ] = "ninjs",
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder the files are written to.")
    ] = Path("."),
    ninjs_version: Annotated[
        str, typer.Option("--ninjs-version", help="ninjs version: 3.0 (default), 3.1, 2.0-2.2.")
    ] = "3.0",
    as_json: JsonOpt = False,
) -> None:
    """Export articles, with approved translations, validated against IPTC's schemas."""
    with _desk(ctx) as desk:
        paths = desk.exchange.export(article_ids, fmt, out_dir, ninjs_version=ninjs_version)
    if as_json:
        _print_json({"format": fmt, "files": [str(p) for p in paths]})
        return
    for path in paths:
        out.print(str(path), highlight=False)


@exchange_app.command("import")
def exchange_import(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="Partner documents: ninjs, NewsML-G2, Atom/RSS.")
    ],
    partner: Annotated[
        str | None, typer.Option("--partner", help="The partner (source) these came from.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import partner documents through the normal ingest; invalid ones are reported."""
    with _desk(ctx) as desk:
        report = desk.exchange.import_files(files, partner=partner)
    if as_json:
        _print_json(report.as_json())
    else:
        _print_report(report)
