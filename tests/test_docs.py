"""Every setting and every CLI command and option is documented (datasette's test_docs idea)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer.main

from hoasen.cli import app
from hoasen.settings import setting_docs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: click.Command, prefix: str = "hoasen") -> list[tuple[str, click.Command]]:
    found = [(prefix, group)]
    # Typer ships its own copy of click, so the group is recognised by its commands
    commands = getattr(group, "commands", None)
    if isinstance(commands, dict):
        for name, sub in sorted(commands.items()):
            found += _commands(sub, f"{prefix} {name}")
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.mark.parametrize(("name", "help_text", "default"), setting_docs())
def test_setting_documented(name: str, help_text: str, default: object) -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    shown = ", ".join(default) if isinstance(default, tuple) else str(default)
    row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"setting {name} missing from docs/settings.md"
    assert f"`HOASEN_{name.upper()}`" in row
    assert f"`{shown}`" in row, f"docs/settings.md shows a stale default for {name}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_documented(path: str, command: click.Command) -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"## `{path}`" in text, f"{path} has no section in docs/cli.md"
    section = text.split(f"## `{path}`", 1)[1].split("\n## ", 1)[0]
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in section, f"{path}: option {opt} not documented in docs/cli.md"
    assert command.help, f"{path} has no help text"
