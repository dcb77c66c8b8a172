"""Parsing a large ingest on every CPU core: pages are parsed (decoded, extracted, cleaned, their
language detected) in worker processes while the ingesting process stores the batch before.

Parsing is pure (bytes in, an `Article` or a reason out) and is most of an ingest's CPU time
(trafilatura, readability, metadata, language), so a back-fill of many pages scales with the
cores; storing stays in one process, in order, so duplicates and boilerplate are judged exactly
as in a serial run. The workers are started with "spawn" (safe beside the web server's and the
task worker's threads) and each builds its own language detector once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TYPE_CHECKING

from hoasen.errors import InputRejected
from hoasen.models import Article, RawInput
from hoasen.settings import Settings

if TYPE_CHECKING:
    from hoasen.analyze.language import LanguageDetector

#: Items handed to a worker at a time (fewer round trips; small enough to keep cores even).
_CHUNK = 4


@dataclass(frozen=True)
class Parsed:
    """One input's parse: the article, or the reason it was rejected."""

    article: Article | None
    reason: str | None = None


def process_count(settings: Settings) -> int:
    """Worker processes for a large ingest: the setting, or one per usable core when 0."""
    if settings.ingest_processes > 0:
        return settings.ingest_processes
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ParsePool:
    """Worker processes that parse inputs; submit a batch, collect it later (a Future)."""

    def __init__(self, settings: Settings, processes: int) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(settings,),
        )
        self.processes = processes
        self.broken = False  # set when a worker died: the ingest parses the rest itself

    def submit(self, items: Sequence[RawInput]) -> Future[list[Parsed]]:
        """Start parsing `items` in the workers; the Future gives one Parsed per item, in order
        (or raises BrokenProcessPool when a worker died)."""
        joined: Future[list[Parsed]] = Future()
        try:
            futures = [self._executor.submit(_parse_chunk, chunk) for chunk in _chunks(items)]
        except BrokenProcessPool as exc:
            joined.set_exception(exc)
            return joined
        _join(futures, joined)
        return joined

    def close(self) -> None:
        """Stop the workers (waits for nothing still queued)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def _chunks(items: Sequence[RawInput]) -> list[list[RawInput]]:
    return [list(items[i : i + _CHUNK]) for i in range(0, len(items), _CHUNK)]


def _join(parts: list[Future[list[Parsed]]], joined: Future[list[Parsed]]) -> None:
    """Resolve `joined` with the parts' lists once all are done (or with the first failure)."""
    remaining = [len(parts)]

    def done(_part: Future[list[Parsed]]) -> None:
        remaining[0] -= 1
        if remaining[0] > 0 or joined.done():
            return
        failed = next((p.exception() for p in parts if p.exception() is not None), None)
        if failed is not None:
            joined.set_exception(failed)
        else:
            joined.set_result([parsed for part in parts for parsed in part.result()])

    if not parts:
        joined.set_result([])
    for part in parts:
        part.add_done_callback(done)


# --- inside a worker process ------------------------------------------------------------------


class _Worker:
    """What one worker process keeps between chunks: the settings and its language detector."""

    def __init__(self, settings: Settings) -> None:
        from hoasen.analyze.language import make_detector

        self.settings = settings
        self.detector: LanguageDetector = make_detector(settings)


# One per worker process, set by the pool's initializer (a spawned process runs nothing else).
_WORKER: list[_Worker] = []


def _start_worker(settings: Settings) -> None:
    _WORKER.append(_Worker(settings))


def _parse_chunk(items: list[RawInput]) -> list[Parsed]:
    from hoasen.ingest.pipeline import prepare

    worker = _WORKER[0]
    out: list[Parsed] = []
    for item in items:
        try:
            out.append(Parsed(prepare(item, worker.settings, worker.detector)))
        except InputRejected as exc:
            out.append(Parsed(None, exc.reason))
    return out


__all__ = ["BrokenProcessPool", "ParsePool", "Parsed", "process_count"]
