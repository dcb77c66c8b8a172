"""Start-up time of the command line: `hoasen --help` and `hoasen sources --help` as fresh
processes, against `python -c pass` as the floor no command can go under.

Each is run 5 times; wall time is reported as the best and the median run, and so is the CPU
time (user + sys, from resource.getrusage(RUSAGE_CHILDREN) around each run), which a busy
machine disturbs much less than the wall clock.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 5
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "hoasen --help": ["-m", "hoasen", "--help"],
    "hoasen sources --help": ["-m", "hoasen", "sources", "--help"],
}


def _child_cpu() -> float:
    """CPU seconds (user + sys) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_python(args: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one `python ARGS` run (its output discarded). Byte-code is
    written as an installed Python writes it, even when this shell sets PYTHONDONTWRITEBYTECODE
    (else every run would compile hoasen's modules again)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cpu = _child_cpu()
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, check=True, cwd=cwd, env=env)
    return time.perf_counter() - start, _child_cpu() - cpu


def run(runs: int = RUNS) -> dict[str, float]:
    """Best and median wall and CPU milliseconds of each command over `runs` runs."""
    results: dict[str, float] = {}
    for name, args in COMMANDS.items():
        time_python(args)  # warm-up: byte-code compiled, files in the page cache
        walls, cpus = zip(*(time_python(args) for _ in range(runs)), strict=True)
        results[f"{name} wall best ms"] = min(walls) * 1000
        results[f"{name} wall median ms"] = statistics.median(walls) * 1000
        results[f"{name} cpu best ms"] = min(cpus) * 1000
        results[f"{name} cpu median ms"] = statistics.median(cpus) * 1000
        print(
            f"{name}: wall {min(walls) * 1000:.0f} ms best, cpu {min(cpus) * 1000:.0f} ms best",
            flush=True,
        )
    return results


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:40} {value:10.1f}")
