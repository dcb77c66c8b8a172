"""SafeFetcher against loopback servers (httpx.MockTransport where sockets don't matter)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hoasen.errors import FetchError
from hoasen.ingest.http import (
    FetchResult,
    SafeFetcher,
    _GuardedBackend,
    address_refusal,
    content_type_allowed,
    human_size,
)
from hoasen.settings import Settings
from transport_server import LoopbackServer, Reply, Seen

PAGE = b"<html><body><p>hello</p></body></html>"


def fetch(settings: Settings, url: str, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with SafeFetcher(settings) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def fetch_error(settings: Settings, url: str, **kwargs: Any) -> str:
    with pytest.raises(FetchError) as info:
        fetch(settings, url, **kwargs)
    return info.value.reason


@pytest.fixture
def server() -> Any:
    with LoopbackServer() as srv:
        yield srv


def test_fetch_page(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/p"] = Reply(body=PAGE, headers={"ETag": '"abc"'})
    result = fetch(settings, server.url("/p"))
    assert result.content == PAGE
    assert result.status == 200
    assert result.url == server.url("/p")
    assert result.content_type == "text/html; charset=utf-8"
    assert result.etag == '"abc"'
    assert not result.not_modified
    assert result.fetched.tzinfo is not None
    page = next(s for s in server.seen if s.path == "/p")
    assert page.headers["user-agent"] == settings.http_user_agent


def test_http_404(settings: Settings, server: LoopbackServer) -> None:
    assert fetch_error(settings, server.url("/missing")) == "HTTP 404 Not Found"


def test_timeout(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/slow"] = Reply(body=PAGE, delay=1.5)
    quick = replace(settings, http_timeout=0.3)
    assert fetch_error(quick, server.url("/slow")) == "timed out after 0.3 s"


def test_private_address_refused(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/p"] = Reply(body=PAGE)
    strict = replace(settings, http_allow_private=False)
    reason = fetch_error(strict, server.url("/p"))
    assert reason == "refused: 127.0.0.1 is a private or loopback address"
    assert server.seen == []  # not even robots.txt was asked for


def test_hostname_resolving_to_loopback_refused(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/p"] = Reply(body=PAGE)
    strict = replace(settings, http_allow_private=False)
    reason = fetch_error(strict, server.url("/p", host="localhost"))
    assert reason.startswith("refused: ")
    assert reason.endswith("is a private or loopback address")
    assert server.seen == []


def test_loopback_allowed_when_configured(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/p"] = Reply(body=PAGE)
    assert fetch(settings, server.url("/p", host="localhost")).content == PAGE


def test_guarded_backend_refuses_at_connect_time(settings: Settings) -> None:
    """The connection itself only goes to checked addresses (no DNS rebinding window)."""
    fetcher = SafeFetcher(replace(settings, http_allow_private=False))
    backend = _GuardedBackend(fetcher)

    async def go() -> None:
        try:
            await backend.connect_tcp("localhost", 80)
        finally:
            await fetcher.aclose()

    with pytest.raises(FetchError, match="private or loopback"):
        asyncio.run(go())


def test_redirects_followed(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/a"] = Reply(302, headers={"Location": "/b"})
    server.routes["/b"] = Reply(301, headers={"Location": server.url("/c")})
    server.routes["/c"] = Reply(body=PAGE)
    result = fetch(settings, server.url("/a"))
    assert result.url == server.url("/c")
    assert result.content == PAGE
    assert [p for p in server.paths() if p != "/robots.txt"] == ["/a", "/b", "/c"]


def test_too_many_redirects(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/loop"] = Reply(302, headers={"Location": "/loop"})
    limited = replace(settings, http_max_redirects=3)
    assert fetch_error(limited, server.url("/loop")) == "too many redirects"
    assert server.paths().count("/loop") == 4  # the first request and three redirects


class _FakeDNS(SafeFetcher):
    """Resolves made-up public host names without a network."""

    async def _lookup(self, host: str, port: int) -> list[str]:
        if host == "news.example":
            return ["93.184.216.34"]
        return await super()._lookup(host, port)


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:8080/admin", "http://169.254.169.254/latest/meta-data/"]
)
def test_redirect_to_private_address_refused(settings: Settings, target: str) -> None:
    asked: list[str] = []

    def app(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"Location": target})

    strict = replace(settings, http_allow_private=False, http_respect_robots=False)

    async def go() -> None:
        async with _FakeDNS(strict, transport=httpx.MockTransport(app)) as fetcher:
            await fetcher.fetch("http://news.example/story")

    with pytest.raises(FetchError) as info:
        asyncio.run(go())
    host = httpx.URL(target).host
    assert info.value.reason == f"refused: {host} is a private or loopback address"
    assert asked == ["http://news.example/story"]


def test_oversize_with_content_length(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/big"] = Reply(body=b"<p>" + b"x" * 5000)
    small = replace(settings, http_max_bytes=1000)
    assert fetch_error(small, server.url("/big")) == "response larger than 1 kB"


def test_oversize_streamed_without_length(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/big"] = Reply(body=b"<p>" + b"x" * 200_000, send_length=False)
    small = replace(settings, http_max_bytes=10_000)
    assert fetch_error(small, server.url("/big")) == "response larger than 10 kB"


def test_body_at_the_limit_is_fetched(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/exact"] = Reply(body=b"y" * 1000, content_type="text/plain", send_length=False)
    exact = replace(settings, http_max_bytes=1000)
    assert len(fetch(exact, server.url("/exact")).content) == 1000


def test_human_size() -> None:
    assert human_size(10_000_000) == "10 MB"
    assert human_size(2_500) == "2.5 kB"
    assert human_size(12) == "12 bytes"


def test_wrong_content_type(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/img"] = Reply(body=b"\x89PNG\r\n", content_type="image/png")
    assert fetch_error(settings, server.url("/img")) == "not a web page or feed (image/png)"


@pytest.mark.parametrize(
    ("content_type", "allowed"),
    [
        ("text/html; charset=utf-8", True),
        ("application/xhtml+xml", True),
        ("application/rss+xml", True),
        ("application/atom+xml", True),
        ("application/feed+json", True),
        ("application/json", True),
        ("text/plain", True),
        ("TEXT/XML", True),
        (None, True),
        ("image/png", False),
        ("application/pdf", False),
        ("video/mp4", False),
        ("application/zip", False),
    ],
)
def test_content_type_allow_list(content_type: str | None, allowed: bool) -> None:
    assert content_type_allowed(content_type) is allowed


def test_robots_disallow(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(
        body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    server.routes["/private/x"] = Reply(body=PAGE)
    server.routes["/public"] = Reply(body=PAGE)

    async def go() -> tuple[str, bytes]:
        async with SafeFetcher(settings) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(server.url("/private/x"))
            ok = await fetcher.fetch(server.url("/public"))
            return info.value.reason, ok.content

    reason, content = asyncio.run(go())
    assert reason == "blocked by robots.txt"
    assert content == PAGE
    assert "/private/x" not in server.paths()
    assert server.paths().count("/robots.txt") == 1  # cached per fetcher


def test_robots_rules_for_our_user_agent(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(
        body=b"User-agent: hoasen\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        content_type="text/plain",
    )
    server.routes["/p"] = Reply(body=PAGE)
    assert fetch_error(settings, server.url("/p")) == "blocked by robots.txt"


def test_robots_checked_after_redirect(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /no\n")
    server.routes["/go"] = Reply(302, headers={"Location": "/no/page"})
    assert fetch_error(settings, server.url("/go")) == "blocked by robots.txt"
    assert "/no/page" not in server.paths()


def test_missing_robots_allows_all(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/p"] = Reply(body=PAGE)
    assert fetch(settings, server.url("/p")).content == PAGE
    assert server.paths() == ["/robots.txt", "/p"]


def test_robots_server_error_is_reported(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(503, b"busy", "text/plain")
    server.routes["/p"] = Reply(body=PAGE)
    reason = fetch_error(settings, server.url("/p"))
    assert reason == "could not read robots.txt: HTTP 503 Service Unavailable"


def test_robots_ignored_when_configured(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /\n")
    server.routes["/p"] = Reply(body=PAGE)
    rude = replace(settings, http_respect_robots=False)
    assert fetch(rude, server.url("/p")).content == PAGE
    assert server.paths() == ["/p"]


def _fetch_many(settings: Settings, urls: list[str]) -> None:
    async def go() -> None:
        async with SafeFetcher(settings) as fetcher:
            await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    asyncio.run(go())


def test_per_host_concurrency(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/slow"] = Reply(body=PAGE, delay=0.25)
    limited = replace(settings, http_per_host=2, http_concurrency=10, http_respect_robots=False)
    _fetch_many(limited, [server.url("/slow") for _ in range(6)])
    assert len(server.seen) == 6
    assert server.max_in_flight == 2


def test_global_concurrency(settings: Settings, server: LoopbackServer) -> None:
    """Two host names (127.0.0.1 and localhost) on one server: the global cap binds first."""
    server.routes["/slow"] = Reply(body=PAGE, delay=0.25)
    limited = replace(settings, http_per_host=2, http_concurrency=3, http_respect_robots=False)
    urls = [server.url("/slow", host=h) for h in ("127.0.0.1", "localhost") for _ in range(4)]
    _fetch_many(limited, urls)
    assert len(server.seen) == 8
    assert server.max_in_flight == 3


def test_host_delay_spaces_requests(settings: Settings, server: LoopbackServer) -> None:
    """Three requests to one host with a 0.2 s delay: the third cannot start before 0.4 s."""
    server.routes["/p"] = Reply(body=PAGE)
    polite = replace(settings, http_host_delay=0.2, http_per_host=4, http_respect_robots=False)
    before = time.monotonic()
    _fetch_many(polite, [server.url("/p") for _ in range(3)])
    assert len(server.seen) == 3
    assert max(s.started for s in server.seen) - before >= 0.4


def test_robots_crawl_delay_spaces_requests(settings: Settings, server: LoopbackServer) -> None:
    """A site asking `Crawl-delay: 1` gets its pages a second apart although http_host_delay
    is 0; robots.txt itself is asked first, without waiting."""
    server.routes["/robots.txt"] = Reply(
        body=b"User-agent: *\nCrawl-delay: 1\n", content_type="text/plain"
    )
    server.routes["/p"] = Reply(body=PAGE)
    polite = replace(settings, http_host_delay=0.0, http_per_host=4)
    _fetch_many(polite, [server.url("/p") for _ in range(2)])
    pages = sorted(s.started for s in server.seen if s.path == "/p")
    assert len(pages) == 2 and pages[1] - pages[0] >= 0.95


def test_crawl_delay_is_capped(settings: Settings, server: LoopbackServer) -> None:
    """A site asking an hour between pages gets http_max_crawl_delay (0: Crawl-delay off)."""
    server.routes["/robots.txt"] = Reply(
        body=b"User-agent: *\nCrawl-delay: 3600\n", content_type="text/plain"
    )
    server.routes["/p"] = Reply(body=PAGE)
    capped = replace(settings, http_host_delay=0.0, http_per_host=4, http_max_crawl_delay=0.3)
    _fetch_many(capped, [server.url("/p") for _ in range(2)])
    pages = sorted(s.started for s in server.seen if s.path == "/p")
    assert 0.25 <= pages[1] - pages[0] < 60
    off = replace(capped, http_max_crawl_delay=0.0)

    async def delays() -> dict[str, float]:
        async with SafeFetcher(off) as fetcher:
            await fetcher.fetch(server.url("/p"))
            return dict(fetcher._crawl_delays)

    assert asyncio.run(delays()) == {}


def test_conditional_get_not_modified(settings: Settings, server: LoopbackServer) -> None:
    stamp = "Tue, 04 Mar 2025 08:00:00 GMT"

    def feed(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304, content_type=None, headers={"ETag": '"v1"'})
        return Reply(body=b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": stamp})

    server.routes["/feed"] = feed
    first = fetch(settings, server.url("/feed"))
    assert (first.etag, first.last_modified, first.not_modified) == ('"v1"', stamp, False)
    second = fetch(settings, server.url("/feed"), etag=first.etag, last_modified=stamp)
    assert second.not_modified
    assert second.status == 304
    assert second.content == b""
    asked = [s for s in server.seen if s.path == "/feed"][-1]
    assert asked.headers["if-none-match"] == '"v1"'
    assert asked.headers["if-modified-since"] == stamp


def test_accept_header_passed(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/f"] = Reply(body=b"{}", content_type="application/feed+json")
    fetch(settings, server.url("/f"), accept="application/feed+json")
    assert next(s for s in server.seen if s.path == "/f").headers["accept"] == (
        "application/feed+json"
    )


def test_connection_refused(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rude = replace(settings, http_respect_robots=False)
    assert fetch_error(rude, f"http://127.0.0.1:{port}/") == "could not connect: connection refused"


def test_host_not_found(settings: Settings) -> None:
    assert fetch_error(settings, "http://no-such-host.invalid/") == "host not found"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_only_web_addresses(settings: Settings, url: str) -> None:
    assert fetch_error(settings, url).startswith("not a web address")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_private_addresses(address: str) -> None:
    assert address_refusal(address) == f"refused: {address} is a private or loopback address"


@pytest.mark.parametrize("address", ["224.0.0.1", "240.0.0.1", "ff02::1"])
def test_reserved_addresses(address: str) -> None:
    refusal = address_refusal(address)
    assert refusal is not None
    assert refusal.startswith(f"refused: {address} is a ")


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses(address: str) -> None:
    assert address_refusal(address) is None


@given(st.ip_addresses())
def test_address_refusal_matches_ipaddress(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    """Every address the standard library does not call global is refused."""
    refused = address_refusal(str(ip)) is not None
    if not ip.is_global or ip.is_multicast:
        assert refused
    if ip.is_loopback or ip.is_private:
        assert refused


def test_idle_host_pools_are_closed(settings: Settings, server: LoopbackServer) -> None:
    server.routes["/p"] = Reply(body=PAGE)

    async def go() -> list[int]:
        open_pools = []
        async with SafeFetcher(settings) as fetcher:
            fetcher._max_open_hosts = 1
            for host in ("127.0.0.1", "localhost", "127.0.0.1"):
                assert (await fetcher.fetch(server.url("/p", host=host))).content == PAGE
                open_pools.append(len(fetcher._clients))
        return open_pools

    assert asyncio.run(go()) == [1, 1, 1]
    assert server.paths().count("/p") == 3
