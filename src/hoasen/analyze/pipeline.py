"""The analysis pipeline: entities, figures, embeddings, topics and stories for stored articles.

Stages run after ingest (setting `analyze_on_ingest`) and again with `hoasen analyze`. Each
stage records, per article, the version of the model or rules that produced its output
(`article_stages`), so a run only redoes what is missing or was made by another version, and
`--force` redoes everything chosen. Articles go through in batches, oldest first, which is the
order stories must see them in; a worker thread embeds the next batch meanwhile, and each stage
writes a batch's output in one statement per table, in one transaction per batch.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from hoasen.analyze import entities as entities_module
from hoasen.analyze import entity_rules, entity_rules_zh
from hoasen.analyze import figures as figures_module
from hoasen.analyze.e5_numpy import blas_threads
from hoasen.analyze.embed import (
    E5Embedder,
    Embedder,
    embedding_text,
    estimate_tokens,
    from_blob,
    to_blob,
)
from hoasen.analyze.entities import EntityEngine, EntityRecognizer, default_engines
from hoasen.analyze.figures import Figure, FigureExtractor
from hoasen.analyze.gazetteer import Gazetteer, Mention
from hoasen.analyze.stories import StoryItem, entity_keys, number_keys
from hoasen.analyze.story_stage import StoryStage, input_country
from hoasen.analyze.topics import Taxonomy, TopicModel, load_topic_model
from hoasen.errors import UsageError
from hoasen.models import ItemError
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.store.analysis import AnalysisInput, AnalysisStore, StoredMention
from hoasen.store.db import Store

STAGES = ("entities", "figures", "embeddings", "topics", "stories")
# What a stage reads of earlier stages: run those first for articles that lack their output.
NEEDS: dict[str, tuple[str, ...]] = {
    "topics": ("embeddings",),
    "stories": ("entities", "figures", "embeddings"),
}
BATCH = 32
EMBED_CHUNK = 8  # texts per embedding job: what the worker has not begun, the batch takes back

Tick = Callable[[int], None]


def analysis_text(title: str, text: str) -> str:
    """The text the stages read; stored offsets point into it."""
    return f"{title}\n\n{text}" if title else text


@dataclass
class AnalysisReport:
    """What an analysis run did: articles per stage, and the articles a stage gave up on."""

    articles: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    stories_created: int = 0
    errors: list[ItemError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The `analyze --json` document."""
        return {
            "articles": self.articles,
            "stages": self.stages,
            "stories_created": self.stories_created,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "errors": [{"input": e.input, "reason": e.reason} for e in self.errors],
        }


@dataclass
class Batch:
    """One batch of articles and what earlier stages produced for it in this run."""

    items: list[AnalysisInput]
    mentions: dict[int, list[Mention]] = field(default_factory=dict)
    figures: dict[int, list[Figure]] = field(default_factory=dict)
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    # The embeddings stage's vectors, being computed: (future, texts) per part, in order.
    embedding: list[tuple[Future[np.ndarray], list[str]]] = field(default_factory=list)


def gazetteer_for(store: Store) -> Gazetteer:
    """The bundled gazetteer plus every file imported into this database."""
    gazetteer = Gazetteer.load()
    for _id, name, content, _rows, _when in AnalysisStore(store).gazetteer_imports():
        gazetteer.import_text(content, name)
    return gazetteer


def gazetteer_version(gazetteer: Gazetteer) -> str:
    """A short fingerprint of the gazetteer's content (changes when an import changes it)."""
    digest = hashlib.sha256()
    for entity in sorted(gazetteer, key=lambda e: e.id):
        digest.update(repr((entity.id, entity.type, sorted(entity.all_names()))).encode())
    return digest.hexdigest()[:10]


class Pipeline:
    """The analysis stages of one database; models load lazily, once per Pipeline."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        gazetteer: Gazetteer | None = None,
        embedder: Embedder | None = None,
        engines: Mapping[str, EntityEngine] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.results = AnalysisStore(store)
        self._gazetteer = gazetteer
        self._embedder = embedder
        self._engines = engines

    def use_gazetteer(self, gazetteer: Gazetteer) -> None:
        """Switch to another gazetteer (after an import); engines and other models stay."""
        self._gazetteer = gazetteer
        for name in ("gazetteer", "recognizer", "gazetteer_version"):
            self.__dict__.pop(name, None)

    # ---------------------------------------------------------------- models

    @cached_property
    def gazetteer(self) -> Gazetteer:
        """Bundled and imported entities."""
        return self._gazetteer or gazetteer_for(self.store)

    @cached_property
    def recognizer(self) -> EntityRecognizer:
        """Entity recognition: gazetteer + rules + the engines installed."""
        engines = self._engines if self._engines is not None else default_engines()
        self._engines = engines
        return EntityRecognizer(gazetteer=self.gazetteer, engines=engines)

    @cached_property
    def figure_extractor(self) -> FigureExtractor:
        """Key figures in vi/en/zh."""
        return FigureExtractor()

    @cached_property
    def embedder(self) -> Embedder:
        """Multilingual sentence embeddings (multilingual-e5-small by default)."""
        return self._embedder or E5Embedder()

    @cached_property
    def topic_model(self) -> TopicModel:
        """The trained model named by `topics_model`, else the taxonomy's zero-shot model."""
        path = self.settings.topics_taxonomy
        taxonomy = Taxonomy.load(Path(path) if path else None)
        model_dir = Path(self.settings.topics_model) if self.settings.topics_model else None
        return load_topic_model(model_dir, taxonomy, embedder=self.embedder)

    def new_story_stage(self) -> StoryStage:
        """Online story assignment over the stored stories (fresh state for each run)."""
        return StoryStage(
            self.results,
            load_items=self._load_story_items,
            window=timedelta(days=self.settings.story_window_days),
            office_language=self.settings.office_language,
        )

    def versions(self, stages: Sequence[str] = STAGES) -> dict[str, str]:
        """The version string each stage records with its output."""
        out: dict[str, str] = {}
        for stage in stages:
            if stage == "entities":
                engines = ",".join(
                    f"{lang}:{e.version}" for lang, e in sorted(self.recognizer.engines.items())
                )
                rules = _source_fingerprint(entities_module, entity_rules, entity_rules_zh)
                out[stage] = f"rules-{rules};{engines};gaz-{self.gazetteer_version}"
            elif stage == "figures":
                rules = _source_fingerprint(figures_module)
                out[stage] = f"{self.figure_extractor.version}-{rules}"
            elif stage == "embeddings":
                out[stage] = f"{self.embedder.name}-{self.embedder.version}"
            elif stage == "topics":
                out[stage] = f"{self.topic_model.name}-{self.topic_model.version}"
            elif stage == "stories":
                out[stage] = self.new_story_stage().version
        return out

    @cached_property
    def gazetteer_version(self) -> str:
        """Fingerprint of the gazetteer in use."""
        return gazetteer_version(self.gazetteer)

    # ---------------------------------------------------------------- running

    def run(
        self,
        ids: Sequence[int] | None = None,
        since: datetime | None = None,
        stages: Sequence[str] | None = None,
        force: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> AnalysisReport:
        """Run the chosen stages (all by default) on the chosen articles (all originals by
        default) where their output is missing or stale; `force` reruns them regardless."""
        chosen = list(stages or STAGES)
        for stage in chosen:
            if stage not in STAGES:
                raise UsageError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        report = AnalysisReport()
        candidates = self.results.candidates(since=since, ids=ids)
        if not candidates:
            return report
        todo = self._todo(candidates, chosen, force)
        order = [i for i in candidates if any(i in todo[s] for s in todo)]
        report.articles = len(order)
        report.stages = {s: len(todo[s]) for s in STAGES if s in todo}
        if not order:
            return report
        versions = self.versions([s for s in STAGES if s in todo])
        stories = self.new_story_stage()
        if todo.get("stories"):
            first = self.results.inputs([next(i for i in order if i in todo["stories"])])[0]
            stories.prepare(sorted(todo["stories"]), first.when)
        done = 0
        chunks = [order[at : at + BATCH] for at in range(0, len(order), BATCH)]
        # One worker thread embeds the next batch while this one runs through entity
        # recognition and the other stages: numpy's matrix products release the GIL, so the
        # two use both cores of a small machine from one process, one BLAS thread each.
        with (
            blas_threads(1),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="hoasen-embed") as worker,
        ):
            try:
                upcoming = self._batch(chunks[0], todo, worker)
                for k in range(len(chunks)):
                    batch = upcoming
                    if k + 1 < len(chunks):
                        upcoming = self._batch(chunks[k + 1], todo, worker)
                    with self.store.begin() as conn:
                        for stage in STAGES:
                            members = [x for x in batch.items if x.id in todo.get(stage, ())]
                            if members:
                                started = time.perf_counter()
                                self._run_stage(stage, conn, batch, members, stories)
                                spent = time.perf_counter() - started
                                report.seconds[stage] = report.seconds.get(stage, 0.0) + spent
                                self.results.mark_done(
                                    conn, stage, versions[stage], [x.id for x in members]
                                )
                    done += len(batch.items)
                    if progress:
                        progress(done, len(order))
            finally:  # on an error, embed nothing more for batches that will not be stored
                worker.shutdown(cancel_futures=True)
        report.stories_created = stories.created
        return report

    def _batch(
        self, ids: list[int], todo: dict[str, set[int]], worker: ThreadPoolExecutor
    ) -> Batch:
        """The batch of `ids`, its embeddings queued on `worker` in parts."""
        batch = Batch(self.results.inputs(ids))
        members = [x for x in batch.items if x.id in todo.get("embeddings", ())]
        texts = [embedding_text(x.title, x.text) for x in members]
        for at in range(0, len(texts), EMBED_CHUNK):
            part = texts[at : at + EMBED_CHUNK]
            batch.embedding.append((worker.submit(self.embedder.embed, part), part))
        return batch

    def _todo(self, candidates: list[int], chosen: list[str], force: bool) -> dict[str, set[int]]:
        """Per stage, the articles to process (chosen stages plus the inputs they lack)."""
        todo: dict[str, set[int]] = {}
        for stage in chosen:
            version = self.versions([stage])[stage]
            done = set() if force else self.results.done(stage, version, candidates)
            todo[stage] = set(candidates) - done
        for stage in chosen:
            for need in NEEDS.get(stage, ()):
                if need in todo or not todo[stage]:
                    continue
                have = self._any_version(need, sorted(todo[stage]))
                missing = todo[stage] - have
                if missing:
                    todo[need] = missing
        return todo

    def _any_version(self, stage: str, ids: list[int]) -> set[int]:
        """Which of `ids` have `stage` output from any version (good enough as an input)."""
        found: set[int] = set()
        for versions in self.results.stage_versions().get(stage, {}):
            found |= self.results.done(stage, versions, ids)
        return found

    def _run_stage(
        self,
        stage: str,
        conn: Any,
        batch: Batch,
        members: list[AnalysisInput],
        stories: StoryStage,
    ) -> None:
        # Each stage writes its output for the whole batch at once (one DELETE, one INSERT).
        if stage == "entities":
            found = self.recognizer.recognize_many(
                [(analysis_text(x.title, x.text), x.language or "und") for x in members]
            )
            batch.mentions.update(zip([x.id for x in members], found, strict=True))
            rows = {x.id: [_mention_row(m) for m in batch.mentions[x.id]] for x in members}
            self.results.replace_all(conn, schema.entity_mentions, rows)
        elif stage == "figures":
            for x in members:
                text = analysis_text(x.title, x.text)
                batch.figures[x.id] = self.figure_extractor.extract(text, x.language)
            rows = {x.id: [_figure_row(f) for f in batch.figures[x.id]] for x in members}
            self.results.replace_all(conn, schema.article_figures, rows)
        elif stage == "embeddings":
            # Parts the worker has not started yet are embedded here rather than waited for.
            vectors = np.concatenate(
                [
                    self.embedder.embed(texts) if future.cancel() else future.result()
                    for future, texts in batch.embedding
                ]
            )
            name, dim = self.embedder.name, self.embedder.dim
            for x, vector in zip(members, vectors, strict=True):
                batch.vectors[x.id] = vector
            rows = {
                x.id: [{"model": name, "dim": dim, "vector": to_blob(batch.vectors[x.id])}]
                for x in members
            }
            self.results.replace_all(conn, schema.article_embeddings, rows)
        elif stage == "topics":
            vectors = self._vectors(batch, members)
            predicted = self.topic_model.predict(
                [analysis_text(x.title, x.text) for x in members],
                [x.language for x in members],
                embeddings=vectors,
            )
            rows = {
                x.id: [{"topic": label, "score": float(score)} for label, score in topics]
                for x, topics in zip(members, predicted, strict=True)
            }
            self.results.replace_all(conn, schema.article_topics, rows)
        elif stage == "stories":
            stories.assign(conn, self._story_items(batch, members))

    # ---------------------------------------------------------------- earlier-stage output

    def _vectors(self, batch: Batch, members: list[AnalysisInput]) -> np.ndarray:
        missing = [x.id for x in members if x.id not in batch.vectors]
        if missing:
            for i, blob in self.results.embeddings(missing, self.embedder.name).items():
                batch.vectors[i] = from_blob(blob, self.embedder.dim)
        lacking = [x for x in members if x.id not in batch.vectors]
        if lacking:  # stored by another embedding model: embed again
            fresh = self.embedder.embed([embedding_text(x.title, x.text) for x in lacking])
            for x, vector in zip(lacking, fresh, strict=True):
                batch.vectors[x.id] = vector
        return np.stack([batch.vectors[x.id] for x in members])

    def _mentions(self, batch: Batch, members: list[AnalysisInput]) -> dict[int, list[Mention]]:
        missing = [x.id for x in members if x.id not in batch.mentions]
        if missing:
            for i, rows in self.results.mentions(missing).items():
                batch.mentions[i] = [_as_mention(r) for r in rows]
        return {x.id: batch.mentions.get(x.id, []) for x in members}

    def _figures(self, batch: Batch, members: list[AnalysisInput]) -> dict[int, list[Figure]]:
        missing = [x.id for x in members if x.id not in batch.figures]
        if missing:
            for i, rows in self.results.figures(missing).items():
                batch.figures[i] = [
                    Figure(r.text, r.value, r.unit, r.scale, r.subject, 0, 0) for r in rows
                ]
        return {x.id: batch.figures.get(x.id, []) for x in members}

    def _story_items(
        self, batch: Batch, members: list[AnalysisInput]
    ) -> list[tuple[StoryItem, str | None]]:
        """What the clusterer needs of each article, with the article's country."""
        vectors = self._vectors(batch, members)
        mentions = self._mentions(batch, members)
        figures = self._figures(batch, members)
        return [
            (
                StoryItem(
                    article_id=x.id,
                    vector=vector,
                    when=x.when,
                    language=x.language,
                    entities=entity_keys(mentions[x.id]),
                    numbers=number_keys(analysis_text(x.title, x.text), figures[x.id]),
                    source=x.source,
                    title=x.title,
                    length=estimate_tokens(analysis_text(x.title, x.text)),
                ),
                input_country(x),
            )
            for x, vector in zip(members, vectors, strict=True)
        ]

    def _load_story_items(self, ids: Sequence[int]) -> list[tuple[StoryItem, str | None]]:
        """Story items of stored articles (to rebuild a story from its members)."""
        out: list[tuple[StoryItem, str | None]] = []
        for at in range(0, len(ids), BATCH):
            batch = Batch(self.results.inputs(ids[at : at + BATCH]))
            out += self._story_items(batch, batch.items)
        return out


def _source_fingerprint(*modules: ModuleType) -> str:
    """Short hash of modules' source: rule changes change the version a stage records."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()[:8]


def _mention_row(m: Mention) -> dict[str, Any]:
    return {
        "entity_id": m.entity,
        "text": m.text[:1000],
        "type": m.type,
        "start": m.start,
        "end": m.end,
        "origin": m.source[:20],
    }


def _figure_row(f: Figure) -> dict[str, Any]:
    return {
        "text": f.text[:500],
        "value": f.value,
        "unit": f.unit,
        "scale": f.scale,
        "subject": f.subject,
        "start": f.start,
        "end": f.end,
    }


def _as_mention(row: StoredMention) -> Mention:
    return Mention(row.text, row.type, row.start, row.end, row.entity_id, row.origin)
