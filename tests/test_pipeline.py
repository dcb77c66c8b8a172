"""The analysis pipeline on real databases: stages, versions, re-runs, stories across languages."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from conftest import FIXTURES
from hoasen.analyze.embed import E5Embedder, embedding_text, from_blob
from hoasen.analyze.entities import EntityEngine, default_engines
from hoasen.analyze.pipeline import STAGES, Pipeline
from hoasen.analyze.story_stage import url_country
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.models import RawInput
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.store.analysis import AnalysisStore
from hoasen.store.db import Store

STORIES = FIXTURES / "analysis" / "stories.jsonl"


@pytest.fixture(scope="module")
def models() -> tuple[dict[str, EntityEngine], E5Embedder]:
    """Entity engines and the embedder, loaded once for the module (they are stateless)."""
    return default_engines(), E5Embedder()


def _pipeline(
    store: Store, settings: Settings, models: tuple[dict[str, EntityEngine], E5Embedder]
) -> Pipeline:
    engines, embedder = models
    return Pipeline(store, settings, embedder=embedder, engines=engines)


@pytest.fixture
def desk(
    store: Store, settings: Settings, models: tuple[dict[str, EntityEngine], E5Embedder]
) -> Iterator[Desk]:
    """A Desk on each backend with the story fixture ingested (not yet analysed)."""
    with Desk(replace(settings, analyze_on_ingest=False), store=store) as d:
        d.__dict__["pipeline"] = _pipeline(store, d.settings, models)
        report = d.ingest([STORIES])
        assert report.ingested == 5 and not report.errors
        yield d


def _ids_by_fixture(desk: Desk) -> dict[str, int]:
    titles = {a.title: a.id for a in desk.store.list_articles(limit=None)}
    wanted = {
        "deleg-vi": "Quảng Ninh đón đoàn",
        "deleg-en": "Quang Ninh welcomes",
        "deleg-zh": "越南广宁省会见",
        "fest-vi": "Lễ hội Hokkaido",
        "fest-en": "Hokkaido festival",
    }
    return {k: next(i for t, i in titles.items() if t.startswith(v)) for k, v in wanted.items()}


def test_full_run_stores_every_stage(desk: Desk) -> None:
    report = desk.analyze()
    assert report.articles == 5
    assert report.stages == dict.fromkeys(STAGES, 5)
    assert not report.errors
    ids = _ids_by_fixture(desk)
    results = AnalysisStore(desk.store)
    mentions = results.mentions(list(ids.values()))
    # one entity whatever the language: Quảng Ninh / Quang Ninh / 广宁省
    for key in ("deleg-vi", "deleg-en", "deleg-zh"):
        assert "vn.quang-ninh" in {m.entity_id for m in mentions[ids[key]]}, key
        assert "cn.guangxi" in {m.entity_id for m in mentions[ids[key]]}, key
    # offsets point into title + blank line + text
    article = desk.store.get_article(ids["deleg-en"])
    full = f"{article.title}\n\n{article.text}"
    assert all(full[m.start : m.end] == m.text for m in mentions[ids["deleg-en"]])
    figures = results.figures([ids["deleg-en"], ids["deleg-vi"]])
    for key in ("deleg-en", "deleg-vi"):
        values = {(f.value, f.unit) for f in figures[ids[key]]}
        assert (4_200_000_000, "USD") in values, key
    topics = results.topics(list(ids.values()))
    assert all(topics[i] for i in ids.values())
    assert results.embeddings(list(ids.values()), desk.pipeline.embedder.name).keys() == set(
        ids.values()
    )


def test_stories_group_languages_and_keep_events_apart(desk: Desk) -> None:
    desk.analyze()
    ids = _ids_by_fixture(desk)
    stories = desk.stories()
    by_article = {a: s for s in stories for a in s.article_ids}
    assert set(by_article) == set(ids.values())
    assert by_article[ids["deleg-vi"]] is by_article[ids["deleg-en"]]
    assert by_article[ids["deleg-vi"]] is by_article[ids["deleg-zh"]]
    assert by_article[ids["fest-vi"]] is by_article[ids["fest-en"]]
    assert by_article[ids["deleg-vi"]] is not by_article[ids["fest-vi"]]
    delegation = by_article[ids["deleg-vi"]]
    assert delegation.title.startswith("Quảng Ninh đón đoàn")  # office language: vi
    assert set(delegation.languages) == {"vi", "en", "zh"}
    assert "CN" in delegation.countries and "VN" in delegation.countries
    assert delegation.first_seen <= delegation.last_seen
    assert delegation.as_json()["articles"] == sorted(delegation.article_ids)


def test_rerun_does_only_missing_work(desk: Desk) -> None:
    desk.analyze()
    again = desk.analyze()
    assert again.articles == 0 and again.stages == dict.fromkeys(STAGES, 0)
    forced = desk.analyze(stages=["figures"], force=True)
    assert forced.stages == {"figures": 5}
    versions = AnalysisStore(desk.store).stage_versions()
    assert set(versions) == set(STAGES)
    assert all(sum(v.values()) == 5 for v in versions.values())
    # one stage stale for one article (e.g. after a gazetteer import), every stage chosen
    with desk.store.begin() as conn:
        t = schema.article_stages
        first = conn.execute(select(func.min(t.c.article_id))).scalar()
        conn.execute(t.delete().where(t.c.stage == "entities", t.c.article_id == first))
    stale = desk.analyze()
    assert stale.articles == 1 and stale.stages["entities"] == 1 and stale.stages["stories"] == 0


def test_forced_story_rerun_rebuilds_the_same_stories(desk: Desk) -> None:
    desk.analyze()
    before = sorted(sorted(s.article_ids) for s in desk.stories())
    redo = desk.analyze(stages=["stories"], force=True)
    assert redo.stages == {"stories": 5}
    after = sorted(sorted(s.article_ids) for s in desk.stories())
    assert before == after
    with desk.store.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(schema.stories)).scalar()
    assert count == len(after)  # no empty story left behind


def test_incremental_story_assignment_loads_stored_stories(
    store: Store,
    settings: Settings,
    models: tuple[dict[str, EntityEngine], E5Embedder],
    tmp_path: Path,
) -> None:
    lines = STORIES.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    # the Vietnamese and Chinese reports first; the English ones must join their stories later
    first.write_text("\n".join([lines[0], lines[2], lines[3]]) + "\n", encoding="utf-8")
    second.write_text("\n".join([lines[1], lines[4]]) + "\n", encoding="utf-8")
    with Desk(replace(settings, analyze_on_ingest=True), store=store) as d:
        d.__dict__["pipeline"] = _pipeline(store, d.settings, models)
        one = d.ingest([first])
        assert one.analyzed == 3
        assert len(d.stories()) == 2
    with Desk(replace(settings, analyze_on_ingest=True), store=store) as d:
        d.__dict__["pipeline"] = _pipeline(store, d.settings, models)
        two = d.ingest([second])
        assert two.analyzed == 2
        sizes = sorted(len(s.article_ids) for s in d.stories())
    assert sizes == [2, 3]


def test_next_ingest_catches_up_analysis_cut_short(
    store: Store,
    settings: Settings,
    models: tuple[dict[str, EntityEngine], E5Embedder],
    tmp_path: Path,
) -> None:
    """A run killed mid-analysis leaves articles without stages; the next ingest (even one that
    brings nothing new) finishes them, bounded by `analyze_catch_up`, and says so."""
    lines = STORIES.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    second.write_text(lines[4] + "\n", encoding="utf-8")
    on = replace(settings, analyze_on_ingest=True, analyze_catch_up=2)
    with Desk(on, store=store) as d:
        d.__dict__["pipeline"] = _pipeline(store, d.settings, models)
        d.ingest([first])
        with store.begin() as conn:  # the crash: three articles lost some or all stages
            t = schema.article_stages
            ids = sorted(conn.execute(select(t.c.article_id).distinct()).scalars())
            conn.execute(t.delete().where(t.c.article_id.in_(ids[:2])))
            conn.execute(t.delete().where(t.c.article_id == ids[2], t.c.stage == "topics"))
        two = d.ingest([second])
        assert (two.ingested, two.analyzed, two.caught_up, two.behind) == (1, 3, 2, 1)
        assert two.as_json()["caught_up"] == 2 and two.as_json()["behind"] == 1
        three = d.ingest([second])  # nothing new: still catches up the last one
        assert (three.skipped, three.caught_up, three.behind) == (1, 1, 0)
        assert AnalysisStore(store).behind(d.pipeline.versions()) == []
        assert sorted(len(s.article_ids) for s in d.stories()) == [2, 3]


def test_stage_that_needs_inputs_computes_them(desk: Desk) -> None:
    report = desk.analyze(stages=["stories"])
    assert report.stages == {"stories": 5, "entities": 5, "figures": 5, "embeddings": 5}
    assert len(desk.stories()) == 2


def test_unknown_stage_is_a_usage_error(desk: Desk) -> None:
    with pytest.raises(UsageError, match="unknown stage"):
        desk.analyze(stages=["sentiment"])


def test_entity_report_and_gazetteer_import(desk: Desk, tmp_path: Path) -> None:
    desk.analyze()
    ids = _ids_by_fixture(desk)
    for name in ("Quảng Ninh", "Quang Ninh", "广宁省", "vn.quang-ninh"):
        assert desk.find_entity(name).id == "vn.quang-ninh"
    report = desk.entity_report("广宁省").as_json()
    assert report["names"]["vi"] == "Quảng Ninh" and report["names"]["zh"].startswith("广宁")
    assert {a["id"] for a in report["articles"]} == set(ids.values())
    assert {s["text"] for s in report["seen_as"]} >= {"Quảng Ninh", "Quang Ninh"}
    with pytest.raises(NotFoundError):
        desk.find_entity("Atlantis Province")

    before = desk.pipeline.versions(["entities"])["entities"]
    csv = tmp_path / "festival.csv"
    csv.write_text(
        "id,type,kind,country,name_vi,name_en,aliases\n"
        "org.hokkaido-festival,ORG,organization,JP,Lễ hội văn hóa Hokkaido,"
        "Hokkaido Culture Festival,en:Hokkaido festival\n",
        encoding="utf-8",
    )
    assert desk.import_gazetteer(csv) == 1
    assert desk.pipeline.versions(["entities"])["entities"] != before
    redo = desk.analyze(stages=["entities"])
    assert redo.stages == {"entities": 5}
    assert desk.find_entity("Hokkaido Culture Festival").id == "org.hokkaido-festival"
    linked = AnalysisStore(desk.store).articles_mentioning_any(["org.hokkaido-festival"])
    assert ids["fest-en"] in linked and ids["fest-vi"] in linked
    # a fresh desk on the same database loads the import from the database
    with Desk(desk.settings, store=desk.store) as other:
        other.__dict__["pipeline"] = Pipeline(other.store, other.settings, engines={})
        assert other.find_entity("Lễ hội văn hóa Hokkaido").id == "org.hokkaido-festival"


def test_bad_gazetteer_import_changes_nothing(desk: Desk, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("id,type,kind,country,name_en\nx.bad,XYZ,organization,JP,Bad\n", "utf-8")
    with pytest.raises(UsageError, match="line 2"):
        desk.import_gazetteer(csv)
    assert AnalysisStore(desk.store).gazetteer_imports() == []


def test_top_entities_count_articles_once(desk: Desk) -> None:
    desk.analyze()
    top = {
        entity_id: (articles, mentions)
        for _, entity_id, articles, mentions in desk.top_entities(limit=5)
    }
    assert top["vn.quang-ninh"][0] == 5 and top["vn.quang-ninh"][1] >= 5
    assert top["vn.ha-long"][0] == 5
    assert all(articles <= 5 for articles, _ in top.values())


@pytest.mark.parametrize(
    ("url", "country"),
    [
        ("https://baoquangninh.vn/x", "VN"),
        ("https://www.gxrb.com.cn/a", "CN"),
        ("https://www.bbc.co.uk/news", "GB"),
        ("https://example.com/a", None),
        ("https://news.tv/a", None),
        (None, None),
    ],
)
def test_url_country(url: str | None, country: str | None) -> None:
    assert url_country(url) == country


class _SlowEmbedder:
    """Deterministic vectors, slowly, noting the threads that computed them."""

    name, version, dim = "slow-fake", "1", 8

    def __init__(self) -> None:
        self.threads: set[str] = set()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.add(threading.current_thread().name)
        time.sleep(0.2)
        return np.vstack([self.vector(t) for t in texts]).astype(np.float32)

    @staticmethod
    def vector(text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
        v = np.random.default_rng(seed).standard_normal(8)
        return (v / np.linalg.norm(v)).astype(np.float32)


def test_embeddings_computed_ahead_or_taken_back_land_on_their_articles(
    store: Store, settings: Settings
) -> None:
    embedder = _SlowEmbedder()
    items = [
        RawInput(
            origin=f"item-{n}",
            data=json.dumps({"title": f"Tin số {n} về Hạ Long", "text": f"Nội dung {n}."}).encode(),
            fmt="json",
        )
        for n in range(70)  # three batches
    ]
    with Desk(replace(settings, analyze_on_ingest=False), store=store) as desk:
        desk.__dict__["pipeline"] = Pipeline(store, desk.settings, embedder=embedder, engines={})
        assert desk.ingest(items=items).ingested == 70
        report = desk.analyze()
        assert report.articles == 70 and not report.errors
        stored = AnalysisStore(store).embeddings(_article_ids(desk), embedder.name)
        assert len(stored) == 70
        for article in desk.store.list_articles(limit=None):
            expected = embedder.vector(embedding_text(article.title, article.text))
            assert from_blob(stored[article.id], 8).tolist() == expected.tolist()
    # the worker embedded ahead, and the pipeline took back the parts it had not begun
    assert threading.current_thread().name in embedder.threads
    assert any(name.startswith("hoasen-embed") for name in embedder.threads)


def _article_ids(desk: Desk) -> list[int]:
    return [a.id for a in desk.store.list_articles(limit=None)]
