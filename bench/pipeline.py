"""Whole-pipeline throughput: raw input to analysed articles, as `Desk.ingest` runs it (ingest,
then the analysis of the new articles), with every model loaded beforehand.

Corpora: 300 NTREX-128 news documents (60 each in vi/en/zh/fr/ru; title = the first sentence,
text = the others) and 200 long English BBC articles, each in ONE process (`ingest_processes`
1); and the long English web pages of the extraction evaluation (raw HTML, at least 2,000
characters of main text: 145 pages) through `Desk.ingest` as a back-fill runs it: parse workers,
one per core, while this process stores and analyses ("web"), and the same in one process
("web1"). Each corpus runs in a fresh process so peak memory is this benchmark's alone.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hoasen.analyze.pipeline import STAGES, AnalysisReport
from hoasen.desk import Desk
from hoasen.ingest.extract import load_date_tables
from hoasen.models import IngestReport, RawInput
from hoasen.settings import load_settings

CORPORA = ("ntrex", "bbc", "web", "web1")
# NTREX-128 file codes of the office's languages plus two more scripts the desk also reads.
NTREX_LANGUAGES = ("vie", "eng", "zho-CN", "fra", "rus")
_WARM_UP = {
    "vi": "Ông Nguyễn Văn An, Chủ tịch UBND tỉnh Quảng Ninh, đón đoàn Quảng Tây ngày 3/5.",
    "en": "Prime Minister Jacinda Ardern met Chinese officials in Beijing on Monday.",
    "zh": "广西壮族自治区代表团访问越南广宁省，双方签署合作协议。",
    "fr": "Le président Emmanuel Macron a rencontré Angela Merkel à Berlin.",
    "ru": "Президент России Владимир Путин встретился с делегацией в Москве.",
}


def ntrex_articles(data_dir: Path, per_language: int = 60) -> list[RawInput]:
    """The first `per_language` NTREX documents in each language as JSON articles (no language
    given: ingest detects it)."""
    root = data_dir / "ntrex-dev"
    doc_ids = (root / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").split("\n")
    order = list(dict.fromkeys(d for d in doc_ids if d.strip()))[:per_language]
    items: list[RawInput] = []
    for code in NTREX_LANGUAGES:
        name = "newstest2019-src.eng.txt" if code == "eng" else f"newstest2019-ref.{code}.txt"
        lines = (root / "NTREX-128" / name).read_text(encoding="utf-8").split("\n")
        docs: dict[str, list[str]] = {d: [] for d in order}
        for doc, line in zip(doc_ids, lines, strict=False):
            if doc in docs and line.strip():
                docs[doc].append(line.strip())
        for doc in order:
            sentences = docs[doc]
            body = {"title": sentences[0], "text": "\n".join(sentences[1:])}
            data = json.dumps(body, ensure_ascii=False).encode()
            items.append(RawInput(origin=f"ntrex:{code}:{doc}", data=data, fmt="json"))
    return items


def bbc_articles(data_dir: Path, n: int = 200) -> list[RawInput]:
    """`n` BBC articles spread evenly over bbc_dev.jsonl (every category), as JSON articles."""
    lines = (data_dir / "topics-en" / "bbc_dev.jsonl").read_text(encoding="utf-8").splitlines()
    step = max(1, len(lines) // n)
    items: list[RawInput] = []
    for line in lines[::step][:n]:
        row = json.loads(line)
        data = json.dumps({"title": row["title"], "text": row["text"]}, ensure_ascii=False)
        items.append(RawInput(origin=f"bbc:{row['id']}", data=data.encode(), fmt="json"))
    return items


def web_pages(data_dir: Path, n: int = 200) -> list[RawInput]:
    """The first `n` English pages (by URL) of the extraction evaluation whose main text (as
    trafilatura extracts it, outside the timing) is at least 2,000 characters, as raw HTML."""
    import gzip

    import trafilatura

    from hoasen.analyze.language import make_detector

    web = data_dir / "extraction-web"
    index = json.loads((web / "evaldata.json").read_text(encoding="utf-8"))
    detector = make_detector(load_settings(env={}))
    items: list[RawInput] = []
    for url in sorted(index):
        snippets = " ".join(index[url].get("with") or [])
        path = web / "html" / f"{index[url]['file']}.gz"
        if not path.is_file() or detector.detect(snippets).language != "en":
            continue
        data = gzip.decompress(path.read_bytes())
        if len(trafilatura.extract(data, url=url) or "") < 2000:
            continue
        items.append(RawInput(origin=url, data=data, fmt="html", url=url))
        if len(items) >= n:
            break
    return items


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _warm_up(desk: Desk) -> None:
    """Load every model the run needs (detector, date parser's locale tables, search analyzer,
    entity engines, embedder, topic model) without storing anything."""
    load_date_tables()
    ingestor = desk.ingestor
    pipeline = desk.pipeline
    pipeline.versions()
    for lang, text in _WARM_UP.items():
        desk.detector.detect(text)
        ingestor.index.analyzer.index_tokens(text, text, lang)
        pipeline.recognizer.recognize(text, lang)
        pipeline.figure_extractor.extract(text, lang)
    pipeline.embedder.embed(list(_WARM_UP.values()))
    pipeline.topic_model.predict(
        list(_WARM_UP.values()), list(_WARM_UP), pipeline.embedder.embed(list(_WARM_UP.values()))
    )
    desk.alerts  # noqa: B018 - the alert desk the run ends with


def run(data_dir: Path, corpus: str) -> dict[str, float]:
    """Ingest and analyse one corpus the way `Desk.ingest` does; articles/s over both."""
    if corpus == "ntrex":
        items = ntrex_articles(data_dir)
    elif corpus == "bbc":
        items = bbc_articles(data_dir)
    else:
        items = web_pages(data_dir)
    processes = 0 if corpus == "web" else 1  # 0: one parse worker per core
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env={}, database_url=f"sqlite:///{tmp}/bench.db", ingest_processes=processes
        )
        with Desk(settings) as desk:
            before = _rss_mb()
            started = time.perf_counter()
            _warm_up(desk)
            load_s = time.perf_counter() - started
            analyses: list[AnalysisReport] = []
            run_pipeline = desk.pipeline.run

            def recorded(*args: Any, **kwargs: Any) -> AnalysisReport:
                analyses.append(run_pipeline(*args, **kwargs))
                return analyses[-1]

            desk.pipeline.run = recorded  # type: ignore[method-assign]
            children0 = _cpu_s(resource.RUSAGE_CHILDREN)
            cpu0, t0 = _cpu_s(), time.perf_counter()
            if corpus == "web":  # parsing, storing and analysing overlap: one total
                report: IngestReport = desk.ingest(items=items)
                cpu1, t1 = cpu0, t0
            else:
                report = desk.ingestor.ingest(items)
                cpu1, t1 = _cpu_s(), time.perf_counter()
                desk.analyze_new(report)
            cpu2, t2 = _cpu_s(), time.perf_counter()
            children = _cpu_s(resource.RUSAGE_CHILDREN) - children0
            with desk.store.begin() as conn:
                stories = conn.exec_driver_sql("SELECT count(*) FROM stories").scalar_one()
    total = t2 - t0
    n = len(items)
    out = {
        "articles": float(n),
        "ingested": float(report.ingested),
        "analyzed": float(report.analyzed),
        "errors": float(len(report.errors)),
        "articles_per_s": n / total if total else 0.0,
        "seconds": total,
        "ingest_seconds": t1 - t0,
        "analysis_seconds": t2 - t1,
        "cpu_seconds": cpu2 - cpu0,
        "ingest_cpu_seconds": cpu1 - cpu0,
        "analysis_cpu_seconds": cpu2 - cpu1,
        "child_process_cpu_seconds": children,
        "model_load_seconds": load_s,
        "peak_rss_mb": _rss_mb(),
        "child_process_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN),
        "rss_before_models_mb": before,
        "stories": float(stories),
    }
    for stage in STAGES:  # wall time the analysis waited on each stage (embeddings overlap)
        out[f"{stage}_seconds"] = sum(a.seconds.get(stage, 0.0) for a in analyses)
    return out


def run_isolated(data_dir: Path, corpora: tuple[str, ...] = CORPORA) -> dict[str, float]:
    """`run` for each corpus in a fresh process; keys are prefixed with the corpus name."""
    out: dict[str, float] = {}
    for corpus in corpora:
        done = subprocess.run(
            [sys.executable, "-m", "bench.pipeline", str(data_dir), corpus],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        out.update({f"{corpus}_{key}": value for key, value in result.items()})
    return out


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), sys.argv[2])))
