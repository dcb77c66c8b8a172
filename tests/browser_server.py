"""A real uvicorn server for the browser tests: the desk app served from a background thread on
127.0.0.1 and a free port, over a SQLite database in a temporary folder, stopped on exit."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from hoasen.settings import Settings, load_settings


def desk_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings for a throwaway desk: a SQLite file in `folder`, no config file, no environment."""
    return load_settings(
        config_path=folder / "none.toml",
        env={},
        database_url=f"sqlite:///{folder / 'desk.db'}",
        **overrides,
    )


class AppServer:
    """`with AppServer(app) as server: page.goto(server.url("/login"))`.

    The listening socket is bound before the thread starts, so the port is known and taken at
    once; the app's lifespan runs, so it starts and stops as under `hoasen serve`.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", start_timeout: float = 20.0) -> None:
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._start_timeout = start_timeout

    def url(self, path: str = "/") -> str:
        """The absolute address of `path` on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> None:
        """Serve in the background; returns once uvicorn accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the desk server stopped while starting (see its log)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the desk server did not start in {self._start_timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Ask uvicorn to finish (the app's shutdown runs) and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
