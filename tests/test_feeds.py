"""Feed parsing (RSS, Atom, JSON Feed) and feed/page polling against loopback servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from hoasen.errors import FetchError, InputRejected
from hoasen.ingest.feeds import (
    FeedEntry,
    FeedPoll,
    entry_to_raw,
    feed_items,
    page_item,
    parse_feed,
)
from hoasen.ingest.formats import parse
from hoasen.ingest.http import SafeFetcher
from hoasen.models import ItemError, RawInput
from hoasen.settings import Settings
from transport_server import TRANSPORT_FIXTURES, LoopbackServer, Reply

T = TypeVar("T")
BASE = "http://news.example"
LONG_TEXT = (
    "The provincial people's committee approved a plan to upgrade the coastal road, "
    "with construction starting in May and finishing before the rainy season of next year. "
    "Officials said the project will cut travel time between the port and the airport by half."
)


def fixture(name: str) -> bytes:
    return (TRANSPORT_FIXTURES / name).read_bytes()


def with_fetcher(settings: Settings, work: Callable[[SafeFetcher], Awaitable[T]]) -> T:
    async def go() -> T:
        async with SafeFetcher(settings) as fetcher:
            return await work(fetcher)

    return asyncio.run(go())


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


# ---------------------------------------------------------------------- parse_feed


def test_rss2() -> None:
    feed = parse_feed(fixture("rss2.xml"), f"{BASE}/rss")
    assert feed.title == "Báo Thử Nghiệm"
    assert [e.link for e in feed.entries] == [f"{BASE}/a/1.html", f"{BASE}/a/2.html", None]
    first, second, _ = feed.entries
    assert first.title == "Hội nghị xúc tiến đầu tư tại Đà Nẵng"
    assert first.published == datetime(2025, 3, 4, 1, 30, tzinfo=UTC)
    assert first.author == "Nguyễn Văn An"
    assert first.content_html is not None and "300 doanh nghiệp" in first.content_html
    assert second.author == "Jane Roe"  # from "desk@news.example (Jane Roe)"
    assert second.content_html == "Container volumes grew."


def test_rss1() -> None:
    feed = parse_feed(fixture("rss1.rdf"), f"{BASE}/rss1")
    assert feed.title == "RSS 1.0 test feed"
    assert [e.title for e in feed.entries] == ["Neue Brücke eröffnet", "Zweite Meldung"]
    assert feed.entries[0].link == f"{BASE}/r/1.html"
    assert feed.entries[0].published == datetime(2025, 2, 1, 8, 15, tzinfo=UTC)
    assert feed.entries[0].author == "Max Mustermann"


def test_rss091() -> None:
    data = (
        b'<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>'
        b"<link>http://news.example/</link><description>d</description>"
        b"<item><title>Legacy item</title><link>http://news.example/old/1</link>"
        b"<description>Old style.</description></item></channel></rss>"
    )
    feed = parse_feed(data)
    assert [(e.title, e.link) for e in feed.entries] == [("Legacy item", f"{BASE}/old/1")]


def test_atom() -> None:
    feed = parse_feed(fixture("atom.xml"), f"{BASE}/atom")
    assert feed.title == "Atom test feed"
    first, second = feed.entries
    assert first.link == f"{BASE}/z/1.html"  # relative href resolved against xml:base
    assert first.title == "港口吞吐量创新高"
    assert first.published == datetime(2025, 1, 10, 0, 0, tzinfo=UTC)
    assert first.author == "李明"
    assert first.content_html is not None and "百分之十二" in first.content_html
    assert second.published == datetime(2025, 1, 9, 7, 0, tzinfo=UTC)  # <updated> only


def test_json_feed() -> None:
    feed = parse_feed(fixture("feed.json"), f"{BASE}/feed.json")
    assert feed.title == "JSON Feed test"
    first, second = feed.entries
    assert first.link == f"{BASE}/j/1.html"
    assert first.published == datetime(2025, 3, 1, 11, 0, tzinfo=UTC)
    assert first.author == "Tran Thi Binh"
    assert second.link == f"{BASE}/j/2.html"  # relative url resolved
    assert second.author == "Feed Desk"  # the feed's authors when the item has none
    assert second.content_html == "<p>First paragraph.</p><p>Second paragraph.</p>"


def test_feed_without_entries_is_a_feed() -> None:
    data = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert parse_feed(data).entries == []


def test_script_removed_from_entry_content() -> None:
    data = (
        b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        b"<link>http://news.example/x</link><description>&lt;p&gt;ok&lt;/p&gt;"
        b"&lt;script&gt;alert(1)&lt;/script&gt;</description></item></channel></rss>"
    )
    content = parse_feed(data).entries[0].content_html
    assert content is not None and "ok" in content and "script" not in content


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (fixture("malformed.xml"), "malformed feed: "),
        (fixture("page.html"), "malformed feed: this is a web page (HTML), not a feed"),
        (b"just some words", "malformed feed: "),
        (b"", "malformed feed: "),
        (b'{"title": "not a feed"}', "malformed feed: JSON, but not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "malformed feed: JSON"),
        (b"{broken json", "malformed feed: not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "malformed feed: "),
    ],
)
def test_not_a_feed(data: bytes, reason: str) -> None:
    with pytest.raises(InputRejected) as info:
        parse_feed(data)
    assert info.value.reason.startswith(reason)


def test_file_name_is_never_opened(tmp_path: object) -> None:
    """feedparser opens bytes/str naming a file; parse_feed must treat them as data."""
    with pytest.raises(InputRejected):
        parse_feed(str(TRANSPORT_FIXTURES / "rss2.xml").encode())


@hyp_settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode()))
def test_parse_feed_only_rejects(data: bytes) -> None:
    """Any bytes give a Feed or InputRejected, never another exception."""
    try:
        feed = parse_feed(data)
    except InputRejected as exc:
        assert exc.reason.startswith("malformed feed:")
    else:
        assert isinstance(feed.entries, list)


# ---------------------------------------------------------------------- entry_to_raw


def test_entry_to_raw_documented_json() -> None:
    entry = FeedEntry(
        link=f"{BASE}/x/1.html",
        title="Coastal road upgrade approved",
        published=datetime(2025, 3, 4, 1, 30, tzinfo=UTC),
        author="Jane Roe",
        content_html=f"<p>{LONG_TEXT}</p>",
    )
    raw = entry_to_raw(entry, f"{BASE}/rss", "Test News")
    assert raw.fmt == "json"
    assert raw.url == entry.link and raw.origin == entry.link
    assert raw.source_name == "Test News"
    doc = json.loads(raw.data)
    assert doc == {
        "url": entry.link,
        "title": entry.title,
        "html": entry.content_html,
        "published": "2025-03-04T01:30:00+00:00",
        "author": "Jane Roe",
        "source": "Test News",
    }
    article = parse(raw)
    assert article.title == "Coastal road upgrade approved"
    assert "coastal road" in article.text


# ---------------------------------------------------------------------- feed_items / page_item


def serve_rss(server: LoopbackServer) -> None:
    server.routes["/rss"] = Reply(
        body=server.fixture("rss2.xml"), content_type="application/rss+xml"
    )
    server.routes["/a/1.html"] = Reply(body=server.fixture("page.html"))
    server.routes["/a/2.html"] = Reply(body=server.fixture("page.html"))


def poll(settings: Settings, url: str, **kwargs: object) -> FeedPoll:
    return with_fetcher(settings, lambda f: feed_items(f, url, **kwargs))  # type: ignore[arg-type]


def test_feed_items_follow_pages(settings: Settings, server: LoopbackServer) -> None:
    serve_rss(server)
    server.routes["/rss"] = Reply(
        body=server.fixture("rss2.xml"),
        content_type="application/rss+xml",
        headers={"ETag": '"e1"', "Last-Modified": "Tue, 04 Mar 2025 08:00:00 GMT"},
    )
    polled = poll(settings, server.url("/rss"), source_name="Test News")
    assert polled.etag == '"e1"'
    assert polled.last_modified == "Tue, 04 Mar 2025 08:00:00 GMT"
    assert not polled.not_modified
    pages = [i for i in polled.items if isinstance(i, RawInput)]
    assert [p.url for p in pages] == [server.url("/a/1.html"), server.url("/a/2.html")]
    first = pages[0]
    assert first.fmt == "html"
    assert first.source_name == "Test News"
    assert first.content_type == "text/html; charset=utf-8"
    assert first.fetched is not None
    assert first.hints["title"] == "Hội nghị xúc tiến đầu tư tại Đà Nẵng"
    assert first.hints["published"] == "2025-03-04T01:30:00+00:00"
    # The third entry has no link and only a short note: no article, left out.
    assert len(polled.items) == 2


def test_entry_without_link_but_with_text(settings: Settings, server: LoopbackServer) -> None:
    item = (
        f"<item><title>Notice</title><description>{LONG_TEXT}</description></item>"
        "<item><title>Short</title><description>Too short.</description></item>"
    )
    body = f'<rss version="2.0"><channel><title>t</title>{item}</channel></rss>'.encode()
    server.routes["/rss"] = Reply(body=body, content_type="application/rss+xml")
    polled = poll(settings, server.url("/rss"), source_name="S")
    (raw,) = polled.items
    assert isinstance(raw, RawInput) and raw.fmt == "json" and raw.url is None
    assert raw.origin == f"{server.url('/rss')} (entry 'Notice')"
    assert json.loads(raw.data)["html"] == LONG_TEXT


def test_failed_page_falls_back_to_entry_content(
    settings: Settings, server: LoopbackServer
) -> None:
    serve_rss(server)
    server.routes["/a/1.html"] = Reply(500, b"oops", "text/plain")
    server.routes["/a/2.html"] = Reply(404, b"gone", "text/plain")
    polled = poll(settings, server.url("/rss"), source_name="Test News")
    first, second = polled.items
    assert isinstance(first, RawInput)  # long content:encoded stands in for the page
    assert first.fmt == "json"
    assert "300 doanh nghiệp" in json.loads(first.data)["html"]
    assert first.url == server.url("/a/1.html")
    assert second == ItemError(server.url("/a/2.html"), "HTTP 404 Not Found")  # too short


def test_skip_known_urls(settings: Settings, server: LoopbackServer) -> None:
    serve_rss(server)
    known = {server.url("/a/1.html")}
    polled = poll(settings, server.url("/rss"), skip_url=known.__contains__)
    links = [i.url for i in polled.items if isinstance(i, RawInput)]
    assert links == [server.url("/a/2.html")]
    assert "/a/1.html" not in server.paths()


def test_max_entries(settings: Settings, server: LoopbackServer) -> None:
    serve_rss(server)
    polled = poll(settings, server.url("/rss"), max_entries=1)
    assert len(polled.items) == 1
    assert "/a/2.html" not in server.paths()


def test_feed_conditional_get(settings: Settings, server: LoopbackServer) -> None:
    serve_rss(server)

    def rss(seen: object) -> Reply:
        headers = getattr(seen, "headers", {})
        if headers.get("if-none-match") == '"e1"':
            return Reply(304, content_type=None)
        return Reply(body=server.fixture("rss2.xml"), headers={"ETag": '"e1"'})

    server.routes["/rss"] = rss
    polled = poll(settings, server.url("/rss"), etag='"e1"', last_modified="x")
    assert polled.not_modified
    assert polled.items == []
    assert polled.etag == '"e1"' and polled.last_modified == "x"
    assert server.paths() == ["/robots.txt", "/rss"]


def test_json_feed_served(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/feed.json"] = Reply(
        body=server.fixture("feed.json"), content_type="application/feed+json"
    )
    server.routes["/j/1.html"] = Reply(body=server.fixture("page.html"))
    server.routes["/j/2.html"] = Reply(body=server.fixture("page.html"))
    polled = poll(settings, server.url("/feed.json"))
    assert [i.url for i in polled.items if isinstance(i, RawInput)] == [
        server.url("/j/1.html"),
        server.url("/j/2.html"),
    ]


def test_feed_that_fails_raises(settings: Settings, server: LoopbackServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404 Not Found"):
        poll(settings, server.url("/nothing"))
    server.routes["/page"] = Reply(body=server.fixture("page.html"))
    with pytest.raises(InputRejected, match="malformed feed: this is a web page"):
        poll(settings, server.url("/page"))


def test_page_item(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/old"] = Reply(301, headers={"Location": "/story"})
    server.routes["/story"] = Reply(body=server.fixture("page.html"))
    raw = with_fetcher(settings, lambda f: page_item(f, server.url("/old"), "Desk"))
    assert raw.origin == server.url("/old")
    assert raw.url == server.url("/story")
    assert raw.fmt == "html"
    assert raw.source_name == "Desk"
    assert raw.data == server.fixture("page.html")


def test_page_item_refuses_feeds_and_errors(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/rss"] = Reply(
        body=server.fixture("rss2.xml"), content_type="application/rss+xml"
    )
    with pytest.raises(InputRejected, match="news feed, not a page"):
        with_fetcher(settings, lambda f: page_item(f, server.url("/rss")))
    with pytest.raises(FetchError, match="HTTP 404"):
        with_fetcher(settings, lambda f: page_item(f, server.url("/missing")))
