"""Parsing a large ingest on every CPU core: pages are parsed (decoded, extracted, cleaned, their
language detected) in worker processes while the ingesting process stores the batch before.

Parsing is pure (bytes in, an `Article` or a reason out) and is most of an ingest's CPU time
(trafilatura, readability, metadata, language), so a back-fill of many pages scales with the
cores; storing stays in one process, in order, so duplicates and boilerplate are judged exactly
as in a serial run. Workers are forked from a single-threaded process (a CLI ingest: they start at
once with the loaded models) and spawned otherwise (safe beside the web server's and the task
worker's threads; each then builds its own language detector once).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
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


#: Most workers `ingest_processes` = 0 starts: each holds ~0.5-0.9 GB (parsers, language models).
AUTO_MAX = 4


def process_count(settings: Settings) -> int:
    """Worker processes for a large ingest: the setting, or one per usable core (at most
    AUTO_MAX) when 0."""
    if settings.ingest_processes > 0:
        return settings.ingest_processes
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, AUTO_MAX)


class ParsePool:
    """Worker processes that parse inputs; submit a batch, collect it later (a Future)."""

    def __init__(
        self,
        settings: Settings,
        processes: int,
        detector: LanguageDetector | None = None,
        start_method: str | None = None,
    ) -> None:
        self.start_method = start_method or _start_method()
        inherited = detector if self.start_method == "fork" else None  # spawn: built anew
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=get_context(self.start_method),
            initializer=_start_worker,
            initargs=(settings, inherited),
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


def _start_method() -> str:
    """ "fork" from a single-threaded process (a CLI ingest: the workers start at once with the
    modules and language models already loaded), else "spawn" (forking a process that runs other
    threads, such as the web server or a task worker, can copy a lock held mid-use)."""
    if threading.active_count() == 1 and "fork" in get_all_start_methods():
        return "fork"
    return "spawn"


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

    def __init__(self, settings: Settings, detector: LanguageDetector | None) -> None:
        from hoasen.analyze.language import make_detector

        self.settings = settings
        self.detector: LanguageDetector = detector or make_detector(settings)


# One per worker process, set by the pool's initializer (a spawned process runs nothing else).
_WORKER: list[_Worker] = []


def _start_worker(settings: Settings, detector: LanguageDetector | None) -> None:
    _WORKER.append(_Worker(settings, detector))


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
