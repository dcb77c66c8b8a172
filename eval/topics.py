"""Topic classifier quality on labelled news (../shared/data/topics-vi and topics-en).

For each corpus (VNTC, Vietnamese, 10 topics; BBC News, English, 5 topics) we drop exact
duplicate texts (BBC has ~100), then run seeded stratified 5-fold cross-validation: each fold
trains our `TrainedTopicModel` and the issue's baseline, `make_pipeline(TfidfVectorizer(),
LinearSVC())` with scikit-learn defaults, on the same training part and scores both on the
held-out part by macro-F1 of the single best label (both corpora have one label per text).
Reported per corpus: ours, baseline and margin (ours - baseline), each averaged over the folds,
and the smallest per-fold margin (worst_margin); the per-fold margins and error counts are printed
(on BBC one text is worth about 0.005 of macro-F1 in a fold, so margins move in such steps).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hoasen.analyze.topic_models import Labelled, TrainedTopicModel

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {"vi": "topics-vi/vntc_dev.jsonl", "en": "topics-en/bbc_dev.jsonl"}
FOLDS = 5
SEED = 20240601


def read_corpus(path: Path) -> tuple[list[str], list[str]]:
    """Texts (the title first when the corpus keeps it apart) and labels, exact duplicates
    (after NFC and whitespace folding) kept once so no text is in both train and test."""
    texts: list[str] = []
    labels: list[str] = []
    seen: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        text = unicodedata.normalize("NFC", record["text"])
        if record.get("title"):
            text = f"{record['title']}\n\n{text}"
        key = " ".join(text.split())
        if key in seen:
            continue
        seen.add(key)
        texts.append(text)
        labels.append(record["label"])
    return texts, labels


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-averaged F1 over the gold labels."""
    from sklearn.metrics import f1_score

    return float(f1_score(list(gold), list(predicted), average="macro"))


def compare(texts: list[str], labels: list[str]) -> tuple[dict[str, float], list[str]]:
    """Cross-validated macro-F1 of our model and of the baseline on one corpus (means over the
    folds, and the smallest margin of any one fold), and a line per fold for the summary."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    ours: list[float] = []
    baseline: list[float] = []
    lines: list[str] = []
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train, test in folds.split(np.zeros(len(labels)), labels):
        train_texts = [texts[i] for i in train]
        train_labels = [labels[i] for i in train]
        test_texts = [texts[i] for i in test]
        gold = [labels[i] for i in test]
        model = TrainedTopicModel.train(
            Labelled(text, (label,)) for text, label in zip(train_texts, train_labels, strict=True)
        )
        predicted = [found[0][0] for found in model.predict(test_texts)]
        ours.append(macro_f1(gold, predicted))
        base = make_pipeline(TfidfVectorizer(), LinearSVC()).fit(train_texts, train_labels)
        base_predicted = list(base.predict(test_texts))
        baseline.append(macro_f1(gold, base_predicted))
        lines.append(
            f"fold {len(ours)}: margin {ours[-1] - baseline[-1]:+.4f} "
            f"(errors: ours {_errors(gold, predicted)}, baseline {_errors(gold, base_predicted)} "
            f"of {len(gold)})"
        )
    margins = np.array(ours) - np.array(baseline)
    return {
        "ours_f1": float(np.mean(ours)),
        "baseline_f1": float(np.mean(baseline)),
        "margin": float(np.mean(margins)),
        "worst_margin": float(np.min(margins)),
    }, lines


def _errors(gold: Sequence[str], predicted: Sequence[str]) -> int:
    """How many texts got a wrong label."""
    return sum(g != p for g, p in zip(gold, predicted, strict=True))


def evaluate(data: Path) -> dict[str, float]:
    """Per corpus: our macro-F1, the baseline's, the mean margin and the worst fold's margin."""
    metrics: dict[str, float] = {}
    for language, relative in CORPORA.items():
        path = data / relative
        started = time.perf_counter()
        texts, labels = read_corpus(path)
        result, lines = compare(texts, labels)
        print(
            f"   {language}: {path.name} {len(texts)} texts, {len(set(labels))} labels, "
            f"{FOLDS}-fold: ours {result['ours_f1']:.4f} baseline {result['baseline_f1']:.4f} "
            f"margin {result['margin']:+.4f} (worst fold {result['worst_margin']:+.4f}) "
            f"[{time.perf_counter() - started:.0f} s]",
            flush=True,
        )
        for line in lines:
            print(f"      {line}", flush=True)
        for key, value in result.items():
            metrics[f"{language}.{key}"] = value
    return metrics


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    arguments = parser.parse_args()
    print(json.dumps(evaluate(arguments.data), indent=2))
    sys.exit(0)
