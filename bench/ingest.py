"""Ingest throughput: hoasen's ingest (one process, and with parse workers) vs plain trafilatura
extraction of the same pages, with peak memory."""

from __future__ import annotations

import gzip
import json
import resource
import tempfile
import time
from pathlib import Path

import trafilatura

from hoasen.ingest.extract import load_date_tables
from hoasen.ingest.parallel import process_count
from hoasen.ingest.pipeline import Ingestor
from hoasen.models import RawInput
from hoasen.settings import load_settings
from hoasen.store.db import Store


def load_pages(data_dir: Path, limit: int) -> list[RawInput]:
    """The first `limit` pages of extraction-web (sorted by URL), as raw HTML inputs."""
    web = data_dir / "extraction-web"
    index = json.loads((web / "evaldata.json").read_text(encoding="utf-8"))
    pages: list[RawInput] = []
    for url in sorted(index)[:limit]:
        path = web / "html" / f"{index[url]['file']}.gz"
        if path.is_file():
            pages.append(
                RawInput(origin=url, data=gzip.decompress(path.read_bytes()), fmt="html", url=url)
            )
    return pages


def _ingest(pages: list[RawInput], processes: int) -> tuple[float, int, int]:
    """Seconds to ingest `pages` into a new database, articles stored, items rejected."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env={}, database_url=f"sqlite:///{tmp}/bench.db", ingest_processes=processes
        )
        store = Store.open(settings.database_url)
        ingestor = Ingestor(store, settings)
        load_date_tables()  # load models outside the timing (forked workers inherit them)
        ingestor.prepare(pages[0])
        ingestor.index.analyzer.index_tokens("warm up", "Quảng Ninh 广西", None)
        started = time.perf_counter()
        report = ingestor.ingest(pages)
        spent = time.perf_counter() - started
        store.close()
    return spent, report.ingested + report.duplicates, len(report.errors)


def run(data_dir: Path, limit: int = 300) -> dict[str, float]:
    """Pages/s through the whole ingest (parse, clean, language, duplicates, store, search index)
    in one process and with the parse worker processes (one per core), and through trafilatura
    alone (extraction only, one process) on the same pages."""
    pages = load_pages(data_dir, limit)
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page.data, url=page.url)
    plain = time.perf_counter() - started
    serial, stored, errors = _ingest(pages, processes=1)
    parallel, _, _ = _ingest(pages, processes=0)
    n = len(pages)
    return {
        "pages": float(n),
        "trafilatura_pages_per_s": n / plain,
        "ingest_one_process_pages_per_s": n / serial,
        "ingest_one_process_vs_trafilatura": plain / serial,
        "ingest_pages_per_s": n / parallel,
        "ingest_vs_trafilatura": plain / parallel,
        "parse_processes": float(process_count(load_settings(env={}))),
        "ingested": float(stored),
        "errors": float(errors),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
