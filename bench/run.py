"""`make bench`: ingest and analysis throughput, the whole pipeline's (ingest + analysis of NTREX
news in five languages and of long BBC articles, in one process), search latency and report
build time on 100k articles, feed polling, translation QA alone on 10,000 segment pairs, and the
local zh→en engine with and without the termbase enforced, the task queue's pipeline throughput
with 1, 2 and 4 workers, and the command line's start-up time (`hoasen --help`; `search` and
`extract` whole).

Results are printed as a table and written to bench/results.json (with the machine) so the README
numbers can be checked.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
BENCHES = (
    "ingest",
    "analysis",
    "pipeline",
    "search",
    "reports",
    "poll",
    "api",
    "qa",
    "translate",
    "editions",
    "campaign",
    "workers",
    "cli",
    "startup",
)


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("HOASEN_EVAL_DATA", DEFAULT_DATA))
    )
    parser.add_argument("--articles", type=int, default=100_000, help="Search database size.")
    parser.add_argument("--pages", type=int, default=300, help="Pages for the ingest benchmark.")
    parser.add_argument("--feeds", type=int, default=1000, help="Feeds for the polling benchmark.")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument(
        "--only", nargs="*", choices=BENCHES, default=list(BENCHES), help="Benchmarks to run."
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"make bench: skipped — benchmark data not found at {args.data}")
        return 0
    from bench import (
        analysis,
        api,
        campaign,
        cli,
        editions,
        ingest,
        pipeline,
        poll,
        qa,
        reports,
        search,
        startup,
        translate,
        workers,
    )

    args.cache.mkdir(parents=True, exist_ok=True)
    previous = ROOT / "bench" / "results.json"
    results: dict[str, dict[str, float]] = {}
    if previous.is_file():  # keep the numbers of benchmarks not run this time
        results = json.loads(previous.read_text())["results"]
    print(f"machine: {machine()}", flush=True)
    runs = {
        "ingest": lambda: ingest.run(args.data, limit=args.pages),
        "analysis": lambda: analysis.run_isolated(args.data),
        "pipeline": lambda: pipeline.run_isolated(args.data),
        "search": lambda: search.run(n_articles=args.articles, cache_dir=args.cache),
        "reports": lambda: reports.run(n_articles=args.articles, cache_dir=args.cache),
        "poll": lambda: poll.run(n_feeds=args.feeds),
        "api": lambda: api.run(n_articles=args.articles, cache_dir=args.cache),
        "qa": lambda: qa.run(args.data),
        "translate": lambda: translate.run(args.data),
        "editions": lambda: editions.run(args.data),
        "campaign": lambda: campaign.run(),
        "workers": lambda: workers.run(args.data),
        "cli": lambda: cli.run(),
        "startup": lambda: startup.run(args.cache),
    }
    for name in args.only:
        print(f"== {name}", flush=True)
        results[name] = runs[name]()
    print()
    print(f"{'benchmark':12} {'measure':36} {'value':>12}")
    for group, values in results.items():
        for key, value in values.items():
            print(f"{group:12} {key:36} {value:12.2f}")
    out = {"machine": machine(), "results": results}
    (ROOT / "bench" / "results.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
