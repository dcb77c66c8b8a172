"""Analysis throughput: articles/s through entities, figures, embeddings, topics and stories,
and the peak memory of a process with every model loaded. A stage's articles/s counts the time
the pipeline spent in it: embeddings mostly run beforehand on a worker thread, so theirs is the
time left to wait for them (see bench/pipeline.py for ingest and analysis together)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hoasen.analyze.pipeline import STAGES, Pipeline
from hoasen.ingest.pipeline import Ingestor
from hoasen.models import RawInput
from hoasen.settings import load_settings
from hoasen.store.db import Store


def load_articles(data_dir: Path, per_language: int) -> list[RawInput]:
    """Real news in the office's main languages: VNTC (vi), BBC (en), Chinese news pages (zh)."""
    items: list[RawInput] = []
    for name, lang in (("topics-vi/vntc_dev.jsonl", "vi"), ("topics-en/bbc_dev.jsonl", "en")):
        lines = (data_dir / name).read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines[:per_language]):
            text = json.loads(line)["text"]
            doc = json.dumps({"title": text[:80], "text": text, "language": lang})
            items.append(RawInput(origin=f"bench:{lang}:{n}", data=doc.encode(), fmt="json"))
    cleaned = sorted((data_dir / "extraction-zh" / "cleaned").glob("*"))
    for n, path in enumerate(cleaned[:per_language]):
        text = path.read_text(encoding="utf-8", errors="replace")
        doc = json.dumps({"title": text[:40], "text": text, "language": "zh"})
        items.append(RawInput(origin=f"bench:zh:{n}", data=doc.encode(), fmt="json"))
    return items


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(data_dir: Path, per_language: int = 100) -> dict[str, float]:
    """Time the whole analysis pipeline over ~3 x `per_language` stored articles."""
    items = load_articles(data_dir, per_language)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env={}, database_url=f"sqlite:///{tmp}/bench.db", analyze_on_ingest=False
        )
        store = Store.open(settings.database_url)
        report = Ingestor(store, settings).ingest(items)
        before = _rss_mb()
        pipeline = Pipeline(store, settings)
        started = time.perf_counter()
        pipeline.versions()  # loads every model
        pipeline.recognizer.recognize("Quảng Ninh đón đoàn Quảng Tây.", "vi")
        pipeline.recognizer.recognize("广宁省与广西。", "zh")
        pipeline.recognizer.recognize("Quang Ninh and Guangxi.", "en")
        pipeline.embedder.embed(["warm up"])
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        done = pipeline.run()
        spent = time.perf_counter() - started
        store.close()
    out: dict[str, float] = {
        "articles": float(done.articles),
        "ingested": float(report.ingested),
        "analysis_articles_per_s": done.articles / spent if spent else 0.0,
        "analysis_seconds": spent,
        "model_load_seconds": load_s,
        "peak_rss_mb": _rss_mb(),
        "rss_before_models_mb": before,
        "stories": float(done.stories_created),
    }
    for stage in STAGES:
        seconds = done.seconds.get(stage, 0.0)
        out[f"{stage}_articles_per_s"] = done.articles / seconds if seconds else 0.0
    return out


def run_isolated(data_dir: Path, per_language: int = 100) -> dict[str, float]:
    """`run` in a fresh process, so peak memory counts this benchmark's models only."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.analysis", str(data_dir), str(per_language)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), int(sys.argv[2]))))
