"""Ingest throughput: hoasen's whole pipeline vs plain trafilatura extraction of the same pages."""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from pathlib import Path

import trafilatura

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


def run(data_dir: Path, limit: int = 300) -> dict[str, float]:
    """Articles/s through the whole ingest pipeline and through plain trafilatura."""
    pages = load_pages(data_dir, limit)
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page.data, url=page.url)
    plain = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, database_url=f"sqlite:///{tmp}/bench.db")
        store = Store.open(settings.database_url)
        ingestor = Ingestor(store, settings)
        ingestor.prepare(pages[0])  # load models outside the timing
        ingestor.index.analyzer.index_tokens("warm up", "Quảng Ninh 广西", None)
        started = time.perf_counter()
        report = ingestor.ingest(pages)
        full = time.perf_counter() - started
        store.close()
    n = len(pages)
    return {
        "pages": float(n),
        "ingest_articles_per_s": n / full,
        "trafilatura_pages_per_s": n / plain,
        "ingested": float(report.ingested + report.duplicates),
        "errors": float(len(report.errors)),
    }
