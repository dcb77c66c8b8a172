"""Whole-command time of two everyday commands, as fresh processes: `hoasen search "quang ninh"`
on the demo database and `hoasen extract` of one small page (issue 16: each ≤ 1 s).

Both are mostly start-up (imports, opening the database, loading models), which is what this
measures. The demo database is built once with `hoasen demo --db` under the cache folder (about a
minute) and reused. Each command runs once to warm up, then `runs` times: wall time is the best
run, CPU time (user + sys of the child, from resource.getrusage(RUSAGE_CHILDREN)) the best and
the median, since a busy machine disturbs CPU time much less than the wall clock.

Usage: python -m bench.startup [--cache DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from bench.cli import time_python

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "tests" / "fixtures" / "extract" / "article.html"  # 2 kB English news page
RUNS = 3


def _time(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `python -m hoasen ARGS` run (its output discarded)."""
    return time_python(["-m", "hoasen", *args], cwd=ROOT)


def demo_database(cache_dir: Path) -> Path:
    """The cached demo database, built with `hoasen demo --db` when missing; a marker file
    written after the build succeeds keeps an interrupted build from being taken as done."""
    db = cache_dir / "startup-demo.db"
    done = cache_dir / "startup-demo.done"
    if not done.is_file():
        for stale in cache_dir.glob(f"{db.name}*"):  # with its -wal and -shm files
            stale.unlink()
        print(f"building the demo database {db} (about a minute)", flush=True)
        subprocess.run(
            [sys.executable, "-m", "hoasen", "demo", "--db", str(db)],
            stdout=subprocess.DEVNULL,
            check=True,
            cwd=ROOT,
        )
        done.write_text("built by bench.startup\n")
    return db


def run(cache_dir: Path, runs: int = RUNS) -> dict[str, float]:
    """Best wall and best/median CPU milliseconds of `search` and `extract` over `runs` runs."""
    cache_dir = cache_dir.resolve()  # the commands run in the repository root
    cache_dir.mkdir(parents=True, exist_ok=True)
    demo = demo_database(cache_dir)
    scratch = cache_dir / "startup-extract.db"  # extract opens a database, never writes to it
    commands = {
        "search": ["--db", f"sqlite:///{demo}", "search", "quang ninh"],
        "extract": ["--db", f"sqlite:///{scratch}", "extract", str(PAGE)],
    }
    results: dict[str, float] = {}
    for name, args in commands.items():
        _time(args)  # warm-up: byte-code compiled, files in the page cache, schema migrated
        walls, cpus = zip(*(_time(args) for _ in range(runs)), strict=True)
        results[f"{name} wall best ms"] = min(walls) * 1000
        results[f"{name} cpu best ms"] = min(cpus) * 1000
        results[f"{name} cpu median ms"] = statistics.median(cpus) * 1000
        print(
            f"{name}: wall {min(walls) * 1000:.0f} ms best, cpu {min(cpus) * 1000:.0f} ms best",
            flush=True,
        )
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    for key, value in run(args.cache, runs=args.runs).items():
        print(f"{key:30} {value:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
