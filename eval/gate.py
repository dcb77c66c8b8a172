"""Pinned quality floors that may only go up (trafilatura's eval-gate idea)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

FLOORS = Path("eval") / "floors.json"


def load_floors(root: Path) -> dict[str, float]:
    """The floors in the working tree: {"suite.metric": minimum}."""
    path = root / FLOORS
    if not path.is_file():
        return {}
    return {k: float(v) for k, v in json.loads(path.read_text()).items() if not k.startswith("_")}


def check_floors_not_lowered(root: Path) -> list[str]:
    """List each floor lowered or dropped against any committed version of the file."""
    current = load_floors(root)
    try:
        revs = subprocess.run(
            ["git", "log", "--format=%H", "--", str(FLOORS)],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return []
    problems: list[str] = []
    for rev in revs:
        shown = subprocess.run(
            ["git", "show", f"{rev}:{FLOORS}"], cwd=root, capture_output=True, text=True
        )
        if shown.returncode != 0:
            continue
        try:
            old = json.loads(shown.stdout)
        except json.JSONDecodeError:
            continue
        for key, value in old.items():
            if key.startswith("_"):
                continue
            if key not in current:
                problems.append(f"floor {key} was removed (commit {rev[:8]} had {value})")
            elif current[key] < float(value):
                problems.append(
                    f"floor {key} lowered to {current[key]} (commit {rev[:8]} had {value})"
                )
    return sorted(set(problems))
