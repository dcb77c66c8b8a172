"""Stories: articles about the same event, across sources and languages, grouped online.

Pure core (no database, no models): the caller embeds each article (analyze/embed.py), collects
its linked entity ids and numbers (`entity_keys`, `number_keys`) and calls
`StoryClusterer.assign`, which puts the article into the best story within the time window or
opens a new one. A candidate story's score adds up five kinds of evidence:

* meaning: cosine between the article's embedding and the story's centroid, both *centred per
  language* (the mean embedding of that language is subtracted). Multilingual embeddings carry
  a strong language and "news in general" component, under which a translation and a different
  event in the same place look alike; centring leaves what the text is about. Language means
  are estimated from the vectors the clusterer holds, shrunk toward the all-language mean
  while a language has few articles, so nothing is learned offline;
* numbers: the share of the article's figures, years and counts (language-independent digits)
  that the story also has, each weighted by how rare it is among the stories held (a year
  shared by every story says little, a death toll says a lot). Disjoint numbers count against;
* entities: the same for canonical gazetteer ids (Quảng Ninh = Quang Ninh = 广宁省);
* length: a translation is about as long as its original (estimated tokens agree within
  ~±40% across languages), while another outlet's report of the same event often is not; a
  penalty grows with the log-length distance beyond `length_tolerance`. Unknown length
  (`StoryItem.length` 0) is no evidence;
* time: a penalty growing with the distance to the story's first/last article.

A story is a candidate only when the centred cosine reaches `min_cosine`: shared numbers or
entities confirm a meaning match and cannot make one (a year or a toll is shared by unrelated
reports).

Deterministic: the same items in the same order give the same stories (ties go to the oldest
story). Every parameter is part of `StoryClusterer.version`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from hoasen.analyze.embed import from_blob, to_blob
from hoasen.analyze.figures import Figure
from hoasen.analyze.gazetteer import Mention

__all__ = [
    "Assignment",
    "Story",
    "StoryClusterer",
    "StoryItem",
    "entity_keys",
    "number_keys",
    "story_title",
]

_RUN = re.compile(r"\d+(?:[.,\u00a0\u202f' ]\d+)*")
_SEP = re.compile(r"[.,\u00a0\u202f' ]")
_FULLWIDTH = str.maketrans("０１２３４５６７８９，．", "0123456789,.")


# ---------------------------------------------------------------------------------- evidence


def _canon(value: float) -> str:
    """'1200', '10.28', '1.2e+06' → one spelling per value, whatever the source convention."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def number_keys(text: str, figures: Iterable[Figure] = ()) -> frozenset[str]:
    """Numbers in `text` as language-independent keys: digit runs ("1,200", "1.200" and
    "1 200" all give "1200"; "3,5" and "3.5" give "3.5") plus the normalised values of
    `figures` (so "1,2 triệu" and "1.2 million" meet at "1200000"). Single digits are left
    out: translations spell them as words as often as not."""
    keys: set[str] = set()
    for match in _RUN.finditer(text.translate(_FULLWIDTH)):
        groups = _SEP.split(match.group())
        if len(groups) > 1 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
            values = [float("".join(groups))]
        elif len(groups) == 2:
            values = [float(f"{groups[0]}.{groups[1]}")]
        else:
            values = [float(g) for g in groups if len(g) >= 2]
        keys.update(_canon(v) for v in values if v >= 10)
    keys.update(_canon(f.value) for f in figures if math.isfinite(f.value) and f.value >= 10)
    return frozenset(keys)


def entity_keys(mentions: Iterable[Mention]) -> frozenset[str]:
    """The canonical entity ids among `mentions` (unlinked mentions say nothing across
    languages and are left out)."""
    return frozenset(m.entity for m in mentions if m.entity)


# ---------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class StoryItem:
    """One article as the clusterer sees it: its embedding and its evidence."""

    article_id: int
    vector: np.ndarray
    when: datetime
    language: str | None = None
    entities: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    source: str | None = None
    title: str = ""
    length: float = 0.0  # estimated tokens of the full text (`embed.estimate_tokens`); 0: unknown


@dataclass(frozen=True)
class Assignment:
    """Where an item went: its story, the winning score, whether the story is new, and why."""

    story_key: str
    score: float
    created: bool
    reason: str
    evidence: Mapping[str, float] = field(default_factory=dict)


@dataclass
class Story:
    """A story's running state: vector sums per language (for centroids), evidence counts,
    members and title candidates. `to_record`/`from_record` persist it."""

    key: str
    first_seen: datetime
    last_seen: datetime
    sums: dict[str, np.ndarray] = field(default_factory=dict)
    languages: Counter[str] = field(default_factory=Counter)
    entities: Counter[str] = field(default_factory=Counter)
    numbers: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    members: list[int] = field(default_factory=list)
    titles: list[tuple[int, str, str, datetime]] = field(default_factory=list)
    log_length: float = 0.0  # sum of the members' log lengths (those with a known length)
    lengths: int = 0

    @property
    def count(self) -> int:
        """How many articles the story holds."""
        return len(self.members)

    @classmethod
    def start(cls, key: str, item: StoryItem) -> Story:
        """A new story holding only `item`."""
        story = cls(key=key, first_seen=_utc(item.when), last_seen=_utc(item.when))
        story.absorb(item)
        return story

    def absorb(self, item: StoryItem) -> None:
        """Add `item` to the story's members and evidence."""
        lang = item.language or ""
        vector = np.asarray(item.vector, dtype=np.float64).reshape(-1)
        if lang in self.sums:
            self.sums[lang] = self.sums[lang] + vector
        else:
            self.sums[lang] = vector.copy()
        self.languages[lang] += 1
        self.entities.update(item.entities)
        self.numbers.update(item.numbers)
        if item.source:
            self.sources[item.source] += 1
        self.members.append(item.article_id)
        if item.length > 0:
            self.log_length += math.log(item.length)
            self.lengths += 1
        when = _utc(item.when)
        self.first_seen, self.last_seen = min(self.first_seen, when), max(self.last_seen, when)
        if item.title.strip():
            self.titles.append((item.article_id, lang, item.title.strip(), when))

    def to_record(self) -> dict[str, Any]:
        """A JSON-able dict, except `sums`: language → little-endian float32 bytes."""
        return {
            "key": self.key,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "sums": {lang: to_blob(v) for lang, v in sorted(self.sums.items())},
            "dim": _dim(self.sums),
            "languages": dict(sorted(self.languages.items())),
            "entities": dict(sorted(self.entities.items())),
            "numbers": dict(sorted(self.numbers.items())),
            "sources": dict(sorted(self.sources.items())),
            "members": list(self.members),
            "log_length": self.log_length,
            "lengths": self.lengths,
            "titles": [
                [aid, lang, title, when.isoformat()] for aid, lang, title, when in self.titles
            ],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Story:
        """The story saved by `to_record` (vectors as float64 sums again)."""
        dim = int(record["dim"])
        return cls(
            key=str(record["key"]),
            first_seen=_utc(datetime.fromisoformat(record["first_seen"])),
            last_seen=_utc(datetime.fromisoformat(record["last_seen"])),
            sums={k: from_blob(v, dim).astype(np.float64) for k, v in record["sums"].items()},
            languages=Counter(record["languages"]),
            entities=Counter(record["entities"]),
            numbers=Counter(record["numbers"]),
            sources=Counter(record["sources"]),
            members=[int(m) for m in record["members"]],
            log_length=float(record.get("log_length", 0.0)),
            lengths=int(record.get("lengths", 0)),
            titles=[
                (int(a), str(lang), str(t), _utc(datetime.fromisoformat(w)))
                for a, lang, t, w in record["titles"]
            ],
        )


def _dim(sums: Mapping[str, np.ndarray]) -> int:
    return int(next(iter(sums.values())).shape[0]) if sums else 0


def _utc(when: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones converted to UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def story_title(
    story: Story,
    office_language: str = "vi",
    titles: Mapping[int, tuple[str | None, str]] | None = None,
) -> str:
    """The story's title in the office's language when a member has one, else in English,
    else the earliest member's title. `titles` (article id → (language, title)) overrides the
    candidates the story keeps; within a language the earliest article wins."""
    if titles is not None:
        order = {aid: n for n, aid in enumerate(story.members)}
        candidates = sorted(
            ((order[a], lang or "", t) for a, (lang, t) in titles.items() if a in order and t),
        )
    else:
        candidates = [(0, lang, t) for _, lang, t, _ in sorted(story.titles, key=lambda c: c[3])]
    for wanted in (office_language, "en"):
        for _, lang, title in candidates:
            if lang.split("-")[0].lower() == wanted:
                return title
    return candidates[0][2] if candidates else ""


# ---------------------------------------------------------------------------------- clusterer


class StoryClusterer:
    """Online story assignment: `add` loads stories, `assign` places one item at a time.

    Scores are computed for every story whose [first_seen, last_seen] lies within `window` of
    the item, in one vectorised pass; the best story at or above `threshold` wins.
    """

    def __init__(
        self,
        window: timedelta = timedelta(days=3),
        threshold: float = 0.35,
        number_weight: float = 0.35,
        entity_weight: float = 0.1,
        time_weight: float = 0.1,
        language_prior: float = 2.0,
        length_weight: float = 0.4,
        length_tolerance: float = 0.5,
        min_cosine: float = 0.15,
    ) -> None:
        self.window = window
        self.threshold = threshold
        self.number_weight = number_weight
        self.entity_weight = entity_weight
        self.time_weight = time_weight
        self.language_prior = language_prior
        self.length_weight = length_weight
        self.length_tolerance = length_tolerance
        self.min_cosine = min_cosine
        self.version = (
            f"stories-2 window={window.total_seconds():g}s threshold={threshold:g} "
            f"numbers={number_weight:g} entities={entity_weight:g} time={time_weight:g} "
            f"prior={language_prior:g} length={length_weight:g}/{length_tolerance:g} "
            f"min_cosine={min_cosine:g} centring=language"
        )
        self._stories: list[Story] = []
        self._index: dict[str, int] = {}
        self._raw = np.zeros((0, 0))
        self._counts = np.zeros((0, 0))  # stories x languages
        self._languages: dict[str, int] = {}
        self._lang_sums = np.zeros((0, 0))  # languages x dim: every vector held, per language
        self._lang_n = np.zeros(0)
        self._loglen = np.zeros(0)
        self._lenn = np.zeros(0)
        self._first: list[float] = []
        self._last: list[float] = []
        self._number_rows: dict[str, set[int]] = {}
        self._entity_rows: dict[str, set[int]] = {}

    # -- state

    @property
    def stories(self) -> list[Story]:
        """The stories held, oldest first (shared, not copies)."""
        return list(self._stories)

    def get(self, key: str) -> Story | None:
        """The story with this key, if held."""
        row = self._index.get(key)
        return None if row is None else self._stories[row]

    def add(self, story: Story) -> None:
        """Hold an existing story (e.g. loaded from the database) as a candidate."""
        if story.key in self._index:
            raise ValueError(f"story {story.key!r} is already held")
        row = len(self._stories)
        self._stories.append(story)
        self._index[story.key] = row
        self._first.append(story.first_seen.timestamp())
        self._last.append(story.last_seen.timestamp())
        self._grow(row + 1, _dim(story.sums))
        for lang, total in story.sums.items():
            self._count_vectors(lang, total, story.languages[lang])
        self._sync(row, story, story.numbers.keys(), story.entities.keys())

    def _grow(self, rows: int, dim: int) -> None:
        if self._raw.shape[1] == 0 and dim:
            self._raw = np.zeros((self._raw.shape[0], dim))
            self._lang_sums = np.zeros((self._lang_sums.shape[0], dim))
        elif dim and dim != self._raw.shape[1]:
            raise ValueError(f"vector size {dim} differs from the stories' {self._raw.shape[1]}")
        if rows > self._raw.shape[0]:
            extra = max(rows - self._raw.shape[0], self._raw.shape[0], 16)
            self._raw = np.vstack([self._raw, np.zeros((extra, self._raw.shape[1]))])
            self._counts = np.vstack([self._counts, np.zeros((extra, self._counts.shape[1]))])
            self._loglen = np.concatenate([self._loglen, np.zeros(extra)])
            self._lenn = np.concatenate([self._lenn, np.zeros(extra)])

    def _language(self, lang: str) -> int:
        """The column of `lang`, added on first sight."""
        if lang not in self._languages:
            self._languages[lang] = len(self._languages)
            self._counts = np.hstack([self._counts, np.zeros((self._counts.shape[0], 1))])
            self._lang_sums = np.vstack([self._lang_sums, np.zeros((1, self._raw.shape[1]))])
            self._lang_n = np.append(self._lang_n, 0.0)
        return self._languages[lang]

    def _count_vectors(self, lang: str, total: np.ndarray, n: int) -> None:
        column = self._language(lang)
        self._lang_sums[column] += total
        self._lang_n[column] += n

    def _sync(
        self, row: int, story: Story, numbers: Iterable[str], entities: Iterable[str]
    ) -> None:
        """Refresh one story's row of the vectorised state from the story itself."""
        for lang in story.languages:
            self._language(lang)
        if story.sums:
            self._raw[row] = sum(story.sums.values())
        for lang, n in story.languages.items():
            self._counts[row, self._languages[lang]] = n
        for key in numbers:
            self._number_rows.setdefault(key, set()).add(row)
        for key in entities:
            self._entity_rows.setdefault(key, set()).add(row)
        self._loglen[row] = story.log_length
        self._lenn[row] = story.lengths
        self._first[row] = story.first_seen.timestamp()
        self._last[row] = story.last_seen.timestamp()

    # -- assignment

    def assign(self, item: StoryItem) -> Assignment:
        """Put `item` into the best story within the window, or into a new story."""
        vector = np.asarray(item.vector, dtype=np.float64).reshape(-1)
        when = _utc(item.when).timestamp()
        span = self.window.total_seconds()
        rows = self._candidates(when, span)
        best, evidence, eligible = -1, {}, False
        if rows.size:
            means = self._language_means()
            lang_row = self._languages.get(item.language or "")
            centre = means[lang_row] if lang_row is not None else self._overall_mean()
            query = _unit(vector - centre)
            n = self._counts[rows].sum(axis=1)
            centroids = (self._raw[rows] - self._counts[rows] @ means) / n[:, None]
            cosine = _unit_rows(centroids) @ query
            numbers = self._overlap(item.numbers, self._number_rows, rows)
            # Recognisers differ by language (a gazetteer match in Russian, NER + rules in
            # Vietnamese), so missing shared entities is no evidence against: only a bonus.
            entities = np.maximum(self._overlap(item.entities, self._entity_rows, rows), 0.0)
            first, last = np.asarray(self._first)[rows], np.asarray(self._last)[rows]
            gap = np.maximum(0.0, np.maximum(first - when, when - last)) / max(span, 1.0)
            length = self._length_gap(item.length, rows)
            score = (
                cosine
                + self.number_weight * numbers
                + self.entity_weight * entities
                - self.length_weight * length
                - self.time_weight * gap
            )
            # Numbers and entities confirm a meaning match; they cannot stand in for one.
            meaning = cosine >= self.min_cosine
            top = int(np.argmax(np.where(meaning, score, -np.inf)))
            best, eligible = int(rows[top]), bool(meaning[top])
            evidence = {
                "score": float(score[top]),
                "cosine": float(cosine[top]),
                "numbers": float(numbers[top]),
                "entities": float(entities[top]),
                "length_gap": float(length[top]),
                "time_gap": float(gap[top]),
            }
        if eligible and evidence["score"] >= self.threshold:
            story = self._stories[best]
            new_numbers = [k for k in item.numbers if k not in story.numbers]
            new_entities = [k for k in item.entities if k not in story.entities]
            story.absorb(item)
            self._count_vectors(item.language or "", vector, 1)
            self._sync(best, story, new_numbers, new_entities)
            reason = _explain("joined", evidence)
            return Assignment(story.key, evidence["score"], False, reason, evidence)
        story = Story.start(self._new_key(item), item)
        self.add(story)
        if best < 0:
            reason = "new story: no story within the time window"
        elif not eligible:
            reason = _explain(f"new story: no story with cosine >= {self.min_cosine:g}", evidence)
        else:
            near = self._stories[best].key
            reason = _explain(f"new story: below {self.threshold:g} with nearest {near}", evidence)
        return Assignment(story.key, evidence.get("score", 0.0), True, reason, evidence)

    def _length_gap(self, length: float, rows: np.ndarray) -> np.ndarray:
        """Per candidate, how far the item's log length lies from the story's mean log length
        beyond `length_tolerance` (0 when either length is unknown)."""
        known = self._lenn[rows] > 0
        if length <= 0 or not known.any():
            return np.zeros(rows.size)
        mean = self._loglen[rows] / np.maximum(self._lenn[rows], 1.0)
        off = np.abs(math.log(length) - mean) - self.length_tolerance
        return np.where(known, np.maximum(off, 0.0), 0.0)

    def _new_key(self, item: StoryItem) -> str:
        key, n = f"s{item.article_id}", 1
        while key in self._index:
            n += 1
            key = f"s{item.article_id}-{n}"
        return key

    def _candidates(self, when: float, span: float) -> np.ndarray:
        if not self._stories:
            return np.zeros(0, dtype=np.int64)
        first, last = np.asarray(self._first), np.asarray(self._last)
        return np.flatnonzero((last >= when - span) & (first <= when + span))

    def _overall_mean(self) -> np.ndarray:
        """Mean of every vector held (shrunk toward zero by one pseudo-article)."""
        return self._lang_sums.sum(axis=0) / (self._lang_n.sum() + 1.0)

    def _language_means(self) -> np.ndarray:
        """Mean vector per language (rows in `_languages` order), shrunk toward the overall
        mean by `language_prior` pseudo-articles so rare languages are not over-centred."""
        n = self._lang_n[:, None]
        prior = self.language_prior
        return (self._lang_sums + prior * self._overall_mean()) / (n + prior)

    def _overlap(
        self, keys: frozenset[str], index: Mapping[str, set[int]], rows: np.ndarray
    ) -> np.ndarray:
        """Per candidate, 2 * J - 1 in [-1, 1], J being a rarity-weighted soft Jaccard of the
        item's keys and the story's (a story key counts by the share of members having it, so
        J is about the overlap with a typical member); 0 when either side has no keys."""
        out = np.zeros(rows.size)
        if not keys or not rows.size:
            return out
        kind = "numbers" if index is self._number_rows else "entities"
        held = len(self._stories)

        def weight(key: str) -> float:
            return math.log((held + 1) / (len(index.get(key, ())) + 1)) + 1.0

        position = {int(r): i for i, r in enumerate(rows)}
        touched: set[int] = set()
        for key in keys:
            touched.update(i for r in index.get(key, ()) if (i := position.get(r)) is not None)
        for i, row in enumerate(rows):
            counts: Counter[str] = getattr(self._stories[int(row)], kind)
            if not counts:
                continue
            if i not in touched:
                out[i] = -1.0
                continue
            members = self._stories[int(row)].count
            inter = union = 0.0
            for key in keys:
                w = weight(key)
                share = counts.get(key, 0) / members
                inter += w * share
                union += w
            union += sum(weight(k) * n / members for k, n in counts.items() if k not in keys)
            out[i] = 2.0 * inter / union - 1.0
        return out


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _explain(head: str, evidence: Mapping[str, float]) -> str:
    parts = ", ".join(f"{k} {v:+.3f}" for k, v in evidence.items())
    return f"{head} ({parts})"
