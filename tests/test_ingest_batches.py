"""Ingest in batches: one transaction per batch, worker processes for large ingests, and the
page metadata read without trafilatura's full metadata pass. Real SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import threading
from copy import deepcopy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trafilatura
from sqlalchemy import event, func, select
from trafilatura.utils import load_html

from hoasen.ingest import parallel, pipeline
from hoasen.ingest.extract import page_metadata
from hoasen.ingest.formats import _DATE_PARAMS
from hoasen.ingest.parallel import ParsePool, process_count
from hoasen.ingest.pipeline import BATCH_SIZE, Ingestor
from hoasen.models import ItemError, RawInput
from hoasen.settings import Settings, load_settings
from hoasen.store import schema
from hoasen.store.db import Store

FIXTURES = Path(__file__).parent / "fixtures"
TEXTS = [
    (FIXTURES / "ingest" / name).read_text(encoding="utf-8")
    for name in ("dulich_vi.txt", "quangninh_en.txt", "hoptac_sv.txt")
]


def _items(n: int, broken: tuple[int, ...] = ()) -> list[RawInput]:
    """`n` distinct JSON articles built from the fixture texts; `broken` ones have no text."""
    items = []
    for i in range(n):
        body = TEXTS[i % len(TEXTS)]
        doc: dict[str, Any] = {
            "title": f"Bài {i}: {body.splitlines()[0][:60]}",
            "text": "" if i in broken else f"{body}\n\nMục {i} của loạt bài, số {i * 7919}.",
        }
        items.append(RawInput(origin=f"item-{i}.json", data=json.dumps(doc).encode(), fmt="json"))
    return items


def _distinct(n: int) -> list[RawInput]:
    """`n` English articles no two alike (words of the English fixture in a seeded order)."""
    rng = random.Random(16)
    words = TEXTS[1].split()
    items = []
    for i in range(n):
        text = " ".join(rng.choice(words) for _ in range(120)) + "."
        doc = {"title": f"Report {i} " + " ".join(rng.sample(words, 6)), "text": text}
        items.append(RawInput(origin=f"d-{i}.json", data=json.dumps(doc).encode(), fmt="json"))
    return items


def _settings(tmp_path: Path, name: str, processes: int) -> Settings:
    return load_settings(
        env={}, database_url=f"sqlite:///{tmp_path}/{name}.db", ingest_processes=processes
    )


def _articles(store: Store) -> list[tuple[str, str, str | None, bool]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                schema.articles.c.title,
                schema.articles.c.text,
                schema.articles.c.language,
                schema.articles.c.duplicate_of,
            ).order_by(schema.articles.c.id)
        ).all()
    return [(r.title, r.text, r.language, r.duplicate_of is not None) for r in rows]


def test_a_batch_is_one_commit(store: Store, tmp_path: Path) -> None:
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda conn: commits.append(1))
    report = Ingestor(store, _settings(tmp_path, "one", 1)).ingest(_items(BATCH_SIZE))
    assert report.ingested + report.duplicates == BATCH_SIZE
    # one commit for the batch, one for the (empty) error log; not one per item
    assert len(commits) <= 3


def test_broken_items_in_a_batch_are_reported_and_the_rest_kept(
    store: Store, tmp_path: Path
) -> None:
    items: list[RawInput | ItemError] = list(_items(120, broken=(3, 77)))
    items.insert(10, ItemError("bad.jsonl:4", "not valid JSON"))
    report = Ingestor(store, _settings(tmp_path, "one", 1)).ingest(items)
    assert report.ingested + report.duplicates == 118
    assert sorted(e.input for e in report.errors) == ["bad.jsonl:4", "item-3.json", "item-77.json"]
    assert all(e.reason for e in report.errors)
    again = Ingestor(store, _settings(tmp_path, "one", 1)).ingest(_items(120))
    assert again.skipped == 118  # nothing twice
    assert again.ingested + again.duplicates == 2  # the two fixed items


def test_a_refused_batch_is_stored_item_by_item(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker stored one input between our check and our write: only it is reported."""
    ingestor = Ingestor(store, _settings(tmp_path, "one", 1))
    items = _items(10)
    ingestor.ingest(items[4:5])
    monkeypatch.setattr(store, "find_raw", lambda sha: None)  # the check saw nothing yet
    report = ingestor.ingest(items)
    assert report.ingested + report.duplicates == 9
    assert [e.input for e in report.errors] == ["item-4.json"]
    assert "could not be stored" in report.errors[0].reason
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.articles)).scalar() == 10


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_processes_store_what_a_serial_ingest_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """Forked (from a single-threaded CLI) or spawned (beside the web server's threads)."""
    monkeypatch.setattr(parallel, "_start_method", lambda: method)
    items: list[RawInput | ItemError] = list(_items(3 * BATCH_SIZE + 7, broken=(60, 140)))
    items.append(items[70])  # the same input twice in one run: stored once
    results = []
    for name, processes in (("serial", 1), ("pool", 2)):
        store = Store.open(_settings(tmp_path, name, processes).database_url)
        seen: list[str] = []
        report = Ingestor(store, _settings(tmp_path, name, processes)).ingest(
            items, progress=seen.append
        )
        results.append((report, _articles(store), len(seen)))
        store.close()
    (serial, serial_rows, serial_seen), (pool, pool_rows, pool_seen) = results
    assert pool_rows == serial_rows and len(pool_rows) == 3 * BATCH_SIZE + 5
    assert (pool.ingested, pool.duplicates, pool.skipped) == (
        serial.ingested,
        serial.duplicates,
        serial.skipped,
    )
    assert pool.skipped == 1
    assert sorted(e.input for e in pool.errors) == ["item-140.json", "item-60.json"]
    assert pool_seen == serial_seen == len(items)
    assert {lang for _, _, lang, _ in pool_rows} == {"vi", "en", "sv"}


def test_a_dead_worker_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker process killed mid-ingest: its batch and the rest are parsed in-process."""

    class Dying(ParsePool):
        def submit(self, items: Any) -> Any:
            future = super().submit(items)
            for process in list(self._executor._processes.values()):
                process.kill()
            return future

    monkeypatch.setattr(pipeline, "ParsePool", Dying)
    settings = _settings(tmp_path, "dying", 2)
    store = Store.open(settings.database_url)
    report = Ingestor(store, settings).ingest(_items(2 * BATCH_SIZE + 10))
    assert report.ingested + report.duplicates == 2 * BATCH_SIZE + 10
    assert not report.errors
    store.close()


def test_workers_parse_every_batch_of_a_large_ingest_and_none_of_a_small_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch of a large ingest goes to the workers too (the ingesting process only
    stores); a single batch is parsed here, with no worker started."""
    here: list[str] = []
    real = Ingestor._parse_here

    def counted(self: Ingestor, raw: RawInput) -> Any:
        here.append(raw.origin)
        return real(self, raw)

    monkeypatch.setattr(Ingestor, "_parse_here", counted)
    started: list[int] = []
    monkeypatch.setattr(
        pipeline, "ParsePool", lambda *a, **k: started.append(1) or ParsePool(*a, **k)
    )
    settings = _settings(tmp_path, "large", 2)
    store = Store.open(settings.database_url)
    report = Ingestor(store, settings).ingest(_items(2 * BATCH_SIZE + 3))
    assert report.ingested + report.duplicates == 2 * BATCH_SIZE + 3
    assert here == [] and started == [1]
    report = Ingestor(store, settings).ingest(_distinct(BATCH_SIZE))
    assert report.ingested == BATCH_SIZE
    assert len(here) == BATCH_SIZE and started == [1]
    store.close()


def test_workers_are_spawned_beside_other_threads() -> None:
    if threading.active_count() == 1:  # no other test left a thread running
        assert parallel._start_method() == "fork"
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        assert parallel._start_method() == "spawn"
    finally:
        done.set()
        other.join()


def test_process_count_follows_the_setting(tmp_path: Path) -> None:
    assert process_count(_settings(tmp_path, "x", 3)) == 3
    assert 1 <= process_count(_settings(tmp_path, "x", 0)) <= parallel.AUTO_MAX


@pytest.mark.parametrize("name", ["article.html", "portal_zh.html"])
def test_page_metadata_equals_trafilaturas_full_pass(name: str) -> None:
    """The fields the desk keeps are exactly what trafilatura's `extract_metadata` finds."""
    html = (FIXTURES / "extract" / name).read_text(encoding="utf-8")
    url = "https://example.org/news/2025/11/article.html"
    tree = load_html(html)
    full = trafilatura.bare_extraction(
        deepcopy(tree), url=url, with_metadata=True, date_extraction_params=_DATE_PARAMS
    )
    ours = page_metadata(tree, url, _DATE_PARAMS)
    assert full is not None
    for field in ("title", "author", "date", "url", "sitename", "hostname"):
        assert getattr(ours, field) == getattr(full, field), field
    assert load_html(html) is not None and tree.xpath("count(//*)") == load_html(html).xpath(
        "count(//*)"
    )  # the tree is left as it was


def test_a_large_ingest_is_analysed_while_pages_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With parse workers, the desk analyses stored chunks during the ingest; every article is
    analysed exactly once, and nothing is left behind."""
    from hoasen import desk as desk_module
    from hoasen.desk import Desk
    from hoasen.store.analysis import AnalysisStore

    monkeypatch.setattr(desk_module._AnalyseAsStored, "CHUNK", 60)
    settings = replace(_settings(tmp_path, "desk", 2), analyze_on_ingest=True)
    runs: list[int] = []
    with Desk(settings) as d:
        real = d.analyze

        def counting(ids: Any = None, **kw: Any) -> Any:
            done = real(ids=ids, **kw)
            runs.append(done.articles)
            return done

        monkeypatch.setattr(d, "analyze", counting)
        report = d.ingest(items=_distinct(3 * BATCH_SIZE + 10))
        assert report.ingested + report.duplicates == 3 * BATCH_SIZE + 10
        assert runs == [100, 60]  # after the 2nd batch, then the last 60: each article once
        assert report.analyzed == 3 * BATCH_SIZE + 10
        assert AnalysisStore(d.store).behind(d.pipeline.versions()) == []
