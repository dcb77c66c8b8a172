"""jiagu's Chinese NER tagger (a greedy averaged perceptron) with its feature building and
scoring written out: the same model, the same tags, ~2x faster.

jiagu 0.2.3 builds each word's 14 features through a closure into a defaultdict and scores them
through another; on long Chinese pages that was most of the entity stage's time. Here the
feature strings are made directly and scores are summed in the same order (so the floating-point
sums, and the tags, are exactly jiagu's). tests/test_ner_taggers.py compares it with jiagu.ner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class JiaguTagger:
    """`jiagu.ner(words)` over jiagu's own loaded NER model."""

    def __init__(self, package: Any) -> None:
        package.ner(["中国"])  # jiagu loads its NER model on first use
        model = package.any.ner_model.model
        self._weights: dict[str, dict[str, float]] = model.weights
        self._classes = sorted(model.classes)

    def ner(self, words: Sequence[str]) -> list[str]:
        """One BIO tag per word, as `jiagu.ner(words)` gives (non-empty words)."""
        get = self._weights.get
        classes = self._classes
        context = ["-START-", "-START2-", *words, "-END-", "-END2-"]
        prev, prev2 = "-START-", "-START2-"
        tags: list[str] = []
        for i, word in enumerate(words):
            here, before, after = context[i + 2], context[i + 1], context[i + 3]
            features = (
                "bias",
                "i suffix " + word[-3:],
                "i pref1 " + word[0],
                "i-1 tag " + prev,
                "i-2 tag " + prev2,
                f"i tag+i-2 tag {prev} {prev2}",
                "i word " + here,
                f"i-1 tag+i word {prev} {here}",
                "i-1 word " + before,
                "i-1 suffix " + before[-3:],
                "i-2 word " + context[i],
                "i+1 word " + after,
                "i+1 suffix " + after[-3:],
                "i+2 word " + context[i + 4],
            )
            scores: dict[str, float] = {}
            for feature in features:
                weights = get(feature)
                if weights:
                    for label, weight in weights.items():
                        scores[label] = scores.get(label, 0.0) + weight
            if len(scores) == len(classes):  # (score, label) order, as jiagu's max
                tag = max(zip(scores.values(), scores, strict=True))[1]
            else:
                tag = max(classes, key=lambda label: (scores.get(label, 0.0), label))
            tags.append(tag)
            prev2, prev = prev, tag
        return tags
