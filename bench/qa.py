"""QA alone: segments per second over 10,000 English news segments and their human translations
(NTREX dev lines repeated, vi/zh/ja/ko in turn), with a glossary of every gazetteer entity that
has a name in both languages (the termbase as an office would have it)."""

from __future__ import annotations

import time
from pathlib import Path

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.translate.qa import QA, is_flagged
from hoasen.translate.types import Glossary, GlossaryEntry, longest_first

#: NTREX file -> target language.
FILES = {"ref.vie": "vi", "ref.zho-CN": "zh", "ref.jpn": "ja", "ref.kor": "ko"}


def _lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def gazetteer_glossary(gaz: Gazetteer, source: str, target: str) -> Glossary:
    """Every gazetteer entity named in both languages, as one glossary entry."""
    entries = []
    for entity in gaz:
        names = [n for lang, n in entity.all_names() if lang == source]
        preferred = entity.names.get(target)
        if names and preferred:
            admitted = tuple(n for lang, n in entity.all_names() if lang == target)
            entries.append(
                GlossaryEntry(entity.id, longest_first(names), preferred, (), admitted, entity.type)
            )
    return Glossary(source, target, tuple(entries))


def run(data_dir: Path, pairs: int = 10_000) -> dict[str, float]:
    """Time `QA.check_document` over `pairs` segment pairs (glossary matchers built first)."""
    folder = data_dir / "ntrex-dev" / "NTREX-128"
    english = _lines(folder / "newstest2019-src.eng.txt")
    gaz = Gazetteer.load()
    qa = QA()
    jobs = []
    per_lang = pairs // len(FILES)
    started = time.perf_counter()
    for stem, lang in FILES.items():
        refs = _lines(folder / f"newstest2019-{stem}.txt")
        glossary = gazetteer_glossary(gaz, "en", lang)
        qa.matcher(glossary)
        reps = -(-per_lang // len(english))
        jobs.append(((english * reps)[:per_lang], (refs * reps)[:per_lang], lang, glossary))
    setup_s = time.perf_counter() - started
    qa.detector.detect("warm up")  # load the language models before the clock starts
    flagged = total = 0
    started = time.perf_counter()
    for sources, targets, lang, glossary in jobs:
        for flags in qa.check_document(sources, targets, "en", lang, glossary):
            flagged += is_flagged(flags)
            total += 1
    seconds = time.perf_counter() - started
    print(
        f"   {total} pairs in {seconds:.2f} s ({total / seconds:.0f}/s); glossaries of "
        f"{len(jobs[0][3])} entries built in {setup_s:.1f} s; {flagged} flagged",
        flush=True,
    )
    return {
        "segments_per_s": total / seconds,
        "seconds_10k": seconds * 10_000 / total,
        "glossary_setup_s": setup_s,
    }
