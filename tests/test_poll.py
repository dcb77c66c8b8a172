"""poll_due against a real Store (SQLite and PostgreSQL) and a loopback news server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from hoasen.errors import NotFoundError
from hoasen.ingest.poll import PollOutcome, interleave_hosts, poll_due, run_async
from hoasen.models import Article, ItemError, RawInput
from hoasen.settings import Settings
from hoasen.store.db import Source, Store
from hoasen.store.schema import utcnow
from transport_server import LoopbackServer, Reply, Seen


class Recorder:
    """A `handle` that keeps what it was given, and in which thread."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[RawInput | ItemError]]] = []
        self.threads: set[str] = set()

    def __call__(self, source: Source, items: list[RawInput | ItemError]) -> None:
        self.calls.append((source.name, items))
        self.threads.add(threading.current_thread().name)

    def names(self) -> list[str]:
        return sorted(name for name, _ in self.calls)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


def serve_feed(server: LoopbackServer, name: str, etag: str | None = None) -> str:
    """A one-entry RSS feed at /NAME.xml whose entry page is /NAME/1.html."""
    page = server.url(f"/{name}/1.html")
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        f"<item><title>{name} story</title><link>{page}</link>"
        f"<description>short</description></item></channel></rss>"
    ).encode()

    def feed(seen: Seen) -> Reply:
        if etag is not None and seen.headers.get("if-none-match") == etag:
            return Reply(304, content_type=None)
        headers = {"ETag": etag} if etag else {}
        return Reply(body=body, content_type="application/rss+xml", headers=headers)

    server.routes[f"/{name}.xml"] = feed
    server.routes[f"/{name}/1.html"] = Reply(body=server.fixture("page.html"))
    return server.url(f"/{name}.xml")


def test_due_and_not_due(store: Store, settings: Settings, server: LoopbackServer) -> None:
    fresh = store.add_source(serve_feed(server, "fresh"), "fresh", poll_minutes=60)
    hourly = store.add_source(serve_feed(server, "hourly"), "hourly", poll_minutes=60)
    quarter = store.add_source(serve_feed(server, "quarter"), "quarter", poll_minutes=15)
    store.record_poll(hourly.id, ok=True)
    store.record_poll(quarter.id, ok=True)
    handle = Recorder()
    later = utcnow() + timedelta(minutes=30)
    outcomes = poll_due(store, settings, handle, now=later)
    assert sorted(o.source.name for o in outcomes) == ["fresh", "quarter"]
    assert all(o.ok and o.items == 1 and not o.not_modified for o in outcomes)
    assert handle.names() == ["fresh", "quarter"]
    assert "/hourly.xml" not in server.paths()
    assert fresh.last_polled is None and store.get_source("fresh").last_polled is not None
    # Nothing is due right after a poll.
    assert poll_due(store, settings, Recorder(), now=utcnow()) == []


def test_items_handed_over_in_the_callers_thread(
    store: Store, settings: Settings, server: LoopbackServer
) -> None:
    store.add_source(serve_feed(server, "one"), "one")
    handle = Recorder()
    poll_due(store, settings, handle)
    ((name, items),) = handle.calls
    assert name == "one"
    (item,) = items
    assert isinstance(item, RawInput)
    assert item.url == server.url("/one/1.html")
    assert item.source_name == "one"
    assert handle.threads == {threading.current_thread().name}


def test_health_recorded(store: Store, settings: Settings, server: LoopbackServer) -> None:
    url = server.url("/flaky.xml")
    store.add_source(url, "flaky")
    handle = Recorder()

    def poll_once() -> PollOutcome:
        (outcome,) = poll_due(store, settings, handle, names=["flaky"])
        return outcome

    first = poll_once()
    assert (first.ok, first.error) == (False, "HTTP 404 Not Found")
    source = store.get_source("flaky")
    assert source.consecutive_failures == 1
    assert source.last_error == "HTTP 404 Not Found"
    assert source.last_success is None
    assert poll_once().ok is False
    assert store.get_source("flaky").consecutive_failures == 2
    serve_feed(server, "flaky")
    assert poll_once().ok is True
    healed = store.get_source("flaky")
    assert healed.consecutive_failures == 0
    assert healed.last_error is None
    assert healed.last_success is not None
    assert handle.names() == ["flaky"]  # failures hand nothing over


def test_etag_stored_and_sent(store: Store, settings: Settings, server: LoopbackServer) -> None:
    store.add_source(serve_feed(server, "tagged", etag='"v7"'), "tagged")
    handle = Recorder()
    (first,) = poll_due(store, settings, handle)
    assert first.ok and not first.not_modified
    assert store.get_source("tagged").etag == '"v7"'
    (second,) = poll_due(store, settings, handle, names=["tagged"])
    assert second.ok and second.not_modified and second.items == 0
    feed_requests = [s for s in server.seen if s.path == "/tagged.xml"]
    assert "if-none-match" not in feed_requests[0].headers
    assert feed_requests[1].headers["if-none-match"] == '"v7"'
    assert len(handle.calls) == 1
    assert server.paths().count("/tagged/1.html") == 1
    assert store.get_source("tagged").etag == '"v7"'  # kept after a 304


def test_known_urls_not_fetched_again(
    store: Store, settings: Settings, server: LoopbackServer
) -> None:
    store.add_source(serve_feed(server, "seen"), "seen")
    with store.begin() as conn:
        store.add_article(
            conn,
            Article(title="t", text="x", url=server.url("/seen/1.html")),
            content_hash="h",
            raw_id=None,
            source_id=None,
        )
    handle = Recorder()
    (outcome,) = poll_due(store, settings, handle)
    assert outcome.ok and outcome.items == 0
    assert "/seen/1.html" not in server.paths()
    assert handle.calls == []


def test_site_source(store: Store, settings: Settings, server: LoopbackServer) -> None:
    server.routes["/front"] = Reply(body=server.fixture("page.html"))
    store.add_source(server.url("/front"), "front page", kind="site")
    handle = Recorder()
    (outcome,) = poll_due(store, settings, handle)
    assert outcome.ok and outcome.items == 1
    ((_, (item,)),) = handle.calls
    assert isinstance(item, RawInput) and item.fmt == "html"


def test_names_and_unknown_name(store: Store, settings: Settings, server: LoopbackServer) -> None:
    store.add_source(serve_feed(server, "a"), "a")
    store.add_source(serve_feed(server, "b"), "b")
    handle = Recorder()
    outcomes = poll_due(store, settings, handle, names=["b"])
    assert [o.source.name for o in outcomes] == ["b"]
    with pytest.raises(NotFoundError):
        poll_due(store, settings, handle, names=["nope"])


def test_many_sources_with_progress(
    sqlite_store: Store, settings: Settings, server: LoopbackServer
) -> None:
    for i in range(12):
        sqlite_store.add_source(serve_feed(server, f"f{i}"), f"f{i}")
    sqlite_store.add_source(server.url("/broken.xml"), "broken")
    server.routes["/broken.xml"] = Reply(body=b"<html><body>oops</body></html>")
    seen: list[tuple[int, int]] = []
    handle = Recorder()
    outcomes = poll_due(
        sqlite_store, settings, handle, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(n, 13) for n in range(1, 14)]
    failed = [o for o in outcomes if not o.ok]
    assert [(o.source.name, o.error) for o in failed] == [
        ("broken", "malformed feed: this is a web page (HTML), not a feed")
    ]
    assert len(handle.calls) == 12


def test_run_async_inside_a_running_loop() -> None:
    async def answer() -> int:
        return 42

    async def outer() -> int:
        return run_async(answer())  # e.g. a sync helper called from an async web handler

    assert run_async(answer()) == 42
    assert asyncio.run(outer()) == 42


def test_handler_error_stops_the_poll(
    sqlite_store: Store, settings: Settings, server: LoopbackServer
) -> None:
    for i in range(5):
        sqlite_store.add_source(serve_feed(server, f"h{i}"), f"h{i}")

    def broken(source: Source, items: list[RawInput | ItemError]) -> None:
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError, match="handler bug"):
        poll_due(sqlite_store, settings, broken)
    # The source whose handling failed is not recorded as polled, so it is tried again.
    assert sum(s.last_polled is None for s in sqlite_store.list_sources()) >= 1
    assert not any(t.name == "hoasen-poll" for t in threading.enumerate())


def test_in_memory_database(settings: Settings, server: LoopbackServer) -> None:
    store = Store.open("sqlite://")
    try:
        store.add_source(serve_feed(server, "mem"), "mem")
        handle = Recorder()
        (outcome,) = poll_due(store, settings, handle)
        assert outcome.ok and outcome.items == 1
        assert store.get_source("mem").last_success is not None
    finally:
        store.close()


def _source(id: int, url: str) -> Source:
    return Source(
        id=id,
        name=f"s{id}",
        url=url,
        kind="feed",
        country=None,
        language=None,
        foreign=False,
        partner=False,
        poll_minutes=60,
        etag=None,
        last_modified=None,
        last_polled=None,
        last_success=None,
        last_error=None,
        consecutive_failures=0,
    )


def test_interleave_hosts() -> None:
    urls = [
        "http://a.example/1",
        "http://a.example/2",
        "http://a.example/3",
        "http://b.example/1",
        "https://C.example/1",
        "http://b.example/2",
    ]
    order = [s.url for s in interleave_hosts([_source(i, u) for i, u in enumerate(urls)])]
    assert order == [
        "http://a.example/1",
        "http://b.example/1",
        "https://C.example/1",
        "http://a.example/2",
        "http://b.example/2",
        "http://a.example/3",
    ]
