"""Entity recognition quality: GUM news (English Wikinews; ../shared/data/ner-en-gum), and the
Chinese and Vietnamese dev sets (ner-zh: Universal NER, gold; ner-vi: WikiANN, silver).

GUM labels every entity *mention*, named or not ("pilgrims" is a person), and its CoNLL
conversion flattens nested mentions and drops B-/I- prefixes, so adjacent mentions of one type
merge. We map person -> PER, organization -> ORG, place -> LOC (other types are ignored) and
report, per type and overall, for the combined recognizer (spaCy + gazetteer + rules; plain
names), spaCy alone (`engine.*`), gazetteer + rules alone (`rules.*`) and the margins of the
combination over spaCy alone (`margin.*`):

- strict: exact token span and type against every gold mention;
- named: exact span and type against gold mentions that contain a capitalised word other than a
  determiner or pronoun (a proxy for "named entity"), after dropping a leading "the"/"a"/"an"
  from the gold span (GUM keeps "the United States"; NER convention, and ours, does not); a
  prediction that exactly matches an unnamed gold mention is left out of precision rather than
  counted wrong;
- named_overlap: like named, but a prediction counts if it overlaps a named gold mention of its
  type (one-to-one), which forgives GUM's wider spans ("the coast of Aceh, Indonesia").

Chinese and Vietnamese (`zh.*`, `vi.*`, see `evaluate_sentences`): exact character span and type,
for hoasen and its engine alone (`*.engine.*`), each scored sentence by sentence (`*.sentence.*`)
and with 50 consecutive sentences joined into one text (`*.joined.*`), since articles are long.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hoasen.analyze.entities import EntityEngine, EntityRecognizer, clean_mention, default_engines
from hoasen.analyze.gazetteer import Gazetteer, Mention

ROOT = Path(__file__).resolve().parents[1]
TYPES = {"person": "PER", "organization": "ORG", "place": "LOC"}
LABELS = ("PER", "ORG", "LOC")
_NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", ")", "]", "}", "%", "'s", "n't", "'", "''", "'re"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "``"}
_NOT_NAMES = {
    "the", "a", "an", "this", "that", "these", "those", "he", "she", "it", "they", "we", "i",
    "his", "her", "its", "their", "our", "my", "you", "your", "some", "many", "most", "both",
    "all", "each", "every", "one", "two", "three", "several", "no", "any", "another", "other",
    "such", "what", "who", "which", "him", "them", "us", "me", "there", "here",
}  # fmt: skip


@dataclass(frozen=True)
class Span:
    """A mention as token indices [first, last] of one document, with its type."""

    first: int
    last: int
    type: str


@dataclass
class Doc:
    """One GUM document rebuilt as text, with token offsets and gold mentions."""

    text: str
    offsets: list[tuple[int, int]]
    tokens: list[str]
    gold: list[Span]
    named: set[Span]


def read_doc(path: Path) -> Doc:
    """Tokens and per-token types of one GUM .tsv file, rebuilt as plain text."""
    sentences: list[list[tuple[str, str]]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if sentences[-1]:
                sentences.append([])
            continue
        token, _, label = line.partition("\t")
        sentences[-1].append((token, label.strip()))
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    labels: list[str] = []
    initial: list[bool] = []
    length = 0
    for sentence in filter(None, sentences):
        for k, (token, label) in enumerate(sentence):
            if parts:
                sep = "\n" if k == 0 else ("" if _glued(parts[-1], token) else " ")
                parts.append(sep)
                length += len(sep)
            offsets.append((length, length + len(token)))
            parts.append(token)
            length += len(token)
            labels.append(TYPES.get(label, ""))
            initial.append(k == 0)
    tokens = [t for t in parts if t not in ("", " ", "\n")]
    gold: list[Span] = []
    i = 0
    while i < len(labels):
        if not labels[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(labels) and labels[j + 1] == labels[i] and not initial[j + 1]:
            j += 1
        gold.append(Span(i, j, labels[i]))
        i = j + 1
    named = {_drop_determiner(s, tokens) for s in gold if _is_named(tokens[s.first : s.last + 1])}
    return Doc("".join(parts), offsets, tokens, gold, named)


def _drop_determiner(span: Span, tokens: Sequence[str]) -> Span:
    if span.last > span.first and tokens[span.first].lower() in ("the", "a", "an"):
        return Span(span.first + 1, span.last, span.type)
    return span


def _glued(previous: str, token: str) -> bool:
    return token in _NO_SPACE_BEFORE or previous in _NO_SPACE_AFTER


def _is_named(tokens: Sequence[str]) -> bool:
    return any(t[:1].isupper() and t.lower() not in _NOT_NAMES for t in tokens)


class Recognizer(Protocol):
    """What is measured: EntityRecognizer, or an engine alone behind the same call."""

    def recognize(self, text: str, language: str) -> list[Mention]: ...


class EngineAlone:
    """An entity engine's own output (spans trimmed like the recognizer's), no gazetteer."""

    def __init__(self, engine: EntityEngine) -> None:
        self.engine = engine

    def recognize(self, text: str, language: str) -> list[Mention]:
        """The engine's mentions, cleaned, overlaps left as they are."""
        return [c for m in self.engine.recognize(text) if (c := clean_mention(text, m))]


def predict(recognizer: Recognizer, doc: Doc) -> list[Span]:
    """The recognizer's mentions as token spans (tokens the character span touches)."""
    out = []
    for m in recognizer.recognize(doc.text, "en"):
        touched = [i for i, (a, b) in enumerate(doc.offsets) if a < m.end and m.start < b]
        if touched:
            out.append(Span(touched[0], touched[-1], m.type))
    return out


class Tally:
    """True positives, predictions and gold counts per type."""

    def __init__(self) -> None:
        self.tp = dict.fromkeys(LABELS, 0)
        self.pred = dict.fromkeys(LABELS, 0)
        self.gold = dict.fromkeys(LABELS, 0)

    def add(self, tp: Iterable[Span], pred: Iterable[Span], gold: Iterable[Span]) -> None:
        for name, spans in (("tp", tp), ("pred", pred), ("gold", gold)):
            counts = getattr(self, name)
            for span in spans:
                counts[span.type] += 1

    def scores(self, prefix: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for label in (*LABELS, None):
            keys = LABELS if label is None else (label,)
            tp = sum(self.tp[k] for k in keys)
            pred = sum(self.pred[k] for k in keys)
            gold = sum(self.gold[k] for k in keys)
            precision = tp / pred if pred else 0.0
            recall = tp / gold if gold else 0.0
            f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
            name = f"{prefix}.{label}" if label else prefix
            if label is None:
                out[f"{name}.precision"] = precision
                out[f"{name}.recall"] = recall
            out[f"{name}.f1"] = f1
        return out


def _overlap_matches(pred: Sequence[Span], gold: Iterable[Span]) -> list[Span]:
    free = list(gold)
    hits = []
    for p in pred:
        for g in free:
            if g.type == p.type and g.first <= p.last and p.first <= g.last:
                free.remove(g)
                hits.append(p)
                break
    return hits


def score(recognizer: Recognizer, docs: Sequence[Doc]) -> dict[str, float]:
    """Strict, named and named-overlap precision/recall/F1 of one system, overall and per type."""
    strict, named, overlap = Tally(), Tally(), Tally()
    for doc in docs:
        pred = predict(recognizer, doc)
        gold = set(doc.gold)
        strict.add([p for p in pred if p in gold], pred, gold)
        unnamed = {g for g in gold if _drop_determiner(g, doc.tokens) not in doc.named}
        judged = [p for p in pred if p not in unnamed]
        named.add([p for p in judged if p in doc.named], judged, doc.named)
        overlap.add(_overlap_matches(judged, doc.named), judged, doc.named)
    return {**strict.scores("strict"), **named.scores("named"), **overlap.scores("overlap")}


def evaluate(data_dir: Path) -> dict[str, float]:
    """The combined recognizer (default engine + gazetteer + rules) under the plain metric
    names; `engine.*` the English engine alone, `rules.*` gazetteer + rules alone, and
    `margin.*` combined minus engine alone (absent when no English engine is installed)."""
    folder = data_dir / "ner-en-gum" if (data_dir / "ner-en-gum").is_dir() else data_dir
    files = sorted((folder / "news").glob("*.tsv"))
    if not files:
        raise FileNotFoundError(f"no GUM .tsv files under {folder / 'news'}")
    docs = [read_doc(path) for path in files]
    gazetteer = Gazetteer.load()
    engine = default_engines().get("en")
    started = time.perf_counter()
    result = score(EntityRecognizer(gazetteer, {"en": engine} if engine else {}), docs)
    result["seconds"] = time.perf_counter() - started
    result["documents"] = float(len(docs))
    rules = score(EntityRecognizer(gazetteer, engines={}), docs)
    result.update({f"rules.{k}": v for k, v in rules.items() if not k.startswith("strict")})
    if engine is not None:
        alone = score(EngineAlone(engine), docs)
        result.update({f"engine.{k}": v for k, v in alone.items() if not k.startswith("strict")})
        for key in ("named.f1", "named.LOC.f1", "overlap.f1", "overlap.LOC.f1"):
            result[f"margin.{key}"] = result[key] - alone[key]
    engines = default_engines()
    for language in ("zh", "vi"):
        if (data_dir / f"ner-{language}" / "dev.jsonl").is_file():
            scores = evaluate_sentences(data_dir, language, engines.get(language))
            result.update({f"{language}.{k}": v for k, v in scores.items()})
    return result


JOINED = 50  # sentences per text in the `joined` scoring
_SENTENCE_END = tuple("。！？.!?…")


def read_sentences(path: Path) -> list[tuple[str, set[tuple[int, int, str]]]]:
    """Texts and gold (start, end, type) spans of a dev.jsonl file (end exclusive)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            spans = {(e["start"], e["end"], e["type"]) for e in row["entities"]}
            out.append((row["text"], {s for s in spans if s[2] in LABELS}))
    return out


def join_sentences(
    sentences: Sequence[tuple[str, set[tuple[int, int, str]]]], language: str
) -> tuple[str, set[tuple[int, int, str]]]:
    """One text of consecutive sentences, gold offsets shifted: a sentence that ends with a full
    stop runs on (no space in Chinese, one in Vietnamese), a fragment (a caption, a list item)
    gets its own line, as in an article."""
    text, gold = "", set()
    for sentence, spans in sentences:
        if text:
            text += ("" if language == "zh" else " ") if text.endswith(_SENTENCE_END) else "\n"
        gold |= {(a + len(text), b + len(text), t) for a, b, t in spans}
        text += sentence
    return text, gold


def score_spans(
    recognizer: Recognizer,
    texts: Sequence[tuple[str, set[tuple[int, int, str]]]],
    language: str,
    prefix: str,
) -> dict[str, float]:
    """Exact-match precision/recall/F1, overall and per type, of one system on `texts`."""
    tally = Tally()
    for text, gold in texts:
        pred = {
            Span(m.start, m.end - 1, m.type)
            for m in recognizer.recognize(text, language)
            if m.type in LABELS
        }
        truth = {Span(a, b - 1, t) for a, b, t in gold}
        tally.add(pred & truth, pred, truth)
    return tally.scores(prefix)


def evaluate_sentences(
    data_dir: Path, language: str, engine: EntityEngine | None
) -> dict[str, float]:
    """hoasen and its engine alone on ner-<language>/dev.jsonl, sentence by sentence and with
    JOINED sentences per text; `margin.*` is hoasen minus the engine, `gap` the joined F1 minus
    the sentence-by-sentence F1, and `chars_per_second` hoasen's speed on the joined texts."""
    sentences = read_sentences(data_dir / f"ner-{language}" / "dev.jsonl")
    joined = [
        join_sentences(sentences[i : i + JOINED], language)
        for i in range(0, len(sentences), JOINED)
    ]
    recognizer = EntityRecognizer(Gazetteer.load(), {language: engine} if engine else {})
    result: dict[str, float] = {"sentences": float(len(sentences))}
    systems: list[tuple[str, Recognizer]] = [("", recognizer)]
    if engine is not None:
        systems.append(("engine.", EngineAlone(engine)))
    for name, system in systems:
        result.update(
            score_spans(system, [(t, g) for t, g in sentences], language, f"{name}sentence")
        )
        started = time.perf_counter()
        result.update(score_spans(system, joined, language, f"{name}joined"))
        if not name:
            seconds = time.perf_counter() - started
            result["chars_per_second"] = sum(len(t) for t, _ in joined) / max(seconds, 1e-9)
    result["gap.f1"] = result["joined.f1"] - result["sentence.f1"]
    if engine is not None:
        for key in [
            k for k in result if k.startswith(("sentence.", "joined.")) and k.endswith("f1")
        ]:
            result[f"margin.{key}"] = result[key] - result[f"engine.{key}"]
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the metrics for the GUM news documents under --data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.data)
    except FileNotFoundError as exc:
        print(f"eval.ner: {exc}", file=sys.stderr)
        return 1
    for key, value in result.items():
        print(f"{key:32} {value:8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
