"""Names through machine translation: does each termbase name come out as its preferred term?

The glossary is the gazetteer seen from zh→en (every entity's Chinese names and aliases →
its English name). Segments are Chinese sentences that contain at least one of those names:

- `news`: real sentences — NTREX-128 newstest2019 zh side (ntrex-dev), the Universal NER
  Chinese dev set (ner-zh) and the Chinese web pages of extraction-zh, split at 。！？;
- `office`: news-style template sentences filled with the gazetteer's people, Chinese regions,
  Vietnamese provinces and organisations, the names this office writes about and that generic
  news rarely contains (广西壮族自治区主席孙业礼会见越南客人。).

A segment is right when every protected concept's preferred English term appears in the output
at least as often as the concept occurs in the source. Reported for the raw engine (also
`lenient`: any English alias of the gazetteer accepted), for the enforced pipeline, and — with
`--explore` — for each strategy alone (`kept`); with numbers (366万 → 3.66 million: every
significant Arabic number of the source, 万/亿 scaled, must appear in the output), chrF against
the human English of the NTREX sentences (what enforcement costs in fluency), engine passes per
segment and speed (segments per second, raw vs enforced, on the same segments). `safe` is the
share of segments that are right or carry an error flag: a wrong name must never ship silently.
`make eval` measures an evenly spread 400 of the news sentences; `--limit 0` takes them all.

The zh→en model is Argos Translate's translate-zh_en 1.9 (OPUS-MT, CTranslate2), found at
$HOASEN_TEST_ZH_EN_MODEL or .cache/models/translate-zh_en.argosmodel
(tools/fetch_test_model.sh). Without it only the `offline.*` metrics are measured: the same
pipeline through a deterministic fake engine that drops, repeats and garbles names in a fixed
share of segments — what enforcement must still never let through.

Run: `python -m eval.enforce [DATA_DIR] [--explore [NAMES]] [--limit N] [--dump FILE.json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.translate.enforce import (
    BRACKETS,
    XML,
    EnforcedSegment,
    Enforcer,
    Placeholders,
    Pretranslate,
    Raw,
    Span,
    StandIns,
    Strategy,
    count_terms,
)
from hoasen.translate.types import Glossary, GlossaryEntry, longest_first

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
MODEL_ENV = "HOASEN_TEST_ZH_EN_MODEL"
MODEL_PATH = ROOT / ".cache" / "models" / "translate-zh_en.argosmodel"
DEFAULT_LIMIT = 400  # news segments measured by `make eval` (evenly spaced); 0 = all
EngineFn = Callable[[list[str]], list[str]]
T = TypeVar("T")
R = TypeVar("R")

#: Strategies tried alone with --explore (the candidates the default order was chosen from).
CANDIDATES: dict[str, Strategy] = {
    "pretranslate": Pretranslate(),
    "pretranslate-tight": Pretranslate("pretranslate-tight", spaced=False),
    "brackets": BRACKETS,
    "braces": Placeholders("braces", "{{{n}}}", r"\{\s*(\d+)\s*\}"),
    "white-brackets": Placeholders("white-brackets", "⟦{n}⟧", r"⟦\s*(\d+)\s*⟧"),
    "underscores": Placeholders("underscores", "__T{n}__", r"_+\s*T\s*(\d+)\s*_+"),
    "xml": XML,
    "stand-in": StandIns(),
    "raw": Raw(),
}

#: News-style templates for the office set; {X} is a name of the given type.
OFFICE_TEMPLATES = {
    "PER": (
        "{X}会见了越南代表团一行。",
        "据新华社报道，{X}表示，双方将继续深化合作。",
        "越南广宁省领导与{X}举行会谈。",
    ),
    "LOC": (
        "{X}与越南广宁省签署了媒体合作协议。",
        "今年前三季度，{X}的外贸总额达到366万美元。",
        "代表团访问了{X}，并参观了当地企业。",
    ),
    "ORG": (
        "{X}与越南媒体联合出版了特刊。",
        "{X}负责人表示，将加强新闻交流。",
    ),
}
OFFICE_KINDS = ("cn.", "vn.", "per.", "org.")


# ---------------------------------------------------------------------------------- data


def build_glossary(gazetteer: Gazetteer | None = None) -> Glossary:
    """The gazetteer as a zh→en glossary: Chinese name and aliases → English name, with the
    English aliases as admitted forms (so `lenient` can accept them)."""
    entries: list[GlossaryEntry] = []
    for entity in gazetteer or Gazetteer.load():
        zh = [entity.names.get("zh", "")] + [n for lang, n in entity.aliases if lang == "zh"]
        en = entity.names.get("en", "")
        sources = longest_first(zh)
        if not en or not sources:
            continue
        admitted = tuple(n for lang, n in entity.aliases if lang == "en")
        entries.append(GlossaryEntry(entity.id, sources, en, (), admitted, entity.type))
    return Glossary("zh", "en", tuple(entries))


def news_segments(data_dir: Path, enforcer: Enforcer) -> list[tuple[str, str | None]]:
    """Chinese news sentences (8-200 characters) with at least one glossary name, each with
    its human English reference where there is one (NTREX)."""
    pairs: list[tuple[str, str | None]] = []
    folder = data_dir / "ntrex-dev" / "NTREX-128"
    zh, en = folder / "newstest2019-ref.zho-CN.txt", folder / "newstest2019-src.eng.txt"
    if zh.is_file() and en.is_file():
        refs = en.read_text(encoding="utf-8").splitlines()
        pairs += list(zip(zh.read_text(encoding="utf-8").splitlines(), refs, strict=False))
    ner = data_dir / "ner-zh" / "dev.jsonl"
    if ner.is_file():
        lines = ner.read_text(encoding="utf-8").splitlines()
        pairs += [(json.loads(line)["text"], None) for line in lines if line.strip()]
    for path in sorted((data_dir / "extraction-zh" / "cleaned").glob("*.txt")):
        body = re.sub(r"\s*\n\s*", "", path.read_text(encoding="utf-8", errors="replace"))
        pairs += [(s, None) for s in re.findall(r"[^。！？]*[。！？]", body)]
    seen: set[str] = set()
    out: list[tuple[str, str | None]] = []
    for text, ref in pairs:
        text = text.strip()
        if 8 <= len(text) <= 200 and text not in seen and enforcer.find(text):
            seen.add(text)
            out.append((text, ref))
    return out


def office_segments(glossary: Glossary) -> list[str]:
    """Template sentences naming the office's people, regions and organisations (one per
    entity, templates in turn), plus the issue's own example."""
    out = ["广西壮族自治区主席孙业礼会见越南客人。"]
    counters: Counter[str] = Counter()
    for entry in glossary.entries:
        if not entry.concept.startswith(OFFICE_KINDS):
            continue
        templates = OFFICE_TEMPLATES.get(entry.type, OFFICE_TEMPLATES["LOC"])
        template = templates[counters[entry.type] % len(templates)]
        counters[entry.type] += 1
        out.append(template.format(X=entry.sources[0]))
    return out


def spaced_sample(items: Sequence[T], limit: int) -> list[T]:
    """`limit` items evenly spread over `items` (all of them when limit is 0 or larger)."""
    if not limit or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


# ---------------------------------------------------------------------------------- model


def find_model() -> Path | None:
    """The zh→en .argosmodel from $HOASEN_TEST_ZH_EN_MODEL or the project cache, if present."""
    env = os.environ.get(MODEL_ENV)
    for path in (Path(env) if env else None, MODEL_PATH):
        if path is not None and path.is_file():
            return path
    return None


@contextmanager
def argos_engine(path: Path, beam_size: int = 4) -> Iterator[EngineFn]:
    """A batch translation function over an Argos .argosmodel (unzipped to a temporary folder),
    decoding as Argos does (beam 4, length penalty 0.2, pieces joined on '▁')."""
    import ctranslate2
    import sentencepiece

    with tempfile.TemporaryDirectory(prefix="hoasen-argos-") as tmp:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp)
        folder = next(p.parent for p in Path(tmp).rglob("metadata.json"))
        translator = ctranslate2.Translator(
            str(folder / "model"), device="cpu", intra_threads=os.cpu_count() or 1
        )
        sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))

        def translate(texts: list[str]) -> list[str]:
            pieces = [sp.encode(t, out_type=str) for t in texts]
            results = translator.translate_batch(
                pieces,
                beam_size=beam_size,
                max_batch_size=32,
                replace_unknowns=True,
                length_penalty=0.2,
            )
            return ["".join(r.hypotheses[0]).replace("▁", " ").strip() for r in results]

        yield translate


def fake_engine(texts: list[str]) -> list[str]:
    """A deterministic stand-in engine for offline runs: Chinese characters become 'x', Latin
    text and tokens are copied, and by a hash of the text one segment in five loses a name or
    token, one in seven repeats it and one in nine has it lower-cased and hyphenated."""
    out = []
    for text in texts:
        h = zlib.crc32(text.encode())
        garbled = re.sub(r"[\u4e00-\u9fff]+", " x ", text)
        spans = list(re.finditer(r"\[\s*\d+\s*\]|[A-Z][\w'-]*(?: [A-Z][\w'-]*)*", garbled))
        if spans:
            m = spans[h % len(spans)]
            if h % 5 == 0:
                garbled = garbled[: m.start()] + garbled[m.end() :]
            elif h % 7 == 0:
                garbled = garbled[: m.end()] + " " + m.group(0) + garbled[m.end() :]
            elif h % 9 == 0:
                garbled = (
                    garbled[: m.start()] + m.group(0).lower().replace(" ", "-") + garbled[m.end() :]
                )
        out.append(re.sub(r"\s+", " ", garbled).strip())
    return out


# ---------------------------------------------------------------------------------- scoring

# An Arabic number in Chinese, with 万/亿; not a month or a clock time (those become words).
_ZH_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(亿|万)?(?![\d.,]|\s*[月时点分:：])")
_EN_NUMBER = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(trillion|billion|million|thousand)?"
)
_SCALE = {"万": 1e4, "亿": 1e8, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _values(pattern: re.Pattern[str], text: str, significant: bool = False) -> Counter[float]:
    values: Counter[float] = Counter()
    for m in pattern.finditer(text):
        number = float(m.group(1).replace(",", ""))
        scaled = round(number * _SCALE.get(m.group(2) or "", 1.0), 3)
        if significant and scaled < 13 and not m.group(2) and "." not in m.group(1):
            continue  # small counts are often written out ("three to four")
        values[scaled] += 1
    return values


def numbers_ok(source: str, target: str) -> bool | None:
    """Every significant Arabic number of the source (13 or more, a decimal, or scaled by
    万/亿) appears in the target with the same value (366万 = 3.66 million); None when the
    source has none."""
    wanted = _values(_ZH_NUMBER, source, significant=True)
    if not wanted:
        return None
    got = _values(_EN_NUMBER, target)
    return all(got[v] >= n for v, n in wanted.items())


def chrf(hypotheses: Sequence[str], references: Sequence[str], order: int = 6) -> float:
    """Corpus chrF (character 1..6-grams, spaces removed, beta 2), as sacrebleu computes it:
    how close a translation stays to a human one, to see what enforcement costs in fluency."""
    matches = [0] * order
    hyp_total = [0] * order
    ref_total = [0] * order
    for hyp, ref in zip(hypotheses, references, strict=True):
        h, r = re.sub(r"\s+", "", hyp), re.sub(r"\s+", "", ref)
        for n in range(1, order + 1):
            hc = Counter(h[i : i + n] for i in range(len(h) - n + 1))
            rc = Counter(r[i : i + n] for i in range(len(r) - n + 1))
            matches[n - 1] += sum((hc & rc).values())
            hyp_total[n - 1] += sum(hc.values())
            ref_total[n - 1] += sum(rc.values())
    precision = sum(m / t for m, t in zip(matches, hyp_total, strict=True) if t) / order
    recall = sum(m / t for m, t in zip(matches, ref_total, strict=True) if t) / order
    if not precision or not recall:
        return 0.0
    return 100 * 5 * precision * recall / (4 * precision + recall)


def names_ok(spans: Sequence[Span], target: str, lenient: bool = False) -> bool:
    """Every protected concept's preferred term (or, lenient, any admitted form) appears at
    least as often as the concept occurs in the source."""
    wanted = Counter(s.concept for s in spans)
    entries = {s.concept: s.entry for s in spans}
    terms = [t for e in entries.values() for t in (e.target, *(e.admitted if lenient else ()))]
    found = count_terms(target, terms, spaced=True)
    for concept, n in wanted.items():
        entry = entries[concept]
        forms = (entry.target, *(entry.admitted if lenient else ()))
        if sum(found[f] for f in set(forms)) < n:
            return False
    return True


def score(
    enforcer: Enforcer,
    pairs: Sequence[tuple[str, str | None]],
    targets: Sequence[str],
    results: Sequence[EnforcedSegment] | None = None,
) -> dict[str, float]:
    """names (share right), lenient (admitted forms accepted), safe (right or error-flagged),
    flagged, numbers (share of numbered segments right), chrf (against the references)."""
    right = lenient = safe = flagged = 0
    numbers: list[bool] = []
    hyps: list[str] = []
    refs: list[str] = []
    for i, ((source, ref), target) in enumerate(zip(pairs, targets, strict=True)):
        spans = enforcer.find(source)
        ok = names_ok(spans, target)
        has_error = results is not None and any(f.severity == "error" for f in results[i].flags)
        right += ok
        lenient += names_ok(spans, target, lenient=True)
        flagged += has_error
        safe += ok or has_error
        n = numbers_ok(source, target)
        if n is not None:
            numbers.append(n)
        if ref:
            hyps.append(target)
            refs.append(ref)
    total = max(len(pairs), 1)
    out = {
        "names": right / total,
        "lenient": lenient / total,
        "safe": safe / total,
        "flagged": flagged / total,
        "numbers": sum(numbers) / max(len(numbers), 1),
        "numbered_segments": float(len(numbers)),
    }
    if refs:
        out["chrf"] = chrf(hyps, refs)
        out["referenced_segments"] = float(len(refs))
    return out


def timed(fn: Callable[[], R]) -> tuple[R, float]:
    """fn() and the seconds it took."""
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


# ---------------------------------------------------------------------------------- suites


def evaluate_offline(data_dir: Path) -> dict[str, float]:
    """The pipeline through `fake_engine`: names right, safe (right or flagged) and flagged."""
    glossary = build_glossary()
    enforcer = Enforcer(glossary)
    pairs = news_segments(data_dir, enforcer) + [(s, None) for s in office_segments(glossary)]
    results = enforcer.translate([s for s, _ in pairs], fake_engine)
    scores = score(enforcer, pairs, [r.target for r in results], results)
    return {
        "offline.names": scores["names"],
        "offline.safe": scores["safe"],
        "offline.flagged": scores["flagged"],
        "offline.segments": float(len(pairs)),
    }


def evaluate_model(
    data_dir: Path,
    model: Path,
    limit: int = DEFAULT_LIMIT,
    explore: Sequence[str] = (),
    dump: Path | None = None,
) -> dict[str, float]:
    """Raw vs enforced (and, with `explore`, each candidate strategy alone) on the news and
    office segments through the real model; `dump` writes every segment's outputs as JSON."""
    glossary = build_glossary()
    enforcer = Enforcer(glossary)
    sets: dict[str, list[tuple[str, str | None]]] = {
        "news": spaced_sample(news_segments(data_dir, enforcer), limit),
        "office": [(s, None) for s in office_segments(glossary)],
    }
    result: dict[str, float] = {}
    dumped: dict[str, list[dict[str, object]]] = {}
    with argos_engine(model) as engine:
        for name, pairs in sets.items():
            texts = [s for s, _ in pairs]
            result[f"{name}.segments"] = float(len(pairs))
            raw, raw_s = timed(partial(engine, texts))
            scores = score(enforcer, pairs, raw)
            result.update({f"{name}.raw.{k}": v for k, v in scores.items() if k not in _ENFORCED})
            result[f"{name}.raw.segments_per_s"] = len(pairs) / max(raw_s, 1e-9)
            results, secs = timed(partial(enforcer.translate, texts, engine))
            scores = score(enforcer, pairs, [r.target for r in results], results)
            result.update({f"{name}.enforced.{k}": v for k, v in scores.items()})
            result[f"{name}.enforced.segments_per_s"] = len(pairs) / max(secs, 1e-9)
            passes = sum(r.attempts for r in results) / max(len(results), 1)
            result[f"{name}.enforced.engine_passes"] = passes
            for strategy, n in Counter(r.strategy for r in results).items():
                result[f"{name}.enforced.by.{strategy or 'none'}"] = n / max(len(results), 1)
            rows: list[dict[str, object]] = [
                {
                    "source": s,
                    "reference": ref,
                    "raw": r,
                    "target": res.target,
                    "strategy": res.strategy,
                    "flags": [f.message for f in res.flags],
                }
                for (s, ref), r, res in zip(pairs, raw, results, strict=True)
            ]
            for label in explore:
                candidate = CANDIDATES[label]
                alone = Enforcer(glossary, [candidate])
                res, secs = timed(partial(alone.translate, texts, engine))
                kept = [r.strategy == candidate.name for r in res]
                targets = [
                    r.target if k else raw[i]
                    for i, (r, k) in enumerate(zip(res, kept, strict=True))
                ]
                sc = score(enforcer, pairs, targets)
                key = f"{name}.alone.{label}"
                result[f"{key}.kept"] = sum(kept) / max(len(kept), 1)
                result[f"{key}.numbers"] = sc["numbers"]
                if "chrf" in sc:
                    result[f"{key}.chrf"] = sc["chrf"]
                result[f"{key}.segments_per_s"] = len(pairs) / max(secs, 1e-9)
                for row, r, k in zip(rows, res, kept, strict=True):
                    row[f"alone:{label}"] = r.target if k else None
            dumped[name] = rows
    if dump is not None:
        dump.write_text(json.dumps(dumped, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


_ENFORCED = ("safe", "flagged")


def evaluate(data_dir: Path) -> dict[str, float]:
    """`make eval`: offline metrics always; the model metrics when the model is installed."""
    result = evaluate_offline(data_dir)
    model = find_model()
    if model is None:
        print(
            f"   enforce: zh→en model not found (${MODEL_ENV} or {MODEL_PATH.relative_to(ROOT)}; "
            "tools/fetch_test_model.sh) — measured offline metrics only"
        )
        return result
    result.update(evaluate_model(data_dir, model))
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the metrics; with the model, also raw vs enforced (and --explore: each strategy)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--explore",
        nargs="?",
        const=",".join(CANDIDATES),
        default="",
        help="Also try these strategies alone (comma-separated; default all candidates).",
    )
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="News segments; 0 = all.")
    parser.add_argument("--dump", type=Path, help="Write every segment's outputs to this JSON.")
    args = parser.parse_args(argv)
    result = evaluate_offline(args.data)
    model = find_model()
    if model is None:
        print(f"zh→en model not found: set ${MODEL_ENV} or put it at {MODEL_PATH}")
    else:
        explore = [x for x in args.explore.split(",") if x]
        result.update(evaluate_model(args.data, model, args.limit, explore, args.dump))
    for key in sorted(result):
        print(f"{key:50} {result[key]:10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
