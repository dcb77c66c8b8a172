"""Faster feature building for the Vietnamese (underthesea) and Chinese (jiagu) NER models:
exactly the libraries' output."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES
from hoasen.analyze.vi_crf import Template, VietnameseNer

underthesea = pytest.importorskip("underthesea")


def _texts() -> list[str]:
    rows = (FIXTURES / "ner" / "vi.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(row)["text"] for row in rows]
    article = (FIXTURES / "ingest" / "dulich_vi.txt").read_text(encoding="utf-8")
    return texts + [line for line in article.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def fast() -> VietnameseNer:
    return VietnameseNer()


def test_same_rows_as_underthesea_ner(fast: VietnameseNer) -> None:
    texts = [*_texts(), "Hà Nội", "A", "", "  ", "Ông Putin ca ngợi Liên Xô."]
    for text in texts:
        assert fast.ner(text) == [tuple(row) for row in underthesea.ner(text)], text


@pytest.mark.parametrize("length", [0, 1, 2, 3, 6])
def test_features_equal_underthesea_word2features(length: int) -> None:
    from underthesea.pipeline.ner.model_crf import CRFNERPredictor
    from underthesea.pipeline.ner.tagged_feature import word2features

    templates = [*CRFNERPredictor.Instance().transformer.template, "T[-3,-2][1]", "T[0].isdigit"]
    words = ["Ông", "Nguyễn Văn An", "12", ",", "đến", "Hà  Nội"][:length]
    sentence = [(w, f"P{i}", "B-NP", "X") for i, w in enumerate(words)]
    expected = [word2features(sentence, i, templates) for i in range(len(sentence))]
    assert Template(templates).features(sentence) == expected


def test_unknown_template_function_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        Template(["T[0].is_in_dict"])


def test_jiagu_tagger_tags_as_jiagu() -> None:
    jiagu = pytest.importorskip("jiagu")
    from hoasen.analyze.zh_tagger import JiaguTagger

    tagger = JiaguTagger(jiagu)
    rows = (FIXTURES / "ner" / "zh.jsonl").read_text(encoding="utf-8").splitlines()
    for text in [json.loads(row)["text"] for row in rows] + ["中国", "李明在北京。"]:
        words = [w for w in jiagu.seg(text) if w]
        assert tagger.ner(words) == jiagu.ner(words), text
    assert tagger.ner([]) == []
