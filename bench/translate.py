"""The local engine's speed on one process: segments per second of the zh→en model alone, with
the termbase enforced, and with enforcement and QA (what `hoasen translate` does), on Chinese
news sentences from the NTREX dev set. Skipped with a reason when no zh→en model is installed
(`tools/fetch_test_model.sh` puts the test model in .cache/models)."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from hoasen.settings import load_settings
from hoasen.store.db import Store
from hoasen.translate.enforce import Enforcer
from hoasen.translate.engines.local_models import list_models
from hoasen.translate.engines.registry import Engines
from hoasen.translate.qa import QA
from hoasen.translate.termbase import Termbase

ROOT = Path(__file__).resolve().parents[1]
SEGMENTS = 200


def _model_dir() -> Path | None:
    for folder in (Path(os.environ.get("HOASEN_MODELS_DIR", "models")), ROOT / ".cache/models"):
        if any(("zh", "en") in m.pairs and m.usable for m in list_models(folder)):
            return folder
    return None


def run(data_dir: Path, segments: int = SEGMENTS) -> dict[str, float]:
    """Translate `segments` Chinese sentences three ways and time each."""
    folder = _model_dir()
    if folder is None:
        print("   skipped: no zh→en model in models_dir or .cache/models")
        return {}
    path = data_dir / "ntrex-dev" / "NTREX-128" / "newstest2019-ref.zho-CN.txt"
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()][:segments]
    settings = replace(
        load_settings(env={}), models_dir=str(folder), translate_engines=("zh-en=local",)
    )
    engine = Engines(settings).for_pair("zh", "en")
    engine.translate(["预热。"], "zh", "en")  # load the model before the clock starts
    store = Store.open("sqlite://")
    glossary = Termbase(store).glossary("zh", "en")
    qa = QA()
    qa.matcher(glossary)
    qa.detector.detect("warm up")

    def call(batch: list[str]) -> list[str]:
        return engine.translate(batch, "zh", "en", glossary)

    started = time.perf_counter()
    engine.translate(lines, "zh", "en")
    alone = time.perf_counter() - started
    started = time.perf_counter()
    done = Enforcer(glossary).translate(lines, call)
    enforced = time.perf_counter() - started
    started = time.perf_counter()
    for seg in done:
        qa.check_segment(seg.source, seg.target, "zh", "en", glossary)
    checked = time.perf_counter() - started + enforced
    protected = sum(1 for seg in done if seg.protected)
    store.close()
    return {
        "segments": float(len(lines)),
        "segments_with_names": float(protected),
        "engine_segments_per_s": len(lines) / alone,
        "enforced_segments_per_s": len(lines) / enforced,
        "enforced_qa_segments_per_s": len(lines) / checked,
    }
