"""Entity recognition: gazetteer + rules per language (deterministic, no model), engines as
plug-ins that only fill gaps, and every known name linked to its canonical id."""

from __future__ import annotations

import importlib.util
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.analyze import entities
from hoasen.analyze.entities import (
    EntityRecognizer,
    JiaguEngine,
    JiebaEngine,
    Mention,
    UndertheseaEngine,
    VietnameseRules,
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


def test_engines_are_not_imported_until_used() -> None:
    engine = UndertheseaEngine()
    assert engine._loaded is None


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
