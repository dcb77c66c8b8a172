"""Poll the due sources concurrently and hand each source's items over as soon as it is done.

The fetching (feeds, pages, robots.txt) runs on an event loop in a background thread, bounded
globally and per host by `SafeFetcher`. The caller's thread receives each finished source, calls
`handle` with its items (synchronously, one source at a time) and records the source's health.
Keeping the slow part (ingest: extraction, language, dedupe) off the event loop means it never
stalls the downloads, so it cannot make in-flight requests time out, and it never runs in
another thread than the caller's. At most `_sources_in_progress` sources are fetched or waiting
to be handled at once, so memory stays bounded when ingest is slower than the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from sqlalchemy.pool import SingletonThreadPool

from hoasen.errors import InputRejected
from hoasen.ingest.feeds import feed_items, page_item
from hoasen.ingest.http import HostTurns, SafeFetcher
from hoasen.models import ItemError, RawInput
from hoasen.settings import Settings
from hoasen.store.db import Source, Store

T = TypeVar("T")

Handle = Callable[[Source, list[RawInput | ItemError]], None]


@dataclass
class PollOutcome:
    """How one source's poll went. `items` counts what was handed to the handler."""

    source: Source
    ok: bool
    error: str | None
    items: int
    not_modified: bool


@dataclass
class _Polled:
    source: Source
    items: list[RawInput | ItemError]
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


def poll_due(
    store: Store,
    settings: Settings,
    handle: Handle,
    now: datetime | None = None,
    names: Sequence[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Callable[[int, int], None] | None = None,
    turns: HostTurns | None = None,
) -> list[PollOutcome]:
    """Poll every due source (or exactly the `names` given, due or not) and return one outcome
    per source, in the order they finished; health and cache keys are recorded in the store."""
    if names is not None:
        sources = [store.get_source(name) for name in dict.fromkeys(names)]
        # a partner's exchange source has a urn:, not an address: its content comes through
        # the exchange inbox or a watched folder, never by polling
        sources = [s for s in sources if s.kind != "exchange"]
    else:
        when = now or datetime.now(UTC)
        sources = [s for s in store.list_sources() if s.is_due(when)]
    if not sources:
        return []
    poller = _Poller(store, settings, handle, transport, progress, turns)
    return poller.run(interleave_hosts(sources))


def interleave_hosts(sources: Sequence[Source]) -> list[Source]:
    """Round-robin the sources over their hosts, so that the sources fetched first are spread
    over many sites instead of queueing behind one site's per-host limit."""
    by_host: dict[str, list[Source]] = {}
    for source in sources:
        by_host.setdefault((urlsplit(source.url).hostname or "").lower(), []).append(source)
    queues = list(by_host.values())
    out: list[Source] = []
    for depth in range(max(len(q) for q in queues)):
        out.extend(q[depth] for q in queues if depth < len(q))
    return out


class _Poller:
    """One poll run: a fetching thread with its event loop, and the caller's handling loop."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        handle: Handle,
        transport: httpx.AsyncBaseTransport | None,
        progress: Callable[[int, int], None] | None,
        turns: HostTurns | None = None,
    ) -> None:
        self.turns = turns
        self.store = store
        self.settings = settings
        self.handle = handle
        self.transport = transport
        self.progress = progress
        self._sources_in_progress = max(64, 4 * settings.http_concurrency)
        self._results: queue.Queue[_Polled | BaseException] = queue.Queue()
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._slots: asyncio.Semaphore | None = None
        # An in-memory SQLite database exists once per thread: don't look URLs up from another.
        shared_db = not isinstance(store.engine.pool, SingletonThreadPool)
        self._skip_url: Callable[[str], bool] = store.url_known if shared_db else _never

    def run(self, sources: list[Source]) -> list[PollOutcome]:
        """Fetch in the background; handle and record each source here as it finishes."""
        thread = threading.Thread(
            target=self._thread_main, args=(sources,), name="hoasen-poll", daemon=True
        )
        thread.start()
        outcomes: list[PollOutcome] = []
        try:
            for _ in sources:
                got = self._results.get()
                if isinstance(got, BaseException):
                    raise got
                outcomes.append(_finish(self.store, self.handle, got))
                self._call_in_loop(self._release_slot)
                if self.progress is not None:
                    self.progress(len(outcomes), len(sources))
        finally:
            self._call_in_loop(self._cancel)
            thread.join()
        return outcomes

    # ---------------------------------------------------------------- fetching thread

    def _thread_main(self, sources: list[Source]) -> None:
        try:
            asyncio.run(self._fetch_all(sources))
        except asyncio.CancelledError:
            pass  # the caller stopped early (its handler raised); nothing is waiting
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            self._results.put(exc)
        finally:
            self._started.set()

    async def _fetch_all(self, sources: list[Source]) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._slots = asyncio.Semaphore(self._sources_in_progress)
        self._started.set()
        async with SafeFetcher(self.settings, self.transport, self.turns) as fetcher:
            await asyncio.gather(*(self._fetch_one(fetcher, s) for s in sources))

    async def _fetch_one(self, fetcher: SafeFetcher, source: Source) -> None:
        assert self._slots is not None
        await self._slots.acquire()  # released by the caller once the source is handled
        self._results.put(await _poll_one(fetcher, self.settings, source, self._skip_url))

    def _release_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _call_in_loop(self, callback: Callable[[], None]) -> None:
        """Run `callback` on the fetching loop (if it is still running)."""
        self._started.wait()
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # closed in between: nothing left to do
            loop.call_soon_threadsafe(callback)


def _never(url: str) -> bool:
    return False


async def _poll_one(
    fetcher: SafeFetcher, settings: Settings, source: Source, skip_url: Callable[[str], bool]
) -> _Polled:
    """Fetch one source; every failure becomes the source's error, never the whole run's."""
    try:
        if source.kind == "site":
            return _Polled(source, [await page_item(fetcher, source.url, source.name)])
        polled = await feed_items(
            fetcher,
            source.url,
            source_name=source.name,
            etag=source.etag,
            last_modified=source.last_modified,
            max_entries=settings.feed_max_entries,
            skip_url=skip_url,
        )
    except InputRejected as exc:
        return _Polled(source, [], error=exc.reason)
    except Exception as exc:  # one odd source must not stop a thousand others
        return _Polled(source, [], error=f"internal error: {type(exc).__name__}: {exc}")
    return _Polled(
        source,
        polled.items,
        etag=polled.etag,
        last_modified=polled.last_modified,
        not_modified=polled.not_modified,
    )


def _finish(store: Store, handle: Handle, polled: _Polled) -> PollOutcome:
    """Hand the items over, then record the source's health (so a crash re-polls next time)."""
    source = polled.source
    if polled.error is None and polled.items:
        handle(source, polled.items)
    store.record_poll(
        source.id,
        ok=polled.error is None,
        error=polled.error,
        etag=polled.etag,
        last_modified=polled.last_modified,
    )
    return PollOutcome(
        source=source,
        ok=polled.error is None,
        error=polled.error,
        items=len(polled.items),
        not_modified=polled.not_modified,
    )


def run_async(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion from synchronous code (in a worker thread when an event
    loop is already running in this thread, e.g. inside a web handler or notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_as_coroutine(coro))
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(_as_coroutine(coro))
        except BaseException as exc:  # handed back to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=runner, name="hoasen-run-async")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable
