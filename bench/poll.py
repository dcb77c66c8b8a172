"""Feed polling: how long `poll_due` takes for many feeds, end to end, against local servers.

Loopback servers in child processes simulate `hosts` news sites (127.0.0.2, 127.0.0.3, ...), each
serving its share of `n_feeds` small RSS feeds whose entries link to article pages on the same
site. Polling uses the shipped settings (32 requests at once, 2 per host, robots.txt obeyed)
except that the politeness delay is 0 and loopback is allowed. A second poll right after the
first measures the all-304 (conditional GET) case.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import resource
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from hoasen.ingest.poll import poll_due
from hoasen.models import ItemError, RawInput
from hoasen.settings import load_settings
from hoasen.store.db import Source, Store

_FEED = re.compile(r"^/feed/(\d+)\.xml$")
_PAGE = re.compile(r"^/page/(\d+)/(\d+)\.html$")
_PARAGRAPH = (
    "<p>The provincial people's committee met on Monday to review progress on the coastal "
    "road, the new container terminal and the programme of investment promotion abroad.</p>"
)


def _feed_xml(host: str, feed: int, entries: int) -> bytes:
    items = "".join(
        f"<item><title>Story {feed}-{j}</title>"
        f"<link>http://{host}/page/{feed}/{j}.html</link>"
        f"<pubDate>Tue, 04 Mar 2025 08:{j % 60:02d}:00 GMT</pubDate>"
        f"<description>Short teaser {feed}-{j}.</description></item>"
        for j in range(entries)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>http://{host}/</link>{items}</channel></rss>"
    ).encode()


def _page_html(feed: int, entry: int) -> bytes:
    body = _PARAGRAPH * 12
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Story {feed}-{entry}</title>"
        f"</head><body><article><h1>Story {feed}-{entry}</h1>{body}</article></body></html>"
    ).encode()


def _handler(entries: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = self.headers.get("Host", "")
            if m := _FEED.match(self.path):
                etag = f'"feed-{m.group(1)}"'
                if self.headers.get("If-None-Match") == etag:
                    self._reply(304, b"", None, {"ETag": etag})
                else:
                    body = _feed_xml(host, int(m.group(1)), entries)
                    self._reply(200, body, "application/rss+xml", {"ETag": etag})
            elif m := _PAGE.match(self.path):
                body = _page_html(int(m.group(1)), int(m.group(2)))
                self._reply(200, body, "text/html; charset=utf-8", {})
            elif self.path == "/robots.txt":
                self._reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain", {})
            else:
                self._reply(404, b"not found", "text/plain", {})

        def _reply(
            self, status: int, body: bytes, ctype: str | None, headers: dict[str, str]
        ) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _serve(hosts: list[str], entries: int, ready: Any, stop: Event) -> None:
    """Child process: one threaded server per host address; report (host, port) when ready."""
    servers = []
    for host in hosts:
        httpd = ThreadingHTTPServer((host, 0), _handler(entries))
        httpd.daemon_threads = True
        httpd.request_queue_size = 256
        servers.append(httpd)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        ready.put((host, int(httpd.server_address[1])))
    stop.wait()
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def run(
    n_feeds: int = 1000, hosts: int = 50, entries: int = 5, processes: int = 4
) -> dict[str, float]:
    """Seconds to poll `n_feeds` feeds (each with `entries` new pages) end to end, and again
    when every feed answers 304."""
    addresses = [f"127.0.0.{2 + i}" for i in range(hosts)]
    ctx = mp.get_context("spawn")
    ready = ctx.Queue()
    stop = ctx.Event()
    groups = [addresses[i::processes] for i in range(processes)]
    children = [
        ctx.Process(target=_serve, args=(group, entries, ready, stop), daemon=True)
        for group in groups
        if group
    ]
    for child in children:
        child.start()
    try:
        ports = dict(ready.get(timeout=60) for _ in addresses)
        with tempfile.TemporaryDirectory() as tmp:
            return _measure(Path(tmp), n_feeds, entries, addresses, ports)
    finally:
        stop.set()
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.terminate()


def _measure(
    tmp: Path, n_feeds: int, entries: int, addresses: list[str], ports: dict[str, int]
) -> dict[str, float]:
    settings = load_settings(
        config_path=tmp / "none.toml",
        env={},
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        http_allow_private=True,
        http_host_delay=0.0,
    )
    store = Store.open(settings.database_url)
    for i in range(n_feeds):
        host = addresses[i % len(addresses)]
        store.add_source(f"http://{host}:{ports[host]}/feed/{i}.xml", f"feed {i}")
    counts = {"pages": 0, "errors": 0}

    def handle(source: Source, items: list[RawInput | ItemError]) -> None:
        for item in items:
            counts["pages" if isinstance(item, RawInput) else "errors"] += 1

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    first = poll_due(store, settings, handle)
    first_s = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    started = time.perf_counter()
    second = poll_due(store, settings, handle, names=[o.source.name for o in first])
    second_s = time.perf_counter() - started
    store.close()
    requests = n_feeds * (1 + entries) + len(addresses)  # feeds, pages, robots.txt
    return {
        "feeds": float(n_feeds),
        "hosts": float(len(addresses)),
        "poll_seconds": first_s,
        "poll_feeds_per_s": n_feeds / first_s,
        "poll_requests_per_s": requests / first_s,
        "poll_client_cpu_seconds": cpu,
        "pages_fetched": float(counts["pages"]),
        "failed_feeds": float(sum(not o.ok for o in first)),
        "item_errors": float(counts["errors"]),
        "repoll_304_seconds": second_s,
        "repoll_not_modified": float(sum(o.not_modified for o in second)),
    }


def main() -> None:
    """`python -m bench.poll --feeds 1000`: print the numbers as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--entries", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.feeds, hosts=args.hosts, entries=args.entries), indent=2))


if __name__ == "__main__":
    main()
