"""underthesea's Vietnamese NER (word segmentation, POS, chunking, NER CRFs) with its feature
extraction rewritten: the same models and the same feature strings, ~10x less Python.

underthesea 9.5's `ner()` builds every token's features by re-parsing each template with a
regex and re-building every column of the sentence (quadratic in its length); that was 3/4 of
the time Vietnamese analysis took. Here each template is parsed once and a sentence's columns
once. `tests/test_ner_taggers.py` checks the output equals `underthesea.ner`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

_TEMPLATE = re.compile(
    r"T\[(?P<index1>\-?\d+)(\,(?P<index2>\-?\d+))?\](\[(?P<column>.*)\])?(\.(?P<function>.*))?"
)

Row = tuple[str, ...]


def _istitle(word: str) -> bool:
    """underthesea's `text_istitle`: every space-separated part starts with a capital."""
    return bool(word) and all(part and part[0].istitle() for part in word.split(" "))


def _isallcap(word: str) -> bool:
    return all(letter.istitle() for letter in word)


_FUNCTIONS: dict[str, Callable[[str], object]] = {
    "lower": str.lower,
    "istitle": _istitle,
    "isallcap": _isallcap,
    "isdigit": str.isdigit,
}


class Template:
    """A CRF feature template ('T[-1,0][1]', 'T[0].lower', ...) parsed once."""

    def __init__(self, templates: Sequence[str]) -> None:
        self.parts: list[tuple[str, int, int | None, int, Callable[[str], object] | None]] = []
        for syntax in templates:
            match = _TEMPLATE.match(syntax)
            if match is None:
                raise ValueError(f"unknown feature template {syntax!r}")
            column = int(match.group("column")) if match.group("column") else 0
            index2 = match.group("index2")
            name = match.group("function")
            if name is not None and name not in _FUNCTIONS:
                raise ValueError(f"unsupported feature function {name!r}")
            function = _FUNCTIONS[name] if name else None
            self.parts.append(
                (
                    f"{syntax}=",
                    int(match.group("index1")),
                    int(index2) if index2 else None,
                    column,
                    function,
                )
            )

    def features(self, sentence: Sequence[Row]) -> list[list[str]]:
        """Per token, the feature strings underthesea's `word2features` makes. Built a template
        at a time over the whole sentence: each word's lower case, title test or bigram is
        made once, not once per template and token."""
        n = len(sentence)
        if n == 0:
            return []
        columns = list(zip(*sentence, strict=True))
        made: dict[tuple[int, int, Callable[[str], object] | None], list[str]] = {}
        per_part: list[list[str]] = []
        for prefix, index1, index2, column, function in self.parts:
            span = 0 if index2 is None else index2 - index1
            values = made.get((column, span, function))
            if values is None:
                words = columns[column]
                if span:
                    words = tuple(" ".join(words[k : k + span + 1]) for k in range(n - span))
                values = [str(function(w)) for w in words] if function else list(words)
                made[(column, span, function)] = values
            before = min(n, max(0, -index1))  # tokens whose window starts before the sentence
            valid_end = max(before, min(n, n - index1 - span))
            per_part.append(
                [prefix + "BOS"] * before
                + [prefix + v for v in values[before + index1 : valid_end + index1]]
                + [prefix + "EOS"] * (n - valid_end)
            )
        return [list(row) for row in zip(*per_part, strict=True)]


class VietnameseNer:
    """`underthesea.ner(sentence)` with the models underthesea loads (its own singletons)."""

    def __init__(self) -> None:
        from underthesea import word_tokenize
        from underthesea.pipeline.chunking.model_crf import CRFChunkingPredictor
        from underthesea.pipeline.ner.model_crf import CRFNERPredictor
        from underthesea.pipeline.pos_tag.model_crf import CRFPOSTagPredictor

        self._segment = word_tokenize
        steps: list[tuple[Any, Template]] = []
        for predictor in (CRFPOSTagPredictor, CRFChunkingPredictor, CRFNERPredictor):
            loaded = predictor.Instance()
            steps.append((loaded.model, Template(loaded.transformer.template)))
        self._steps = steps

    def ner(self, sentence: str) -> list[Row]:
        """(word, POS, chunk, NER tag) per word, as `underthesea.ner(sentence)`."""
        rows: list[Row] = [(word,) for word in self._segment(sentence)]
        if not rows:
            return []
        for model, template in self._steps:
            tags = model.tag(template.features([(*row, "X") for row in rows]))
            rows = [(*row, tag) for row, tag in zip(rows, tags, strict=True)]
        return rows
