"""The translation part of `hoasen demo`: the termbase built from the gazetteer, the garbled
names the name check finds in the sample's published English translations, and — where a local
zh→en model is installed — a machine translation with and without the termbase enforced."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hoasen.desk import Desk
from hoasen.store.listing import ArticleFilters, find_articles

# Chinese news sentences with names a zh→en model garbles (孙业礼 "Sun Yataka", 壮族 "Chu").
DEMO_SENTENCES = (
    "广西壮族自治区主席孙业礼会见了越南客人。",
    "福建省与越南广宁省签署了友好合作协议。",
    "2023年，广西接待越南游客366万人次。",
)
# Where `tools/fetch_test_model.sh` puts the test model, tried after `models_dir`.
FALLBACK_MODELS = Path(".cache/models")


def show_translation(desk: Desk, console: Console) -> None:
    """Print the termbase's size, the name check of English articles and a translation demo."""
    tdesk = desk.translation
    concepts = tdesk.termbase.all()
    from_gazetteer = sum(1 for c in concepts.values() if c.entity_id)
    forbidden = sum(1 for c in concepts.values() for t in c.terms if t.status == "forbidden")
    console.print(
        f"[bold]Termbase[/bold]: {len(concepts)} concepts — {from_gazetteer} from the gazetteer, "
        f"the rest the office's own terms — with {forbidden} forbidden variants "
        "(`hoasen termbase list`, the web desk's Termbase page)."
    )
    _name_check(desk, console)
    _machine_translation(desk, console)


def _name_check(desk: Desk, console: Console) -> None:
    rows, _ = find_articles(desk.store, ArticleFilters(language="en"), limit=1000)
    table = Table("article", "found", "write instead", "times", title="Name check")
    hits = 0
    for article in rows:
        found = desk.translation.check_names(f"{article.title}\n{article.text}", "en")
        counted: dict[tuple[str, str], int] = {}
        for f in found:
            key = (f["text"], f["preferred"] or "?")
            counted[key] = counted.get(key, 0) + 1
        for (text, preferred), times in counted.items():
            table.add_row(str(article.id), text, preferred, str(times))
            hits += 1
    console.print(
        f"[bold]Name check[/bold] of {len(rows)} English articles (published machine "
        f"translations garble names): {hits} forbidden forms found" + (":" if hits else ".")
    )
    if hits:
        console.print(table)


def _machine_translation(desk: Desk, console: Console) -> None:
    from hoasen.translate.engines.local_models import list_models
    from hoasen.translate.service import TranslationDesk

    settings = desk.settings
    folder = None
    for candidate in (Path(settings.models_dir), FALLBACK_MODELS):
        if any(("zh", "en") in m.pairs and m.usable for m in list_models(candidate)):
            folder = candidate
            break
    if folder is None:
        console.print(
            f"[bold]Machine translation[/bold]: no local zh→en model in {settings.models_dir}/ "
            "— copy one there (docs/translation.md) to see names kept by the termbase."
        )
        return
    local = replace(settings, models_dir=str(folder), translate_engines=("zh-en=local",))
    tdesk = TranslationDesk(desk.store, local, desk.pipeline.gazetteer)
    raw = tdesk.translate_segments(DEMO_SENTENCES, "zh", "en", termbase=False, memory=False)
    kept = tdesk.translate_segments(DEMO_SENTENCES, "zh", "en", memory=False)
    table = Table("Chinese", "engine alone", "with the termbase", title=f"zh→en, model in {folder}")
    for source, a, b in zip(DEMO_SENTENCES, raw.segments, kept.segments, strict=True):
        flags = "; ".join(f.message for f in b.flags if f.severity != "info")
        table.add_row(source, a.target, b.target + (f"\n⚑ {flags}" if flags else ""))
    console.print(table)
