"""A small threaded loopback HTTP server for the transport tests: routes, recorded requests and a
count of how many requests were in flight at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

TRANSPORT_FIXTURES = Path(__file__).parent / "fixtures" / "transport"
FIXTURE_BASE = "http://news.example"


@dataclass
class Reply:
    """What a route answers."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    send_length: bool = True  # False: no Content-Length, the body ends when the socket closes


@dataclass
class Seen:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    host: str
    started: float


Route = Reply | Callable[[Seen], Reply]


class LoopbackServer:
    """`with LoopbackServer() as srv: srv.routes['/a'] = Reply(body=b'hi'); srv.url('/a')`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str, host: str | None = None) -> str:
        """Absolute URL of `path` on this server (optionally under another name, e.g. localhost)."""
        return f"http://{host or self.host}:{self.port}{path}"

    @property
    def base(self) -> str:
        """http://HOST:PORT"""
        return self.url("")

    def paths(self) -> list[str]:
        """Paths requested so far, in order."""
        with self._lock:
            return [s.path for s in self.seen]

    def fixture(self, name: str) -> bytes:
        """A fixture file with its http://news.example links pointed at this server."""
        data = (TRANSPORT_FIXTURES / name).read_bytes()
        return data.replace(FIXTURE_BASE.encode(), self.base.encode())

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen = Seen(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    host=self.headers.get("Host", ""),
                    started=time.monotonic(),
                )
                with server._lock:
                    server.seen.append(seen)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    route = server.routes.get(self.path.split("?", 1)[0])
                    reply = route(seen) if callable(route) else route
                    self._send(reply or Reply(404, b"not found", "text/plain"))
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    if reply.content_type:
                        self.send_header("Content-Type", reply.content_type)
                    if reply.send_length:
                        self.send_header("Content-Length", str(len(reply.body)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    for start in range(0, len(reply.body), 4096):
                        self.wfile.write(reply.body[start : start + 4096])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (size cap, timeout): expected in some tests

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
