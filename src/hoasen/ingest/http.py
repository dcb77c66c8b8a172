"""A safe HTTP fetcher for feeds and pages: timeouts, a size cap, a content-type allow-list,
redirects checked hop by hop, robots.txt, politeness per host, and no private addresses.

Every failure raises `FetchError` with a reason a press officer can read ("HTTP 404 Not Found",
"timed out after 20 s", "refused: 127.0.0.1 is a private or loopback address"...).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import certifi
import httpcore
import httpx

from hoasen.errors import FetchError
from hoasen.settings import Settings

PAGE_ACCEPT = (
    "text/html,application/xhtml+xml;q=0.9,application/xml;q=0.8,text/plain;q=0.7,*/*;q=0.5"
)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

# Media types we download; anything else is refused before the body is read.
_ALLOWED_EXACT = frozenset(
    {
        "application/xhtml+xml",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/json",
        "application/feed+json",
        "application/ld+json",
        "application/x-ndjson",
        "application/jsonl",
        "application/x-rss+xml",
        "application/octet-stream",  # common for feeds on badly configured servers; sniffed later
        "binary/octet-stream",
    }
)


@dataclass(frozen=True)
class FetchResult:
    """One successful (or 304 not-modified) response, after redirects."""

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    fetched: datetime


class _StatusError(FetchError):
    """An HTTP error status (kept apart so robots.txt can treat 4xx as 'no rules')."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def human_size(n: int) -> str:
    """'10 MB', '512 kB', '300 bytes' (decimal units, as browsers show them)."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g} MB"
    if n >= 1_000:
        return f"{n / 1_000:.3g} kB"
    return f"{n} bytes"


def address_refusal(address: str) -> str | None:
    """Why fetching from this IP address is refused, or None when it is a public address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"refused: {address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and address_refusal(str(embedded)) is not None:
            return f"refused: {address} is a private or loopback address"
    if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified:
        return f"refused: {address} is a private or loopback address"
    if ip.is_multicast or ip.is_reserved:
        return f"refused: {address} is a reserved or multicast address"
    if not ip.is_global:  # e.g. 100.64.0.0/10, shared by internet providers' private networks
        return f"refused: {address} is a private or loopback address"
    return None


def content_type_allowed(content_type: str | None) -> bool:
    """True for web pages, feeds, JSON and text (and a missing type, which is sniffed later)."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if not mime or mime.startswith("text/") or mime in _ALLOWED_EXACT:
        return True
    return mime.startswith("application/") and mime.endswith(("+xml", "+json"))


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses that passed the check, so DNS cannot change its answer between
    the check and the connection (DNS rebinding)."""

    def __init__(self, fetcher: SafeFetcher) -> None:
        self._fetcher = fetcher
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._fetcher._checked_addresses(host, port)
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool built on `_GuardedBackend`."""

    def __init__(
        self, fetcher: SafeFetcher, ssl_context: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        # httpx 0.28 gives no public way to pass a network backend, so the pool is rebuilt.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(fetcher),
        )


class HostTurns(Protocol):
    """Hands out request start times per host, shared by every worker (see jobs/hosts.py)."""

    def reserve(self, host: str, delay: float) -> float:
        """Reserve the next turn at `host` (turns `delay` seconds apart); seconds to wait."""
        ...


class SafeFetcher:
    """Async fetcher for untrusted URLs (see the module docstring for every safeguard).

    Each host gets its own small connection pool (httpcore's pool scans all its connections on
    every request, which gets slow when one pool serves many hosts); pools of hosts with nothing
    in flight are closed once more than `_max_open_hosts` are open. Caches (robots.txt, checked
    hosts, per-host gates) live on the instance and are meant for one event loop: create one
    fetcher per `asyncio.run`.
    """

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        turns: HostTurns | None = None,
    ) -> None:
        self.settings = settings
        self.turns = turns  # shared between workers: every worker's requests spaced together
        self._shared = self._new_client(transport) if transport is not None else None
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        self._active: dict[str, int] = {}
        self._max_open_hosts = max(16, 2 * settings.http_concurrency)
        self._ssl_context = (
            ssl.create_default_context(cafile=certifi.where()) if transport is None else None
        )
        self._global: asyncio.Semaphore | None = None
        self._host_gates: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._hosts_checked: dict[tuple[str, int], list[str]] = {}
        self._robots: dict[str, RobotFileParser | FetchError | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._crawl_delays: dict[str, float] = {}  # host -> its robots.txt Crawl-delay

    def _new_client(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(self.settings.http_timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.settings.http_user_agent},
        )

    async def _client_for(self, host: str) -> httpx.AsyncClient:
        """The client (connection pool) for one host, opened on first use."""
        if self._shared is not None:
            return self._shared
        client = self._clients.get(host)
        if client is not None:
            self._clients.move_to_end(host)
            return client
        assert self._ssl_context is not None
        per_host = max(1, self.settings.http_per_host)
        limits = httpx.Limits(
            max_connections=per_host, max_keepalive_connections=per_host, keepalive_expiry=10.0
        )
        client = self._new_client(_GuardedTransport(self, self._ssl_context, limits))
        self._clients[host] = client
        await self._close_idle_pools()
        return client

    async def _close_idle_pools(self) -> None:
        """Close the least recently used pools of hosts with no request in flight."""
        excess = len(self._clients) - self._max_open_hosts
        for host in list(self._clients):
            if excess <= 0:
                break
            if self._active.get(host, 0) == 0:
                excess -= 1
                await self._clients.pop(host).aclose()

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        clients = list(self._clients.values())
        self._clients.clear()
        if self._shared is not None:
            clients.append(self._shared)
        for client in clients:
            await client.aclose()

    # ------------------------------------------------------------------ public

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        """GET `url` safely; a conditional GET when `etag`/`last_modified` are given (a 304
        comes back as `not_modified=True` with no content). Raises FetchError."""
        headers = {"Accept": accept or PAGE_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._follow(url, headers, robots=self.settings.http_respect_robots)

    # ------------------------------------------------------------------ redirects

    async def _follow(self, url: str, headers: dict[str, str], robots: bool) -> FetchResult:
        current = url
        for _ in range(self.settings.http_max_redirects + 1):
            host, port = _host_port(current)
            await self._checked_addresses(host, port)
            if robots and not await self._robots_allow(current):
                raise FetchError("blocked by robots.txt")
            self._active[host] = self._active.get(host, 0) + 1
            try:
                client = await self._client_for(host)  # before the gate: opening one takes time
                async with self._gate(host):
                    result, location = await self._request(client, current, headers)
            finally:
                self._active[host] -= 1
            if location is None:
                assert result is not None
                return result
            current = location
        raise FetchError("too many redirects")

    async def _request(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str]
    ) -> tuple[FetchResult | None, str | None]:
        timeout = self.settings.http_timeout
        try:
            async with asyncio.timeout(timeout):
                request = client.build_request("GET", url, headers=headers)
                response = await client.send(request, stream=True)
                try:
                    return await self._read(url, response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FetchError(f"timed out after {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise FetchError(_plain_http_error(exc)) from exc

    async def _read(
        self, url: str, response: httpx.Response
    ) -> tuple[FetchResult | None, str | None]:
        status = response.status_code
        if status in REDIRECT_CODES:
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a target address")
            return None, urljoin(url, location.strip())
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        content_type = response.headers.get("content-type")
        if status == 304:
            return self._result(url, status, b"", content_type, etag, last_modified, True), None
        if not 200 <= status < 300:
            phrase = response.reason_phrase or httpx.codes.get_reason_phrase(status)
            raise _StatusError(status, f"HTTP {status} {phrase}".strip())
        if not content_type_allowed(content_type):
            mime = (content_type or "").split(";", 1)[0].strip()
            raise FetchError(f"not a web page or feed ({mime})")
        limit = self.settings.http_max_bytes
        too_large = f"response larger than {human_size(limit)}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(too_large)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > limit:
                raise FetchError(too_large)
        result = self._result(
            str(response.url), status, bytes(body), content_type, etag, last_modified, False
        )
        return result, None

    @staticmethod
    def _result(
        url: str,
        status: int,
        content: bytes,
        content_type: str | None,
        etag: str | None,
        last_modified: str | None,
        not_modified: bool,
    ) -> FetchResult:
        return FetchResult(
            url=url,
            status=status,
            content=content,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            not_modified=not_modified,
            fetched=datetime.now(UTC),
        )

    # ------------------------------------------------------------------ politeness

    def _gate(self, host: str) -> _HostGate:
        if self._global is None:
            self._global = asyncio.Semaphore(max(1, self.settings.http_concurrency))
        sem = self._host_gates.get(host)
        if sem is None:
            sem = self._host_gates[host] = asyncio.Semaphore(max(1, self.settings.http_per_host))
        return _HostGate(self, host, sem, self._global)

    async def _wait_turn(self, host: str) -> None:
        """Space request starts to one host at least `http_host_delay` seconds apart, or its
        robots.txt Crawl-delay when that is longer (up to `http_max_crawl_delay`)."""
        delay = max(self.settings.http_host_delay, self._crawl_delays.get(host, 0.0))
        if delay <= 0:
            return
        if self.turns is not None:
            wait = await asyncio.to_thread(self.turns.reserve, host, delay)
            if wait > 0:
                await asyncio.sleep(wait)
            return
        now = asyncio.get_running_loop().time()
        start = max(now, self._next_start.get(host, now))
        self._next_start[host] = start + delay
        if start > now:
            await asyncio.sleep(start - now)

    # ------------------------------------------------------------------ addresses

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        """The host's addresses, each checked; FetchError when one is private (unless allowed)."""
        key = (host, port)
        known = self._hosts_checked.get(key)
        if known is not None:
            return known
        addresses = await self._lookup(host, port)
        if not addresses:
            raise FetchError("host not found")
        if not self.settings.http_allow_private:
            for address in addresses:
                refusal = address_refusal(address)
                if refusal is not None:
                    raise FetchError(refusal)
        self._hosts_checked[key] = addresses
        return addresses

    async def _lookup(self, host: str, port: int) -> list[str]:
        """Resolve `host` (getaddrinfo, in a worker thread) to its IP addresses."""
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError("host not found") from exc
        out: list[str] = []
        for info in infos:
            address = str(info[4][0])
            if address not in out:
                out.append(address)
        return out

    # ------------------------------------------------------------------ robots.txt

    async def _robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, FetchError):
            raise FetchError(f"could not read robots.txt: {rules.reason}")
        return rules is None or rules.can_fetch(self.settings.http_user_agent, url)

    async def _load_robots(self, origin: str) -> RobotFileParser | FetchError | None:
        """The site's rules; None (allow all) when robots.txt is missing or refused with 4xx."""
        try:
            result = await self._follow(
                f"{origin}/robots.txt", {"Accept": "text/plain,*/*;q=0.5"}, robots=False
            )
        except _StatusError as exc:
            return None if 400 <= exc.status < 500 else exc
        except FetchError as exc:
            if exc.reason.startswith("not a web page or feed"):
                return None  # an image or download where robots.txt should be: no rules
            return exc
        parser = RobotFileParser()
        parser.parse(result.content.decode("utf-8", errors="replace").splitlines())
        self._note_crawl_delay(origin, parser)
        return parser

    def _note_crawl_delay(self, origin: str, rules: RobotFileParser) -> None:
        """Remember the Crawl-delay the site asks of our user agent (capped)."""
        cap = self.settings.http_max_crawl_delay
        try:
            asked = rules.crawl_delay(self.settings.http_user_agent)
        except (TypeError, ValueError):  # a malformed value: no delay asked
            asked = None
        if asked is None or cap <= 0:
            return
        host = _host_port(origin)[0]
        delay = min(float(asked), cap)
        self._crawl_delays[host] = max(delay, self._crawl_delays.get(host, 0.0))


class _HostGate:
    """Per-host slot, politeness delay, then a global slot (held only while the request runs)."""

    def __init__(
        self, fetcher: SafeFetcher, host: str, host_sem: asyncio.Semaphore, glob: asyncio.Semaphore
    ) -> None:
        self._fetcher = fetcher
        self._host = host
        self._host_sem = host_sem
        self._global = glob

    async def __aenter__(self) -> None:
        await self._host_sem.acquire()
        try:
            await self._fetcher._wait_turn(self._host)
            await self._global.acquire()
        except BaseException:
            self._host_sem.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._global.release()
        self._host_sem.release()


def _host_port(url: str) -> tuple[str, int]:
    """Lower-case host name and port of an http(s) URL; FetchError for any other address."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(f"not a web address (only http:// and https:// are fetched): {url}")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"not a valid web address: {url}") from exc
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError(f"not a valid web address: {url}")
    return host, port


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception behind a wrapped one (httpx -> httpcore -> anyio -> OSError)."""
    seen = {id(exc)}
    while True:
        inner = exc.__cause__ or exc.__context__
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def _plain_http_error(exc: httpx.HTTPError) -> str:
    """A transport error in plain words."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if isinstance(exc, httpx.ConnectError):
        root = _root_cause(exc)
        if isinstance(root, socket.gaierror):
            return "host not found"
        if isinstance(root, ssl.SSLCertVerificationError) or "certificate" in lowered:
            return f"could not connect: the site's security certificate is not valid ({text})"
        if isinstance(root, ConnectionRefusedError) or "refused" in lowered:
            return "could not connect: connection refused"
        if isinstance(root, OSError) and root.strerror:
            return f"could not connect: {root.strerror.lower()}"
        return f"could not connect: {text}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"not a valid web address: {text}"
    if isinstance(exc, httpx.DecodingError):
        return "download failed: the response could not be decoded"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return f"connection broken while downloading: {text}"
    return f"download failed: {text}"
