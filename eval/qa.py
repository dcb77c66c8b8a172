"""Translation QA on human translations (NTREX-128 dev: English news, line-aligned vi, zh, ja, ko
references), both ways (en -> X and X -> en): false alarms on untouched segments and recall on
injected faults.

* **False alarms**: every line against its untouched human translation, through
  `hoasen.translate.qa.QA` with a glossary; a segment counts when its names or numbers checks
  raise an error or a warning (info hints do not count; `any_flag.*` reports segments with any
  flag at all, info and the other checks included). The issue's ceiling is 2% on held-out news;
  `clean_rate` (1 minus the rate) and `clean_rate_min` (the worst pair) carry the pinned floors,
  since eval/floors.json only holds floors.
* **Glossary**: synthetic, from the bundled gazetteer: every entity named in the source lines
  that has a name in the target language becomes a concept (source names and aliases as
  sources, the target name preferred, target aliases admitted) with one forbidden garbling of
  the preferred term (Vietnamese diacritics stripped, else words reversed or two letters
  swapped; CJK characters reversed). A garbling that occurs anyway in the untouched references
  (国中 inside 美国中部) is left out, as a termbase would not list it.
* **Injected faults**, one of each kind per eligible segment: (a) a number of the target that
  renders a source number gets one digit changed (366 -> 367, 3.66 -> 3.76), (b) a scale word
  after a number swapped (万 -> 亿, million -> billion, triệu -> tỷ), (c) the preferred term of
  a concept the source names replaced in the target by its forbidden garbling. `recall.*` is
  the share flagged by the right check (numbers / forbidden) with an error or a warning - it
  must be 100%; `recall_as_error.*` counts errors only (a digit change that looks like
  rounding, 2.94 -> 2.90 million, is a warning).
Run: `python -m eval.qa [DATA_DIR]`.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.translate.qa import NAME_CHECKS, QA, GlossaryMatcher, fold
from hoasen.translate.qa_numbers import extract_numbers
from hoasen.translate.types import Flag, Glossary, GlossaryEntry, longest_first

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: NTREX file -> target language.
FILES = {"ref.vie": "vi", "ref.zho-CN": "zh", "ref.jpn": "ja", "ref.kor": "ko"}
SEED = 11
_SCALE_SWAPS = (
    ("万", "亿"),
    ("亿", "万"),
    ("萬", "億"),
    ("億", "万"),
    ("만", "억"),
    ("억", "만"),
    ("triệu", "tỷ"),
    ("tỷ", "triệu"),
    ("nghìn", "triệu"),
    ("million", "billion"),
    ("billion", "million"),
)


def read_lines(path: Path) -> list[str]:
    """The lines of a NTREX file (line i of every file is the same segment)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def garble(term: str, lang: str) -> str | None:
    """A plausible machine garbling of a name, or None when none differs from it."""
    if lang in ("zh", "ja", "ko"):
        out = term[::-1] if len(term) >= 2 else None
    else:
        decomposed = unicodedata.normalize("NFD", term.replace("đ", "d").replace("Đ", "D"))
        stripped = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
        )
        words = term.split()
        if stripped != term:
            out = stripped
        elif len(words) >= 2:
            out = " ".join(reversed(words))
        elif len(term) >= 4:
            mid = len(term) // 2
            out = term[: mid - 1] + term[mid] + term[mid - 1] + term[mid + 1 :]
        else:
            out = None
    return out if out and out != term else None


def build_glossary(
    sources: list[str], targets: list[str], src: str, lang: str, gaz: Gazetteer
) -> Glossary:
    """The synthetic glossary `src` -> `lang` of gazetteer entities the source lines name."""
    entries: list[GlossaryEntry] = []
    for entity in gaz:
        names = [n for la, n in entity.all_names() if la == src]
        target = entity.names.get(lang)
        if not names or not target:
            continue
        admitted = [n for la, n in entity.all_names() if la == lang and n != target]
        entries.append(
            GlossaryEntry(
                concept=entity.id,
                sources=longest_first(names),
                target=target,
                admitted=tuple(admitted),
                type=entity.type,
            )
        )
    full = Glossary(src, lang, tuple(entries))
    matcher = GlossaryMatcher(full)
    named = {i for s in sources for _, ids, _ in matcher.concepts(s) for i in ids}
    allowed = {fold(t) for e in entries for t in (e.target, *e.admitted)}
    corpus = "\n".join(targets)
    folded_corpus = fold(corpus)
    kept: list[GlossaryEntry] = []
    for i in sorted(named):
        entry = entries[i]
        bad = garble(entry.target, lang)
        if bad is not None and (
            fold(bad) in allowed or bad in corpus or f" {fold(bad)} " in f" {folded_corpus} "
        ):
            bad = None
        kept.append(
            GlossaryEntry(
                entry.concept,
                entry.sources,
                entry.target,
                (bad,) if bad else (),
                entry.admitted,
                entry.type,
            )
        )
    return Glossary(src, lang, tuple(kept))


def _flagged(flags: list[Flag], checks: tuple[str, ...]) -> bool:
    return any(f.check in checks and f.severity in ("error", "warning") for f in flags)


def inject_number(source: str, target: str, src: str, lang: str, rng: random.Random) -> str | None:
    """The target with one digit changed in a number that renders a source number."""
    wanted = [n for n in extract_numbers(source, src) if n.hard]
    spans = [
        t
        for t in extract_numbers(target, lang)
        if t.digits and t.hard and any(w.values & t.values for w in wanted)
    ]
    if not spans:
        return None
    num = rng.choice(spans)
    digits = [i for i in range(num.start, num.end) if target[i].isdigit()]
    if not digits:
        return None
    pos = rng.choice(digits)
    old = int(target[pos])
    new = (old + rng.randint(1, 9)) % 10
    if new == 0 and pos == digits[0]:
        new = 1 if old != 1 else 2  # no leading zero: 366 -> 066 reads as another number
    return target[:pos] + str(new) + target[pos + 1 :]


def inject_scale(target: str, rng: random.Random) -> str | None:
    """The target with one scale word after a number swapped (万 -> 亿, million -> billion)."""
    options = []
    for old, new in _SCALE_SWAPS:
        for m in re.finditer(rf"(?<=\d)\s?{re.escape(old)}(?![a-zà-ỹ])", target):
            options.append((m.start(), m.end(), m.group().replace(old, new)))
    if not options:
        return None
    start, end, text = rng.choice(sorted(options))
    return target[:start] + text + target[end:]


def inject_name(
    source: str, target: str, glossary: Glossary, matcher: GlossaryMatcher
) -> str | None:
    """The target with a concept's preferred term replaced by its forbidden garbling."""
    for _, ids, _ in matcher.concepts(source):
        for i in ids:
            e = glossary.entries[i]
            if not e.forbidden:
                continue
            spans = matcher.allowed_spans(target, e)
            for a, b in spans:
                if target[a:b] and fold(target[a:b]) == fold(e.target):
                    return target[:a] + e.forbidden[0] + target[b:]
    return None


def evaluate(data_dir: Path) -> dict[str, float]:
    """False-alarm rates per language and overall, injected recall, segments per second."""
    folder = data_dir / "ntrex-dev" / "NTREX-128"
    english = read_lines(folder / "newstest2019-src.eng.txt")
    gaz = Gazetteer.load()
    qa = QA()
    rng = random.Random(SEED)
    metrics: dict[str, float] = {}
    alarms = total = 0
    injected: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    other: Counter[str] = Counter()
    seconds = 0.0
    missed: list[str] = []
    for stem, lang in FILES.items():
        refs = read_lines(folder / f"newstest2019-{stem}.txt")
        if len(refs) != len(english):
            raise SystemExit(f"{stem}: {len(refs)} lines, the source has {len(english)}")
        for src, tgt, sources, targets in (
            ("en", lang, english, refs),
            (lang, "en", refs, english),
        ):
            pair = f"{src}-{tgt}"
            glossary = build_glossary(sources, targets, src, tgt, gaz)
            matcher = qa.matcher(glossary)
            counts: Counter[str] = Counter()
            started = time.perf_counter()
            results = qa.check_document(sources, targets, src, tgt, glossary)
            seconds += time.perf_counter() - started
            for flags in results:
                names = _flagged(flags, NAME_CHECKS)
                numbers = _flagged(flags, ("numbers",))
                counts["names"] += names
                counts["numbers"] += numbers
                counts["any"] += names or numbers
                counts["all"] += bool(flags)
                for f in flags:
                    if f.severity != "info" and f.check not in (*NAME_CHECKS, "numbers"):
                        other[f.check] += 1
            n = len(sources)
            metrics[f"false_alarm.{pair}"] = counts["any"] / n
            metrics[f"false_alarm.{pair}.names"] = counts["names"] / n
            metrics[f"false_alarm.{pair}.numbers"] = counts["numbers"] / n
            metrics[f"any_flag.{pair}"] = counts["all"] / n
            metrics[f"glossary_concepts.{pair}"] = len(glossary)
            alarms += counts["any"]
            total += n
            for i, (s_line, t_line) in enumerate(zip(sources, targets, strict=True)):
                faults = {
                    "number": inject_number(s_line, t_line, src, tgt, rng),
                    "scale": inject_scale(t_line, rng),
                    "name": inject_name(s_line, t_line, glossary, matcher),
                }
                for kind, bad in faults.items():
                    if bad is None or bad == t_line:
                        continue
                    check = "forbidden" if kind == "name" else "numbers"
                    injected[kind] += 1
                    flags = qa.check_segment(s_line, bad, src, tgt, glossary)
                    if any(f.check == check and f.severity != "info" for f in flags):
                        caught[kind] += 1
                        errors[kind] += any(
                            f.check == check and f.severity == "error" for f in flags
                        )
                    else:
                        missed.append(f"{pair} {kind} line {i + 1}: {bad}")
    metrics["false_alarm"] = alarms / total
    metrics["clean_rate"] = 1 - alarms / total
    pairs = [k.split(".")[1] for k in metrics if k.startswith("any_flag.")]
    metrics["clean_rate_min"] = 1 - max(metrics[f"false_alarm.{p}"] for p in pairs)
    for kind in ("number", "scale", "name"):
        metrics[f"recall.{kind}"] = caught[kind] / max(1, injected[kind])
        metrics[f"recall_as_error.{kind}"] = errors[kind] / max(1, injected[kind])
        metrics[f"injected.{kind}"] = injected[kind]
    metrics["recall"] = sum(caught.values()) / max(1, sum(injected.values()))
    metrics["segments_per_second"] = total / seconds
    if other:
        shown = ", ".join(f"{k}: {v}" for k, v in other.most_common())
        print(f"   other checks (errors and warnings on untouched segments): {shown}")
    for line in missed[:10]:
        print(f"   missed: {line}")
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Print the metrics table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    metrics = evaluate(args.data)
    print(f"{'metric':32} {'value':>10}")
    for key in sorted(metrics):
        print(f"{key:32} {metrics[key]:10.4f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
