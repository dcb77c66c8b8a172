"""Several server processes on one port, with connections balanced between them.

The parent process owns the listening socket. It accepts each connection and hands it (the
file descriptor, over a Unix socket pair) to the worker holding the fewest open connections;
each worker serves the connections it is given with uvicorn and reports back when one closes.
Node's cluster module does the same, and for the same reason: the kernel's own spreading
(one shared socket, or SO_REUSEPORT sockets) balances connection *arrivals* at best, so a few
long keep-alive connections (API clients, a reverse proxy's pool) easily end up 13 to 7 across
two workers, and the busier worker's clients wait half as long again.
Accepted connections get TCP_NODELAY: without it a response written in two parts waits for the
client's delayed ACK (~40 ms on Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import selectors
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger("uvicorn.error")

ACCEPT_BURST = 64  # connections accepted per wake-up before the parent looks at its workers
BACKLOG = 2048
CONNECTION = b"+"  # parent -> worker: one byte per connection, its descriptor attached
CLOSED = b"-"  # worker -> parent: one byte per connection closed


def can_dispatch() -> bool:
    """Whether this platform can hand sockets between processes (Unix: SCM_RIGHTS)."""
    return hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


def listening_socket(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A listening TCP socket on `host`:`port` whose accepted connections have Nagle off."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listening.bind((host, port))
        listening.listen(backlog)
    except OSError:
        listening.close()
        raise
    return listening


@dataclass
class Worker:
    """The parent's view of one worker process: its channel and its open connections."""

    process: Any  # multiprocessing.Process (spawn context)
    channel: socket.socket
    connections: int = 0
    alive: bool = True


class Dispatcher:
    """The parent: accepts connections and gives each to the least-loaded live worker."""

    def __init__(self, listening: socket.socket, workers: list[Worker]) -> None:
        self.listening = listening
        self.workers = workers
        self.stopping = False
        self._next = 0  # ties go round the workers in turn

    def pick(self) -> Worker | None:
        """The live worker with the fewest open connections (None when none is alive)."""
        live = [w for w in self.workers if w.alive]
        if not live:
            return None
        start = self._next % len(live)
        self._next += 1
        turn = live[start:] + live[:start]
        return min(turn, key=lambda w: w.connections)

    def run(self, stop_after: Callable[[], bool] = lambda: False) -> None:
        """Accept and dispatch until stopped, or until every worker has exited."""
        self.listening.setblocking(False)
        with selectors.DefaultSelector() as selector:
            selector.register(self.listening, selectors.EVENT_READ, None)
            for worker in self.workers:
                selector.register(worker.channel, selectors.EVENT_READ, worker)
            while not self.stopping and not stop_after():
                for key, _ in selector.select(timeout=1.0):
                    if key.data is None:
                        self._accept()
                    else:
                        self._closed(selector, key.data)
                if not any(w.alive and w.process.is_alive() for w in self.workers):
                    break

    def _accept(self) -> None:
        for _ in range(ACCEPT_BURST):
            try:
                connection, _ = self.listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            with connection:
                self.give(connection)

    def give(self, connection: socket.socket) -> Worker | None:
        """Hand `connection` to a worker (the caller closes its own copy); None when no
        worker can take it (the client then sees the connection closed)."""
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while (worker := self.pick()) is not None:
            try:
                socket.send_fds(worker.channel, [CONNECTION], [connection.fileno()])
            except OSError:  # the worker has gone: try the next
                worker.alive = False
                continue
            worker.connections += 1
            return worker
        return None

    def _closed(self, selector: selectors.BaseSelector, worker: Worker) -> None:
        try:
            data = worker.channel.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the worker exited
            worker.alive = False
            selector.unregister(worker.channel)
            if not self.stopping:
                left = sum(w.alive for w in self.workers)
                _log.warning(
                    "a server worker (process %s) exited; %d left", worker.process.pid, left
                )
            return
        worker.connections = max(0, worker.connections - data.count(CLOSED))


def serve_workers(factory: str, host: str, port: int, workers: int, **options: Any) -> bool:
    """Serve the app made by `factory` ("module:function") on `host`:`port` from `workers`
    processes with balanced connections (uvicorn's own shared socket where sockets cannot be
    handed between processes). `options` go to uvicorn.Config. False when the workers all
    exited on their own (they could not start, or crashed) rather than being stopped."""
    if not can_dispatch():
        _uvicorn_workers(factory, host, port, workers, **options)
        return True
    listening = listening_socket(host, port)
    context = multiprocessing.get_context("spawn")
    pool: list[Worker] = []
    for _ in range(workers):
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = context.Process(
            target=_worker_main, args=(factory, child_end, options), daemon=False
        )
        process.start()
        child_end.close()
        pool.append(Worker(process, parent_end))
    dispatcher = Dispatcher(listening, pool)

    def stop(_signum: int, _frame: Any) -> None:
        dispatcher.stopping = True

    previous = signal.signal(signal.SIGTERM, stop)
    interrupted = False
    try:
        dispatcher.run()
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C reached the workers too: they shut down on their own
    finally:
        signal.signal(signal.SIGTERM, previous)
        listening.close()
        for worker in pool:
            if worker.process.is_alive() and worker.process.pid is not None:
                os.kill(worker.process.pid, signal.SIGTERM)
        for worker in pool:
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.channel.close()
    return dispatcher.stopping or interrupted


def _worker_main(factory: str, channel: socket.socket, options: dict[str, Any]) -> None:
    """One worker process: uvicorn serving the connections that come down `channel`."""
    import uvicorn

    config = uvicorn.Config(factory, factory=True, loop="asyncio", **options)
    server = uvicorn.Server(config)
    try:
        asyncio.run(_serve_channel(server, channel))
    except KeyboardInterrupt:
        pass
    finally:
        channel.close()


async def _serve_channel(server: Any, channel: socket.socket) -> None:
    """Run `server` (a uvicorn.Server) with no listening socket of its own; connections arrive
    as descriptors on `channel`, and each one closed is reported back on it."""
    serving = asyncio.create_task(server.serve(sockets=[]))
    while not server.started:
        if serving.done():
            await serving  # startup failed: uvicorn has said why
            return
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    config = server.config
    base: type[asyncio.Protocol] = config.http_protocol_class

    class Counted(base):  # type: ignore[valid-type,misc]
        """uvicorn's HTTP protocol, telling the parent when its connection closes."""

        def connection_lost(self, exc: Exception | None) -> None:
            with contextlib.suppress(OSError):  # the parent has gone: the server is stopping
                channel.send(CLOSED)
            super().connection_lost(exc)

    def protocol() -> asyncio.Protocol:
        made: asyncio.Protocol = Counted(
            config=config,
            server_state=server.server_state,
            app_state=server.lifespan.state,
            _loop=loop,
        )
        return made

    pending: set[asyncio.Task[Any]] = set()

    def receive() -> None:
        try:
            data, fds, _flags, _address = socket.recv_fds(channel, 1, 1)
        except (BlockingIOError, InterruptedError):
            return
        if not data:  # the parent has gone: stop serving
            loop.remove_reader(channel.fileno())
            server.should_exit = True
            return
        for fd in fds:
            connection = socket.socket(fileno=fd)
            connection.setblocking(False)
            task = loop.create_task(loop.connect_accepted_socket(protocol, connection))
            pending.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(pending.discard)

    channel.setblocking(False)
    loop.add_reader(channel.fileno(), receive)
    try:
        await serving
    finally:
        loop.remove_reader(channel.fileno())


def _uvicorn_workers(factory: str, host: str, port: int, workers: int, **options: Any) -> None:
    """uvicorn's multi-worker mode on one shared socket, with TCP_NODELAY set."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(factory, factory=True, host=host, port=port, workers=workers, **options)
    listening = config.bind_socket()
    if listening.family in (socket.AF_INET, socket.AF_INET6):
        listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        family, kind = listening.family, listening.type
        listening = socket.socket(family, kind, socket.IPPROTO_TCP, listening.detach())
        listening.set_inheritable(True)
    try:
        Multiprocess(config, sockets=[listening]).run()
    except KeyboardInterrupt:
        pass
    finally:
        listening.close()
