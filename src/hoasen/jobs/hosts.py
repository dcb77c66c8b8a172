"""Politeness that holds across every worker: the next allowed request start per host, kept in
the queue's own store (a Redis key, or a table in the SQLite queue file).

Each worker asks for a turn before a request; the store hands out start times at least the
host's delay apart, whichever worker or machine asks, so three workers polling one site are
as polite as one. A turn is a time, not a held lock: a worker killed mid-request blocks
nobody.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, nxt)
local ttl = math.ceil((start + delay - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', start + delay), 'PX', ttl)
return string.format('%.6f', start - now)
"""


class RedisHostTurns:
    """Turns kept in Redis (one key per host, set atomically by a script on Redis' clock)."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_RESERVE_LUA)

    def reserve(self, host: str, delay: float) -> float:
        """Reserve the next turn at `host`; seconds to wait before it comes."""
        wait = self._script(keys=[f"{self.prefix}.host.{host}"], args=[f"{delay:.6f}"])
        return max(0.0, float(wait))


class SqliteHostTurns:
    """Turns kept in a table of the SQLite queue file (workers on this machine)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS hoasen_host_turns "
                "(host TEXT PRIMARY KEY, next_start REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def reserve(self, host: str, delay: float) -> float:
        """Reserve the next turn at `host`; seconds to wait before it comes."""
        start, now = self.turn(host, delay)
        return start - now

    def turn(self, host: str, delay: float) -> tuple[float, float]:
        """Reserve the next turn at `host`: (its start, now), both as Unix times."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            now = time.time()
            row = conn.execute(
                "SELECT next_start FROM hoasen_host_turns WHERE host = ?", (host,)
            ).fetchone()
            start = max(now, row[0] if row else 0.0)
            conn.execute(
                "INSERT INTO hoasen_host_turns (host, next_start) VALUES (?, ?) "
                "ON CONFLICT(host) DO UPDATE SET next_start = excluded.next_start",
                (host, start + delay),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        return start, now
