"""Topics of articles: the editable taxonomy, and models that give each text zero or more topics.

Two models share one interface (`TopicModel`): `SeedTopicModel` needs no labelled data (keyword
seeds from the taxonomy, plus similarity to the topics' descriptions when article embeddings are
at hand) and `TrainedTopicModel` learns from editors' labels (`hoasen topics train`).
`load_topic_model` picks the trained one when a model directory is given.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hoasen.analyze.gazetteer import fold
from hoasen.analyze.topic_models import Labelled, TrainedTopicModel, read_labelled
from hoasen.errors import UsageError

__all__ = [
    "Embedder",
    "Labelled",
    "SeedTopicModel",
    "Taxonomy",
    "Topic",
    "TopicModel",
    "TrainedTopicModel",
    "load_topic_model",
    "read_labelled",
]

TAXONOMY_VERSION = 1
SEED_VERSION = 1
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
_WORD = re.compile(r"\w+")
_MAX_ERRORS = 20
# A keyword seen once in a headline-sized text is good evidence; in a long article it takes a
# few (the length scale grows by one for every this many words).
_WORDS_PER_HIT = 150
_MAX_COUNT_PER_KEYWORD = 3
# Sharpness of the softmax over topic similarities: E5 cosines of related texts differ by a few
# hundredths, so 0.02 makes a lead of 0.05 over the runner-up worth ~12x.
_TEMPERATURE = 0.02


@dataclass(frozen=True)
class Topic:
    """One topic: a stable id, display names per language, a description and keyword seeds."""

    id: str
    names: Mapping[str, str]
    description: str
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def name(self, language: str = "en") -> str:
        """The display name in `language`, else English, else any, else the id."""
        return (
            self.names.get(language)
            or self.names.get("en")
            or next(iter(self.names.values()), self.id)
        )


@dataclass(frozen=True)
class Taxonomy:
    """The topics to assign, in their file's order; build with `Taxonomy.load()`."""

    topics: tuple[Topic, ...]
    source: str
    fingerprint: str

    @classmethod
    def load(cls, path: Path | None = None) -> Taxonomy:
        """The taxonomy in `path` (TOML), or the bundled default; UsageError lists what is wrong
        with a bad file."""
        if path is None:
            bundled = resources.files("hoasen") / "data" / "topics" / "taxonomy.toml"
            return cls.from_text(bundled.read_text(encoding="utf-8"), "default taxonomy")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise UsageError(f"taxonomy file {path} does not exist") from exc
        except UnicodeDecodeError as exc:
            raise UsageError(f"taxonomy file {path} is not UTF-8 text") from exc
        except OSError as exc:
            raise UsageError(f"cannot read taxonomy file {path}: {exc.strerror or exc}") from exc
        return cls.from_text(text, f"taxonomy file {path}")

    @classmethod
    def from_text(cls, text: str, label: str = "taxonomy") -> Taxonomy:
        """Parse TOML text; `label` names the source in error messages."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{label} is not valid TOML: {exc}") from exc
        errors: list[str] = []
        topics = _parse_topics(document, errors)
        if errors:
            shown = errors[:_MAX_ERRORS]
            more = (
                f"\n  ... and {len(errors) - _MAX_ERRORS} more" if len(errors) > _MAX_ERRORS else ""
            )
            raise UsageError(f"{label} has errors:\n  " + "\n  ".join(shown) + more)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        return cls(tuple(topics), label, digest)

    @property
    def ids(self) -> list[str]:
        """Topic ids in order."""
        return [topic.id for topic in self.topics]

    def get(self, topic_id: str) -> Topic | None:
        """The topic with this id, if any."""
        return next((topic for topic in self.topics if topic.id == topic_id), None)

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)

    def __len__(self) -> int:
        return len(self.topics)


def _parse_topics(document: Mapping[str, Any], errors: list[str]) -> list[Topic]:
    """Topics of a parsed taxonomy document; problems are appended to `errors`."""
    version = document.get("version", TAXONOMY_VERSION)
    if version != TAXONOMY_VERSION:
        errors.append(
            f"version {version!r} is not supported (this hoasen reads {TAXONOMY_VERSION})"
        )
    unknown = sorted(set(document) - {"version", "topic"})
    if unknown:
        errors.append(
            f"unknown top-level key(s) {', '.join(unknown)} (expected version, [[topic]])"
        )
    entries = document.get("topic")
    if not isinstance(entries, list) or not entries:
        errors.append("no topics: add at least one [[topic]] table")
        return []
    topics: list[Topic] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"topic {number}"
        if not isinstance(entry, dict):
            errors.append(f"{where}: must be a table")
            continue
        topic_id = entry.get("id")
        if not isinstance(topic_id, str) or not _ID.match(topic_id):
            errors.append(
                f"{where}: id {topic_id!r} must be lower-case letters, digits and '-' "
                "(e.g. 'tourism')"
            )
            continue
        where = f"topic {number} ({topic_id})"
        if topic_id in seen:
            errors.append(f"{where}: the id is used twice")
        seen.add(topic_id)
        extra = sorted(set(entry) - {"id", "names", "description", "keywords"})
        if extra:
            errors.append(f"{where}: unknown key(s) {', '.join(extra)}")
        description = entry.get("description", "")
        if not isinstance(description, str) or not description.strip():
            errors.append(f"{where}: needs a one-line 'description'")
            description = ""
        names = _language_map(entry.get("names"), f"{where}: names", errors, str)
        if not names:
            errors.append(f'{where}: needs [names] with at least one language (e.g. en = "...")')
        keywords = _language_map(entry.get("keywords", {}), f"{where}: keywords", errors, list)
        topics.append(
            Topic(topic_id, names, description.strip(), {k: tuple(v) for k, v in keywords.items()})
        )
    return topics


def _language_map(value: object, where: str, errors: list[str], kind: type) -> dict[str, Any]:
    """A {language code: name or list of keywords} table, checked; bad entries are reported."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"{where} must be a table of language codes")
        return {}
    result: dict[str, Any] = {}
    for language, item in value.items():
        if not _LANG.match(language):
            errors.append(f"{where}: {language!r} is not a language code (use 'vi', 'en', 'zh'...)")
        elif kind is str and (not isinstance(item, str) or not item.strip()):
            errors.append(f"{where}.{language} must be a non-empty string")
        elif kind is list and (
            not isinstance(item, list)
            or not all(isinstance(word, str) and word.strip(" *") for word in item)
        ):
            errors.append(f"{where}.{language} must be a list of non-empty strings")
        else:
            result[language] = item.strip() if isinstance(item, str) else [w.strip() for w in item]
    return result


# ---------------------------------------------------------------------------------- models


@runtime_checkable
class TopicModel(Protocol):
    """Gives each text zero or more (topic label, score in 0..1), best first."""

    name: str
    version: str
    labels: list[str]

    def predict(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        embeddings: np.ndarray | None = None,
    ) -> list[list[tuple[str, float]]]: ...


class Embedder(Protocol):
    """Anything that embeds texts as unit vectors, shape (len(texts), dim), e.g. an E5 wrapper."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class SeedTopicModel:
    """Topics without labelled data: taxonomy keywords found in the text and, when embeddings of
    the texts are given and the model has an embedder, their similarity to each topic's names,
    description and keywords. Scores are combined as independent evidence (noisy-or); a topic
    is assigned at `threshold` and when it is at least `relative` of the best topic's score."""

    name = "seed"

    def __init__(
        self,
        taxonomy: Taxonomy,
        embedder: Embedder | None = None,
        *,
        threshold: float = 0.5,
        relative: float = 0.5,
    ) -> None:
        self.taxonomy = taxonomy
        self.labels: list[str] = taxonomy.ids
        self.version = f"seed-{SEED_VERSION}+{taxonomy.fingerprint}"
        self.threshold = threshold
        self.relative = relative
        self._embedder = embedder
        self._topic_vectors: np.ndarray | None = None
        self._patterns = _keyword_patterns(taxonomy)

    @property
    def uses_embeddings(self) -> bool:
        """Whether `predict` takes `embeddings` into account (only with an embedder)."""
        return self._embedder is not None

    def keyword_scores(self, text: str, language: str | None = None) -> np.ndarray:
        """Keyword evidence per topic in [0, 1): 1 - exp(-hits / length scale)."""
        folded = fold(text)
        words = len(_WORD.findall(_UNSPACED.sub(" ", folded))) + len(_UNSPACED.findall(folded)) // 2
        scale = 1.0 + words / _WORDS_PER_HIT
        patterns = self._patterns.get(_base_language(language) or "", self._patterns[""])
        scores = np.zeros(len(self.labels), dtype=np.float64)
        for index, pattern in enumerate(patterns):
            if pattern is None:
                continue
            found = Counter(pattern.findall(folded))  # no capturing groups: whole matches
            hits = sum(min(count, _MAX_COUNT_PER_KEYWORD) for count in found.values())
            scores[index] = 1.0 - math.exp(-hits / scale)
        return scores

    def embedding_scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Per text, a softmax over the topics of its cosine similarity to each topic."""
        if self._embedder is None:
            raise UsageError("this seed topic model has no embedder to compare embeddings with")
        if self._topic_vectors is None:
            self._topic_vectors = self._embed_topics(self._embedder)
        similarity = np.asarray(embeddings, dtype=np.float64) @ self._topic_vectors.T
        shifted = (similarity - similarity.max(axis=1, keepdims=True)) / _TEMPERATURE
        weights = np.exp(shifted)
        scores: np.ndarray = weights / weights.sum(axis=1, keepdims=True)
        return scores

    def predict(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        embeddings: np.ndarray | None = None,
    ) -> list[list[tuple[str, float]]]:
        """Topics per text, best first (possibly none). `languages` picks each text's keyword
        list (all languages when unknown); `embeddings` are used only with an embedder."""
        if languages is not None and len(languages) != len(texts):
            raise ValueError("languages must have one entry per text")
        if embeddings is not None and len(embeddings) != len(texts):
            raise ValueError("embeddings must have one row per text")
        scores = np.array(
            [
                self.keyword_scores(text, languages[i] if languages is not None else None)
                for i, text in enumerate(texts)
            ]
        ).reshape(len(texts), len(self.labels))
        if embeddings is not None and self._embedder is not None and len(texts):
            scores = 1.0 - (1.0 - scores) * (1.0 - self.embedding_scores(embeddings))
        results: list[list[tuple[str, float]]] = []
        for row in scores:
            cutoff = max(self.threshold, self.relative * float(row.max()))
            order = np.argsort(-row, kind="stable")
            results.append(
                [(self.labels[i], round(float(row[i]), 4)) for i in order if row[i] >= cutoff]
            )
        return results

    def _embed_topics(self, embedder: Embedder) -> np.ndarray:
        """One unit vector per topic: the mean of its description and, per language, its name
        with its first keywords (so texts in any language can come close to it)."""
        texts: list[str] = []
        owners: list[int] = []
        for index, topic in enumerate(self.taxonomy):
            texts.append(f"{topic.name('en')}: {topic.description}")
            for language, name in topic.names.items():
                words = topic.keywords.get(language, ())[:12]
                seeds = ", ".join(word.rstrip("*") for word in words)
                texts.append(f"{name}: {seeds}" if seeds else name)
            owners.extend([index] * (len(texts) - len(owners)))
        embedded = np.asarray(embedder.embed(texts), dtype=np.float64)
        vectors = []
        for index in range(len(self.taxonomy)):
            mean = embedded[np.asarray(owners) == index].mean(axis=0)
            vectors.append(mean / (np.linalg.norm(mean) or 1.0))
        return np.vstack(vectors)


def _keyword_patterns(taxonomy: Taxonomy) -> dict[str, list[re.Pattern[str] | None]]:
    """Per language (and "" for all languages together), one regex per topic over folded text."""
    languages = sorted({language for topic in taxonomy for language in topic.keywords})
    result: dict[str, list[re.Pattern[str] | None]] = {}
    for language in [*languages, ""]:
        patterns: list[re.Pattern[str] | None] = []
        for topic in taxonomy:
            words = (
                topic.keywords.get(language, ())
                if language
                else tuple(w for ws in topic.keywords.values() for w in ws)
            )
            patterns.append(_compile(words))
        result[language] = patterns
    return result


def _compile(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """One alternation, longest keyword first: spaced words on word boundaries ('*' = any
    ending), CJK as substrings. Consecutive spaced words share one word-start test, so the
    regex leaves a position inside a word at once, not after trying every keyword there (the
    same matches, several times faster)."""
    parts: dict[str, str] = {}
    for keyword in keywords:
        prefix = keyword.endswith("*")
        key = fold(keyword.rstrip("*"))
        if not key:
            continue
        escaped = re.escape(key).replace(r"\ ", " ")
        if _UNSPACED.search(key):
            parts[key] = escaped
        else:
            ending = r"\w*" if prefix else ""
            parts[key] = f"{escaped}{ending}(?!\\w)"
    if not parts:
        return None
    branches: list[str] = []
    run: list[str] = []
    for key in sorted(parts, key=len, reverse=True):
        if _UNSPACED.search(key):
            if run:
                branches.append(r"(?<!\w)(?:" + "|".join(run) + ")")
                run = []
            branches.append(parts[key])
        else:
            run.append(parts[key])
    if run:
        branches.append(r"(?<!\w)(?:" + "|".join(run) + ")")
    return re.compile("|".join(branches))


def _base_language(language: str | None) -> str | None:
    """'zh-Hans' -> 'zh', 'VI' -> 'vi'; None stays None."""
    if not language:
        return None
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0] or None


def load_topic_model(
    model_dir: Path | None, taxonomy: Taxonomy, embedder: Embedder | None = None
) -> TopicModel:
    """The model trained into `model_dir` when given (UsageError if it is not a usable model),
    else the taxonomy's seed model (with `embedder` for embedding similarity)."""
    if model_dir is not None:
        return TrainedTopicModel.load(model_dir)
    return SeedTopicModel(taxonomy, embedder)
