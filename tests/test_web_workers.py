"""`hoasen serve --workers N`: the parent accepts connections and hands each to the worker with
the fewest open ones; workers report closed connections back. Unit tests drive the Dispatcher
with socket pairs standing in for workers; one test runs the real multi-process server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hoasen.web.workers import (
    CLOSED,
    Dispatcher,
    Worker,
    can_dispatch,
    listening_socket,
)

needs_fd_passing = pytest.mark.skipif(
    not can_dispatch(), reason="handing sockets between processes needs Unix (SCM_RIGHTS)"
)


class FakeProcess:
    """Stands in for a worker process that is running."""

    pid = None

    def is_alive(self) -> bool:
        return True


class Pool:
    """A listening socket and `n` fake workers whose far ends the test holds."""

    def __init__(self, n: int) -> None:
        self.listening = listening_socket("127.0.0.1", 0)
        self.port = self.listening.getsockname()[1]
        self.far: list[socket.socket] = []
        workers = []
        for _ in range(n):
            near, far = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            workers.append(Worker(FakeProcess(), near))
            self.far.append(far)
        self.dispatcher = Dispatcher(self.listening, workers)
        self.clients: list[socket.socket] = []

    def connect(self, count: int) -> None:
        """Open `count` client connections and let the dispatcher hand them out."""
        for _ in range(count):
            self.clients.append(socket.create_connection(("127.0.0.1", self.port)))
        self.listening.setblocking(False)
        handed = 0
        deadline = time.monotonic() + 5
        while handed < count and time.monotonic() < deadline:
            before = sum(w.connections for w in self.dispatcher.workers)
            self.dispatcher._accept()
            handed += sum(w.connections for w in self.dispatcher.workers) - before

    def received(self, index: int) -> list[socket.socket]:
        """The connections worker `index` has been handed so far."""
        out: list[socket.socket] = []
        far = self.far[index]
        far.setblocking(False)
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(far, 1, 1)
            except BlockingIOError:
                return out
            assert data == b"+"
            out.extend(socket.socket(fileno=fd) for fd in fds)

    def close(self) -> None:
        for s in [self.listening, *self.far, *self.clients]:
            s.close()
        for w in self.dispatcher.workers:
            w.channel.close()


@pytest.fixture
def pool() -> Iterator[Pool]:
    made = Pool(2)
    yield made
    made.close()


@needs_fd_passing
def test_connections_are_split_evenly_between_workers(pool: Pool) -> None:
    pool.connect(20)
    assert [w.connections for w in pool.dispatcher.workers] == [10, 10]
    first, second = pool.received(0), pool.received(1)
    assert (len(first), len(second)) == (10, 10)
    for accepted in first + second:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        accepted.close()


@needs_fd_passing
def test_a_handed_connection_talks_to_its_client(pool: Pool) -> None:
    pool.connect(1)
    (accepted,) = pool.received(0) + pool.received(1)
    with accepted:
        accepted.setblocking(True)
        pool.clients[0].sendall(b"ping")
        assert accepted.recv(4) == b"ping"
        accepted.sendall(b"pong")
        assert pool.clients[0].recv(4) == b"pong"


@needs_fd_passing
def test_closed_connections_make_room_on_their_worker(pool: Pool) -> None:
    """Least connections, not turns: a worker whose clients left gets the next ones."""
    pool.connect(6)
    assert [w.connections for w in pool.dispatcher.workers] == [3, 3]
    for accepted in pool.received(0) + pool.received(1):
        accepted.close()
    pool.far[1].sendall(CLOSED * 3)  # worker 1's three clients went away
    with __import__("selectors").DefaultSelector() as selector:
        selector.register(pool.dispatcher.workers[1].channel, 1, pool.dispatcher.workers[1])
        pool.dispatcher._closed(selector, pool.dispatcher.workers[1])
    assert [w.connections for w in pool.dispatcher.workers] == [3, 0]
    pool.connect(3)
    assert [w.connections for w in pool.dispatcher.workers] == [3, 3]
    assert len(pool.received(1)) == 3


@needs_fd_passing
def test_a_worker_that_exits_gets_no_more_connections(
    pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    pool.far[0].close()  # worker 0 died: its channel is closed
    with __import__("selectors").DefaultSelector() as selector:
        selector.register(pool.dispatcher.workers[0].channel, 1, pool.dispatcher.workers[0])
        pool.dispatcher._closed(selector, pool.dispatcher.workers[0])
    assert not pool.dispatcher.workers[0].alive
    assert "a server worker (process None) exited; 1 left" in caplog.text
    pool.connect(4)
    assert pool.dispatcher.workers[1].connections == 4
    for accepted in pool.received(1):
        accepted.close()


@needs_fd_passing
def test_no_live_worker_means_the_connection_is_not_taken(pool: Pool) -> None:
    for worker in pool.dispatcher.workers:
        worker.alive = False
    client = socket.create_connection(("127.0.0.1", pool.port))
    with client, pool.listening.accept()[0] as accepted:
        assert pool.dispatcher.give(accepted) is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@needs_fd_passing
def test_serve_with_two_workers_answers_over_many_connections(tmp_path: Path) -> None:
    """The real thing: `hoasen serve --workers 2` answers on every connection, then stops
    cleanly on SIGTERM."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOASEN_")}
    env["HOASEN_CONFIG"] = str(tmp_path / "none.toml")
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    command = [sys.executable, "-m", "hoasen", "--db", db, "serve", "--workers", "2"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(f"{base}/api/v1", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.2)
        clients = [httpx.Client(base_url=base) for _ in range(6)]
        try:
            for _ in range(3):  # keep-alive: every client reuses its connection
                statuses = [c.get("/api/v1/search", params={"q": "x"}).status_code for c in clients]
                assert statuses == [401] * 6  # answered (anonymous: refused), on every connection
        finally:
            for client in clients:
                client.close()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@needs_fd_passing
def test_workers_that_cannot_start_are_reported() -> None:
    """Workers whose app cannot be built exit; serve_workers then says so (the command exits
    1) instead of waiting forever."""
    from hoasen.web.workers import serve_workers

    port = _free_port()
    assert serve_workers("hoasen.no_such_module:app", "127.0.0.1", port, 2) is False


def test_workers_fall_back_to_uvicorn_where_sockets_cannot_be_handed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn's shared socket, with TCP_NODELAY on (its own would leave it off)."""
    import uvicorn.supervisors

    from hoasen.web import workers

    seen: list[tuple[int, int]] = []

    class Supervisor:
        def __init__(self, config: Any, sockets: list[socket.socket]) -> None:
            listening = sockets[0]
            listening.listen()
            with socket.create_connection(listening.getsockname()[:2]):
                accepted, _ = listening.accept()
                with accepted:
                    nodelay = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                    seen.append((accepted.proto, nodelay))

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    monkeypatch.setattr(workers, "can_dispatch", lambda: False)
    workers.serve_workers("hoasen.web.app:app_from_env", "127.0.0.1", 0, 2)
    assert seen and seen[0][0] == socket.IPPROTO_TCP and seen[0][1] != 0
