"""Topic classifier that learns from editors' labels (`hoasen topics train`), and its data files.

The model is one linear scorer per label over word 1-2-gram TF-IDF (sublinear tf): the average
of a linear SVM and an NB-SVM (Wang & Manning 2012: the SVM sees features scaled by each
label's log-count ratio), which beats a plain TF-IDF + SVM on news in every language we measured.
Both parts are linear, so they fold into one weight matrix; a saved model is a JSON manifest
plus plain arrays (no pickle), and predicting needs only numpy and scipy.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from hoasen.errors import UsageError
from hoasen.models import ItemError

FORMAT = "hoasen-topic-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "weights.npz"
# Features: words (any letters or digits) and the symbols that mark money and ratios in news.
_TOKEN = re.compile(r"\w+|[£$€¥₫%]")
# Han and kana have no spaces between words: each character is a token, so bigrams span two.
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
# Both SVMs use scikit-learn's default C: on news 0.25-2 differ by a text or two per fold, not
# enough to justify a tuned constant.
_C = 1.0
_NB_ALPHA = 1.0
_MAX_DF = 0.9
_MIN_DF_FROM = 50  # below this many documents every word counts, even if seen once
_MAX_ERRORS = 50


@dataclass(frozen=True)
class Labelled:
    """One training example: a text and its labels (one or more)."""

    text: str
    labels: tuple[str, ...]


# ---------------------------------------------------------------------------------- reading


def parse_labelled(item: object) -> Labelled | str:
    """A `Labelled` from a JSON object {"text", "label"}, or the reason it is not usable."""
    if not isinstance(item, Mapping):
        return "not a JSON object"
    text = item.get("text")
    if text is None:
        return 'no "text"'
    if not isinstance(text, str):
        return '"text" is not a string'
    if not text.strip():
        return '"text" is empty'
    if "label" not in item:
        return 'no "label"'
    raw = item["label"]
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list):
        return '"label" must be a string or a list of strings'
    if not all(isinstance(value, str) for value in values):
        return '"label" list holds something other than strings'
    labels = tuple(dict.fromkeys(value.strip() for value in values if value.strip()))
    if not labels:
        return '"label" is empty'
    return Labelled(text, labels)


def read_labelled(path: Path) -> tuple[list[Labelled], list[ItemError]]:
    """Labelled examples from a JSON-lines file, and for each unusable line its place
    ("PATH:LINE") and the reason; blank lines are skipped. UsageError if the file is unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read labelled data {path}: {exc.strerror or exc}") from exc
    records: list[Labelled] = []
    errors: list[ItemError] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            errors.append(ItemError(f"{path}:{number}", "not UTF-8 text"))
            continue
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(ItemError(f"{path}:{number}", f"not JSON ({exc.msg})"))
            continue
        parsed = parse_labelled(item)
        if isinstance(parsed, str):
            errors.append(ItemError(f"{path}:{number}", parsed))
        else:
            records.append(parsed)
    return records, errors


# ---------------------------------------------------------------------------------- features


def tokens(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams of `text` (NFC; each Han or kana character a word)."""
    normal = _CJK.sub(r" \1 ", unicodedata.normalize("NFC", text).lower())
    words = _TOKEN.findall(normal)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _counts(texts: Sequence[str], vocabulary: Mapping[str, int]) -> sp.csr_matrix:
    """Term counts of `texts` over a fixed vocabulary (unknown terms dropped)."""
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for text in texts:
        row: dict[int, int] = {}
        for token in tokens(text):
            column = vocabulary.get(token)
            if column is not None:
                row[column] = row.get(column, 0) + 1
        indices.extend(row)
        values.extend(row.values())
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
        shape=(len(texts), len(vocabulary)),
    )


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf (1 + log count) times idf, rows scaled to unit length."""
    weighted = counts.astype(np.float64, copy=True)
    weighted.data = 1.0 + np.log(weighted.data)
    weighted = sp.csr_matrix(weighted @ sp.diags(idf))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)


def _vocabulary(texts: Sequence[str]) -> tuple[dict[str, int], np.ndarray]:
    """Terms kept for training (document frequency between the floor and _MAX_DF) and their idf."""
    doc_freq: dict[str, int] = {}
    for text in texts:
        for token in set(tokens(text)):
            doc_freq[token] = doc_freq.get(token, 0) + 1
    n = len(texts)
    min_df = 2 if n >= _MIN_DF_FROM else 1
    max_df = max(min_df, math.floor(_MAX_DF * n)) if n >= _MIN_DF_FROM else n
    kept = sorted(term for term, df in doc_freq.items() if min_df <= df <= max_df)
    if not kept:
        raise UsageError("the labelled texts have no words in common to learn from")
    vocabulary = {term: index for index, term in enumerate(kept)}
    df = np.array([doc_freq[term] for term in kept], dtype=np.float64)
    return vocabulary, np.log((1.0 + n) / (1.0 + df)) + 1.0


# ---------------------------------------------------------------------------------- model


class TrainedTopicModel:
    """A multi-label topic classifier learnt from labelled texts; build with `train` or `load`."""

    name = "trained"

    def __init__(
        self,
        labels: Sequence[str],
        vocabulary: Mapping[str, int],
        idf: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
        manifest: Mapping[str, Any],
    ) -> None:
        self.labels: list[str] = list(labels)
        self._vocabulary = dict(vocabulary)
        self._idf = idf
        self._weights = weights
        self._bias = bias
        self.manifest: dict[str, Any] = dict(manifest)
        self.version = f"trained-{FORMAT_VERSION}+{self.manifest['model_id']}"

    @classmethod
    def train(cls, records: Iterable[Labelled | Mapping[str, Any]]) -> TrainedTopicModel:
        """Learn from labelled texts (`Labelled` or {"text", "label"} mappings); every label needs
        examples with and without it. Raises UsageError with the reason when it cannot learn."""
        from sklearn import __version__ as sklearn_version
        from sklearn.svm import LinearSVC

        examples: list[Labelled] = []
        for number, record in enumerate(records, start=1):
            parsed = record if isinstance(record, Labelled) else parse_labelled(record)
            if isinstance(parsed, str):
                raise UsageError(f"labelled record {number}: {parsed}")
            examples.append(parsed)
        labels = sorted({label for example in examples for label in example.labels})
        if len(examples) < 2 or not labels:
            raise UsageError("need at least two labelled texts to train a topic model")
        if len(labels) < 2 and all(len(e.labels) == 1 for e in examples):
            raise UsageError(f"every text has the label {labels[0]!r}: need at least two labels")
        texts = [example.text for example in examples]
        vocabulary, idf = _vocabulary(texts)
        features = _tfidf(_counts(texts, vocabulary), idf)
        present = (features > 0).astype(np.float64)
        weights = np.zeros((len(labels), len(vocabulary)), dtype=np.float64)
        bias = np.zeros(len(labels), dtype=np.float64)
        for row, label in enumerate(labels):
            target = np.array([label in example.labels for example in examples], dtype=np.int64)
            if target.all():
                raise UsageError(f"every text has the label {label!r}: nothing to tell it from")
            svm = LinearSVC(C=_C, random_state=0).fit(features, target)
            ratio = _log_count_ratio(present, target.astype(bool))
            nbsvm = LinearSVC(C=_C, random_state=0).fit(features @ sp.diags(ratio), target)
            weights[row] = 0.5 * (svm.coef_.ravel() + nbsvm.coef_.ravel() * ratio)
            bias[row] = 0.5 * (svm.intercept_[0] + nbsvm.intercept_[0])
        counts = {label: sum(label in e.labels for e in examples) for label in labels}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "labels": labels,
            "label_counts": counts,
            "multi_label": any(len(e.labels) > 1 for e in examples),
            "training_size": len(examples),
            "features": len(vocabulary),
            "sklearn_version": sklearn_version,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "model_id": _digest(labels, weights, bias),
        }
        return cls(labels, vocabulary, idf, weights.astype(np.float32), bias, manifest)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Decision values, shape (len(texts), len(labels)); above 0 means the label applies."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float64)
        features = _tfidf(_counts(texts, self._vocabulary), self._idf)
        return np.asarray(features @ self._weights.T.astype(np.float64)) + self._bias

    def predict(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        embeddings: np.ndarray | None = None,
    ) -> list[list[tuple[str, float]]]:
        """Labels per text, best first, with a confidence in (0, 1) (0.5 at the decision boundary).
        Each text gets every label scored above the boundary, or else its single best label, since
        every training text had one. Languages and embeddings are not needed and ignored."""
        decisions = self.scores(texts)
        results: list[list[tuple[str, float]]] = []
        for row in decisions:
            order = np.argsort(-row, kind="stable")
            chosen = [int(i) for i in order if row[i] > 0] or [int(order[0])]
            results.append([(self.labels[i], _confidence(float(row[i]))) for i in chosen])
        return results

    def save(self, directory: Path) -> None:
        """Write the model to `directory` (created if needed): manifest.json and weights.npz."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            terms = np.array(sorted(self._vocabulary, key=self._vocabulary.__getitem__), dtype=str)
            with (directory / ARRAYS).open("wb") as handle:
                np.savez_compressed(
                    handle, terms=terms, idf=self._idf, weights=self._weights, bias=self._bias
                )
            text = json.dumps(self.manifest, ensure_ascii=False, indent=2, sort_keys=True)
            (directory / MANIFEST).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the topic model to {directory}: {exc}") from exc

    @classmethod
    def load(cls, directory: Path) -> TrainedTopicModel:
        """The model saved in `directory`; UsageError when it is missing, damaged or was written
        by an incompatible version of hoasen."""
        if not directory.is_dir():
            raise UsageError(
                f"no topic model at {directory} (train one with `hoasen topics train`)"
            )
        manifest = _read_manifest(directory)
        try:
            with np.load(directory / ARRAYS, allow_pickle=False) as arrays:
                terms, idf = arrays["terms"], arrays["idf"]
                weights, bias = arrays["weights"], arrays["bias"]
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise UsageError(f"topic model {directory}: {ARRAYS} is missing or damaged") from exc
        labels = manifest["labels"]
        if (
            weights.ndim != 2
            or weights.shape != (len(labels), len(terms))
            or idf.shape != (len(terms),)
            or bias.shape != (len(labels),)
        ):
            raise UsageError(f"topic model {directory}: {ARRAYS} does not match its manifest")
        vocabulary = {str(term): index for index, term in enumerate(terms)}
        return cls(labels, vocabulary, idf.astype(np.float64), weights, bias, manifest)


def _read_manifest(directory: Path) -> dict[str, Any]:
    """The checked manifest of a saved model."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"{directory} is not a topic model (no {MANIFEST})") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"topic model {directory}: {MANIFEST} is damaged ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UsageError(f"{directory} is not a hoasen topic model ({MANIFEST} is not ours)")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise UsageError(
            f"topic model {directory} has format version {version}; this hoasen reads version "
            f"{FORMAT_VERSION}: train it again with `hoasen topics train`"
        )
    labels = manifest.get("labels")
    if (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(label, str) for label in labels)
        or not isinstance(manifest.get("model_id"), str)
    ):
        raise UsageError(f"topic model {directory}: {MANIFEST} lacks its labels or model id")
    return manifest


def _log_count_ratio(present: sp.csr_matrix, positive: np.ndarray) -> np.ndarray:
    """NB log-count ratio per feature: how much more often it occurs with the label than without."""
    with_label = _NB_ALPHA + np.asarray(present[positive].sum(axis=0)).ravel()
    without = _NB_ALPHA + np.asarray(present[~positive].sum(axis=0)).ravel()
    ratio: np.ndarray = np.log((with_label / with_label.sum()) / (without / without.sum()))
    return ratio


def _confidence(decision: float) -> float:
    """A decision value squashed into (0, 1): 0.5 at the boundary, ~0.95 at the SVM margin."""
    return round(1.0 / (1.0 + math.exp(-3.0 * decision)), 4)


def _digest(labels: Sequence[str], weights: np.ndarray, bias: np.ndarray) -> str:
    """A short content hash that names one trained model."""
    digest = hashlib.sha256("\x1f".join(labels).encode("utf-8"))
    digest.update(weights.astype(np.float32).tobytes())
    digest.update(bias.astype(np.float32).tobytes())
    return digest.hexdigest()[:12]
