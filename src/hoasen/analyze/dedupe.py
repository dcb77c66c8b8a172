"""Duplicate detection: exact (normalized-content hash) and near (MinHash + LSH in the database).

* Exact: SHA-256 of title + text after NFKC, casefold, punctuation removed, whitespace
  collapsed, so re-typed quotes, case and spacing do not hide a copy.
* Near: the same story lightly edited or republished with other boilerplate. Each article gets
  a MinHash signature of its shingles (word n-grams; character n-grams for Chinese, Japanese and
  Thai, which write no spaces). The signature is cut into LSH bands whose hashes are stored in
  `minhash_bands`; articles sharing a band are candidates, and a candidate counts only when the
  Jaccard similarity estimated from both stored signatures reaches the threshold. Everything
  lives in the database, so detection works across runs and on PostgreSQL.

Texts too short to shingle meaningfully get no signature and are matched by the exact hash only.
Shingle sizes, LSH weights and the default threshold (0.55) come from eval/dedupe.py: edited
copies score 0.6-0.9 estimated Jaccard, different stories on one topic stay below 0.45.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from sqlalchemy import Connection

from hoasen.errors import UsageError
from hoasen.store.db import Store

#: Shingle length in words for space-delimited scripts (chosen by eval/dedupe.py).
WORD_SHINGLE = 3
#: Shingle length in characters for Chinese, Japanese and Thai (chosen by eval/dedupe.py).
CHAR_SHINGLE = 3
#: Fewer words (or CJK/Thai characters) than this: exact hash only.
MIN_WORDS = 30
MIN_CHARS = 60
#: LSH weights: a missed duplicate is worse than a candidate the signature check rejects.
FALSE_POSITIVE_WEIGHT = 0.05
FALSE_NEGATIVE_WEIGHT = 0.95
#: Band ids are `rows * BAND_ID_STRIDE + band`, so bands cut with another layout never mix.
BAND_ID_STRIDE = 1000
_SEED = 1
_SCHEME = "affine32"

_CJK_THAI = "\u0e00-\u0e7f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_THAI_FULL = _CJK_THAI + "\U00020000-\U0002ffff"
_TOKEN = re.compile(f"[{_CJK_THAI_FULL}]|[^\\s{_CJK_THAI_FULL}]+")
_CHAR_TOKEN = re.compile(f"[{_CJK_THAI_FULL}]")
_SPACES = re.compile(r"\s+")
#: Only these characters can be punctuation or controls; the rest (letters, digits) skip the
#: per-character category lookup, which keeps normalization fast.
_NON_WORD = re.compile(r"(?:[^\w\s]|_)+")
_BLANKED = frozenset({"Cc", "Cf", "Zl", "Zp"})


def normalize(text: str) -> str:
    """NFKC, casefolded, punctuation and invisible characters as spaces, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _NON_WORD.sub(_blank_punctuation, folded)).strip()


def _blank_punctuation(match: re.Match[str]) -> str:
    """A run of non-word characters with punctuation and controls blanked (marks, symbols kept)."""
    return "".join(
        " " if (cat := unicodedata.category(ch))[0] == "P" or cat in _BLANKED else ch
        for ch in match.group()
    )


def content_hash(title: str, text: str) -> str:
    """Hex SHA-256 of the normalized title + text: equal for copies differing only in form."""
    return _hash_normalized(normalize(f"{title}\n{text}"))


def _hash_normalized(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def shingles(title: str, text: str) -> set[str] | None:
    """The article's shingle set, or None when it is too short for near-duplicate detection.

    Tokens are words, except that every Chinese, Japanese or Thai character is a token of its
    own; when such characters make up most tokens, shingles are CHAR_SHINGLE-grams, otherwise
    WORD_SHINGLE-grams. The script in the text decides, not the detected language, so a wrong
    language guess cannot hide a duplicate.
    """
    return _shingles_normalized(normalize(f"{title}\n{text}"))


def _shingles_normalized(normalized: str) -> set[str] | None:
    tokens = _TOKEN.findall(normalized)
    chars = sum(1 for t in tokens if len(t) == 1 and _CHAR_TOKEN.match(t))
    if chars * 2 >= len(tokens):
        size, minimum, sep = CHAR_SHINGLE, MIN_CHARS, ""
    else:
        size, minimum, sep = WORD_SHINGLE, MIN_WORDS, " "
    if len(tokens) < minimum:
        return None
    return {sep.join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def optimal_bands(
    threshold: float,
    num_perm: int,
    fp_weight: float = FALSE_POSITIVE_WEIGHT,
    fn_weight: float = FALSE_NEGATIVE_WEIGHT,
) -> tuple[int, int]:
    """(bands, rows) with bands * rows <= num_perm minimizing the weighted LSH error.

    The same criterion as datasketch's MinHashLSH: the probability that a pair of similarity
    s shares a band is 1 - (1 - s^r)^b; false positives integrate it below the threshold,
    false negatives integrate its complement above.
    """
    if not 0.0 < threshold < 1.0:
        raise UsageError(f"dedupe threshold must be between 0 and 1, not {threshold}")
    below = np.linspace(0.0, threshold, 201)
    above = np.linspace(threshold, 1.0, 201)
    best, best_error = (1, num_perm), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = float(np.trapezoid(1.0 - (1.0 - below**r) ** b, below))
            fn = float(np.trapezoid((1.0 - above**r) ** b, above))
            error = fp_weight * fp + fn_weight * fn
            if error < best_error:
                best, best_error = (b, r), error
    return best


@dataclass(frozen=True)
class Signature:
    """A serialized MinHash (little-endian uint32 values) and its LSH band hashes."""

    values: bytes
    bands: tuple[int, ...]


@dataclass(frozen=True)
class DupeMatch:
    """The original an article duplicates, and the estimated similarity (1.0 for exact)."""

    original_id: int
    similarity: float


class Deduper:
    """Owned by an ingest run; holds the MinHash/LSH parameters and finds duplicates in a Store.

    The band layout follows the threshold; when a database holds bands of another layout (the
    threshold was changed), they are recomputed from the stored signatures on first use.
    """

    def __init__(self, store: Store, threshold: float = 0.55, num_perm: int = 128) -> None:
        if num_perm < 2:
            raise UsageError("num_perm must be at least 2")
        self.store = store
        self.threshold = threshold
        self.num_perm = num_perm
        self.bands, self.rows = optimal_bands(threshold, num_perm)
        self.first_band = self.rows * BAND_ID_STRIDE
        self._permutations = MinHash(num_perm, seed=_SEED, scheme=_SCHEME).permutations
        self._layout_checked = False

    def signature(self, title: str, text: str, language: str | None) -> Signature | None:
        """The article's MinHash signature; None when too short (it is then matched exactly).

        `language` is accepted for the pipeline's sake; shingling follows the text's script.
        """
        return self._signature(shingles(title, text))

    def fingerprint(self, title: str, text: str) -> tuple[str, Signature | None]:
        """`content_hash` and `signature` of one article, its text normalized once."""
        normalized = normalize(f"{title}\n{text}")
        return _hash_normalized(normalized), self._signature(_shingles_normalized(normalized))

    def _signature(self, found: set[str] | None) -> Signature | None:
        if found is None:
            return None
        minhash = MinHash(
            self.num_perm, seed=_SEED, permutations=self._permutations, scheme=_SCHEME
        )
        minhash.update_batch([s.encode("utf-8") for s in found])
        values = minhash.hashvalues.astype("<u4")
        return Signature(values.tobytes(), self.band_hashes(values))

    def band_hashes(self, values: np.ndarray) -> tuple[int, ...]:
        """Signed 64-bit hash of each band of `rows` signature values (fits a BIGINT)."""
        raw = values.astype("<u4", copy=False)
        out = []
        for i in range(self.bands):
            chunk = raw[i * self.rows : (i + 1) * self.rows].tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8).digest()
            out.append(int.from_bytes(digest, "little", signed=True))
        return tuple(out)

    def find(self, conn: Connection, content_hash: str, sig: Signature | None) -> DupeMatch | None:
        """The oldest original this article duplicates (exactly, else nearly), or None."""
        exact = self.store.find_by_hash(conn, content_hash)
        if exact is not None:
            return DupeMatch(exact, 1.0)
        if sig is None:
            return None
        self._check_layout(conn)
        mine = np.frombuffer(sig.values, dtype="<u4")
        best: dict[int, float] = {}
        candidates = self.store.minhash_candidates(conn, sig.bands, self.first_band)
        for article_id, stored, duplicate_of in candidates:
            theirs = np.frombuffer(stored, dtype="<u4")
            if len(theirs) != len(mine):
                continue  # signed with another num_perm: not comparable
            similarity = float(np.count_nonzero(theirs == mine)) / len(mine)
            if similarity >= self.threshold:
                root = duplicate_of if duplicate_of is not None else article_id
                best[root] = max(best.get(root, 0.0), similarity)
        if not best:
            return None
        original = min(best)
        return DupeMatch(original, round(best[original], 4))

    def remember(self, conn: Connection, article_id: int, sig: Signature | None) -> None:
        """Store the article's signature and bands so later articles (and runs) can match it."""
        if sig is None:
            return
        self._check_layout(conn)
        self.store.add_minhash(conn, article_id, sig.values, sig.bands, self.first_band)

    def _check_layout(self, conn: Connection) -> None:
        """Re-band stored signatures once if the database was banded for another threshold."""
        if self._layout_checked:
            return
        if self.store.minhash_bands_outside(conn, self.first_band, self.bands):
            self.store.rebuild_minhash_bands(conn, self._rebanded, self.first_band)
        self._layout_checked = True

    def _rebanded(self, stored: bytes) -> tuple[int, ...] | None:
        values = np.frombuffer(stored, dtype="<u4")
        if len(values) != self.num_perm:
            return None
        return self.band_hashes(values)
