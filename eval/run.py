"""`make eval`: measure quality on ../shared/data and fail below the pinned floors.

Floors live in eval/floors.json; `eval.gate` refuses a floors file that lowers any floor set by
an earlier commit, so quality can only ratchet up.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

from eval.gate import check_floors_not_lowered, load_floors

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SUITES = ("extraction", "language", "dedupe", "ner", "topics", "stories", "enforce", "qa")


def main(argv: list[str] | None = None) -> int:
    """Run every suite (or the named ones), print a table, return 1 when a floor is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suites", nargs="*", default=list(SUITES))
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("HOASEN_EVAL_DATA", DEFAULT_DATA))
    )
    parser.add_argument("--json", type=Path, help="Also write the metrics to this file.")
    args = parser.parse_args(argv)
    problems = check_floors_not_lowered(ROOT)
    if not args.data.is_dir():
        print(f"make eval: skipped — evaluation data not found at {args.data}")
        return 1 if problems else 0
    floors = load_floors(ROOT)
    metrics: dict[str, float] = {}
    for suite in args.suites:
        module = importlib.import_module(f"eval.{suite}")
        started = time.perf_counter()
        print(f"== {suite}", flush=True)
        result = module.evaluate(args.data)
        for key, value in result.items():
            metrics[f"{suite}.{key}"] = float(value)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    print()
    print(f"{'metric':45} {'value':>10} {'floor':>10}  ")
    for key in sorted(metrics):
        floor = floors.get(key)
        mark = ""
        if floor is not None and metrics[key] < floor:
            mark = "BELOW FLOOR"
            problems.append(f"{key} = {metrics[key]:.4f} is below its floor {floor}")
        shown = f"{floor:.4f}" if floor is not None else "-"
        print(f"{key:45} {metrics[key]:10.4f} {shown:>10}  {mark}")
    for key in floors:
        suite = key.split(".", 1)[0]
        if suite in args.suites and key not in metrics:
            problems.append(f"{key} has a floor but was not measured")
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=2, sort_keys=True))
    if problems:
        print("\nmake eval FAILED:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("\nmake eval: all floors met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
