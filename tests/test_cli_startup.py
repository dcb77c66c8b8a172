"""The command line starts light: `hoasen --help`, every command's help and building the command
tree load no database, analysis, web or network library (their speed is measured by bench/cli.py).

Each check runs in a fresh interpreter, since this test process has long imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import hoasen.cli

# Libraries (and hoasen modules) that must wait for a command that needs them.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "scipy",
    "sklearn",
    "datasketch",
    "numpy",
    "trafilatura",
    "lingua",
    "lxml",
    "httpx",
    "weasyprint",
    "jieba",
    "underthesea",
    "spacy",
    "huey",
    "uvicorn",
    "fastapi",
    "jinja2",
    "asyncio",
    "smtplib",
    "rich",  # help is Click's plain text; tables and progress bars load Rich when shown
    "pydantic",  # Typer 0.29 coerced every parameter through pydantic (~0.1 s a command)
    "hoasen.desk",
    "hoasen.analyze",
    "hoasen.store",
    "hoasen.ingest",
    "hoasen.exchange",
    "hoasen.registers",
    "hoasen.translate",
    "hoasen.web",
    "hoasen.jobs",
    "hoasen.mail",
)
# The only hoasen modules the command tree may load: settings, errors, the CLI itself and the
# small pure-Python modules whose constants appear in the help.
ALLOWED_HOASEN = {
    "hoasen",
    "hoasen.errors",
    "hoasen.settings",
    "hoasen.publish",
    "hoasen.publish.edition_model",
    "hoasen.reports",
}

# Builds the whole command tree, renders the top-level and `sources` help through CliRunner and
# every group's and command's help directly, then prints the loaded modules as the last line.
TREE_SCRIPT = """
import contextlib, io, json, sys
import typer.main
from typer.testing import CliRunner
from hoasen.cli import app

runner = CliRunner()
for args in (["--help"], ["sources", "--help"], ["report", "schedule", "add", "--help"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "Usage" in result.output, (args, result.output)

def walk(cmd, name, parent):
    ctx = cmd.context_class(cmd, info_name=name, parent=parent)
    cmd.get_help(ctx)
    count = 1
    for sub_name, sub in getattr(cmd, "commands", {}).items():
        count += walk(sub, sub_name, ctx)
    return count

with contextlib.redirect_stdout(io.StringIO()):
    count = walk(typer.main.get_command(app), "hoasen", None)
print(json.dumps({"commands": count, "modules": sorted(sys.modules)}))
"""


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run Python with `args` in a fresh interpreter (no settings file, no outside database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOASEN_")}
    env["HOASEN_CONFIG"] = str(cwd / "absent.toml")
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _loaded(name: str, modules: list[str]) -> list[str]:
    return [m for m in modules if m == name or m.startswith(name + ".")]


def test_help_and_command_tree_load_no_heavy_module(tmp_path: Path) -> None:
    done = _python("-c", TREE_SCRIPT, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    modules: list[str] = report["modules"]
    assert report["commands"] > 100  # the whole tree was built, groups and commands
    heavy = {name: found for name in HEAVY if (found := _loaded(name, modules))}
    assert not heavy, f"loaded by the command tree: {heavy}"
    hoasen = {m for m in modules if m.startswith("hoasen.") and not m.startswith("hoasen.cli")}
    assert hoasen <= ALLOWED_HOASEN, sorted(hoasen - ALLOWED_HOASEN)
    assert "hoasen.cli.register_events" in modules  # every command module was registered


def test_command_modules_evaluate_annotations_once() -> None:
    """No cli module postpones annotations: Typer would evaluate the strings again for every
    command at each start (see the docstring of hoasen.cli)."""
    folder = Path(hoasen.cli.__file__).parent
    postponed = [
        p.name for p in folder.glob("*.py") if "from __future__ import annotations" in p.read_text()
    ]
    assert not postponed


def test_help_constants_match_their_modules() -> None:
    """The kinds, roles and stages written out in the CLI (to keep their modules unloaded) are
    the real ones."""
    from hoasen.analyze.pipeline import STAGES
    from hoasen.cli import posts, understand, web
    from hoasen.publish.channels import PUBLISH_KINDS
    from hoasen.web.auth import ROLES

    assert posts.PUBLISH_KINDS == PUBLISH_KINDS
    assert web.ROLES == ROLES
    assert understand.STAGES == STAGES


def test_a_desk_command_still_works_from_a_fresh_start(tmp_path: Path) -> None:
    """`sources add` then `sources list --json` through `python -m hoasen`: the desk and its
    database load when the command runs."""
    url = f"sqlite:///{tmp_path / 'startup.db'}"
    feed = "https://example.org/rss"
    added = _python(
        "-m", "hoasen", "--db", url, "sources", "add", feed, "--name", "ex", cwd=tmp_path
    )
    assert added.returncode == 0, added.stderr
    assert "Added source" in added.stdout
    listed = _python("-m", "hoasen", "--db", url, "sources", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    sources = json.loads(listed.stdout)
    assert [(s["name"], s["url"]) for s in sources] == [("ex", feed)]


# Every top-level name with its help's first paragraph and the lazy help, once with nothing but
# hoasen.cli imported and once with every command module imported first.
LAZY_SCRIPT = """
import importlib, json, pkgutil, sys
import typer.main
from typer.testing import CliRunner
import hoasen.cli
from hoasen.cli import app, lazy

if sys.argv[1] == "all":  # every module of the package, named in LAZY or not
    for module in pkgutil.iter_modules(hoasen.cli.__path__):
        importlib.import_module("hoasen.cli." + module.name)
result = CliRunner().invoke(app, ["--help"])
loaded = sorted(m for m in sys.modules if m.startswith("hoasen.cli."))
names = [
    c.name or typer.main.get_command_name(c.callback.__name__) for c in app.registered_commands
]
names += [g.name for g in app.registered_groups]
group = typer.main.get_command(app)
helps = {n: (group.commands[n].help or "").split("\\n\\n")[0] for n in names}

def tree(cmd):
    return {n: tree(c) for n, c in getattr(cmd, "commands", {}).items()}

print(json.dumps({"help": result.output, "loaded": loaded, "names": names, "helps": helps,
                  "tree": tree(group)}))
"""
# One top-level name built in a fresh process: its whole subtree, built from LAZY's modules only.
ONE_SCRIPT = """
import json, sys
import typer.main
from hoasen.cli import app

def tree(cmd):
    return {n: tree(c) for n, c in getattr(cmd, "commands", {}).items()}

print(json.dumps(tree(typer.main.get_command(app).commands[sys.argv[1]])))
"""


def _lazy_run(tmp_path: Path, mode: str) -> dict[str, object]:
    done = _python("-c", LAZY_SCRIPT, mode, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return report


def test_lazy_registry_matches_the_command_modules(tmp_path: Path) -> None:
    from hoasen.cli import lazy

    lazy_run, full = _lazy_run(tmp_path, "lazy"), _lazy_run(tmp_path, "all")
    assert lazy_run["loaded"] == ["hoasen.cli.lazy"]  # the help imported no command module
    names = full["names"]
    assert isinstance(names, list) and sorted(names) == sorted(lazy.order())  # every name once
    helps = full["helps"]
    assert isinstance(helps, dict)
    assert {name: helps[name] for name in lazy.LAZY} == {n: h for n, (_, h) in lazy.LAZY.items()}
    assert lazy_run["help"] == full["help"]  # the same help either way
    tree = full["tree"]
    assert isinstance(tree, dict)
    firsts: dict[tuple[str, ...], str] = {}
    for name, (modules, _) in lazy.LAZY.items():
        firsts.setdefault(modules, name)
    for name in firsts.values():  # one name per set of modules: its modules hold everything
        done = _python("-c", ONE_SCRIPT, name, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1]) == tree[name], name


def test_a_command_loads_its_own_module_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lazy.db'}"
    script = (
        "import sys\nfrom typer.testing import CliRunner\nfrom hoasen.cli import app\n"
        f"result = CliRunner().invoke(app, ['--db', {url!r}, 'jobs', 'list', '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.startswith('hoasen.cli.')))"
    )
    done = _python("-c", script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "['hoasen.cli.jobs', 'hoasen.cli.lazy']"
