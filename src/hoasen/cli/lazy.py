"""The top-level `hoasen` group, which imports a command module only when one of its commands
runs: `hoasen search` builds the search command alone, not the 150 others (Typer reads every
command's signature when it builds one, ~0.1 s for them all, plus their modules' imports).

`hoasen --help` lists the commands not yet loaded from `LAZY` (name, modules, first paragraph
of the help); tests/test_cli_startup.py holds `LAZY` equal to what the modules register and
the lazy help equal to the help of the fully loaded tree.
"""

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import typer.main
from typer.core import TyperCommand, TyperGroup

# Top-level commands and groups of the other cli modules, in the order the help lists them
# (the modules that must be imported for each, then the first paragraph of its help).
LAZY: dict[str, tuple[tuple[str, ...], str]] = {
    "notifications": (("alerts",), "The desk's notification list, newest first (every user's)."),
    "reports": (("reports", "schedules"), "List the register of reports, newest first."),
    "translate": (
        ("translate",),
        "Translate an article (kept as a draft for review) or plain text, names kept right.",
    ),
    "qa": (
        ("translate",),
        "Check a translation line by line: names, numbers, language, length, markup.\n"
        "Exits 0 whether or not anything is flagged.",
    ),
    "entities": (
        ("understand",),
        "Find people, organisations and places in a text, linked to gazetteer entities.",
    ),
    "figures": (
        ("understand",),
        "Find key figures (money, visitors, percentages...) with value, unit and subject.",
    ),
    "analyze": (
        ("understand",),
        "Run the analysis stages on stored articles where output is missing or from an older\n"
        "model version (entities, figures, embeddings, topics, stories).",
    ),
    "stories": (
        ("understand",),
        "List stories (articles about one event across sources and languages), largest first.",
    ),
    "entity": (
        ("understand",),
        "Show one entity: its names per language and the articles that mention it.",
    ),
    "serve": (("web",), "Run the web desk and its REST API (until Ctrl-C)."),
    "alerts": (
        ("alerts",),
        "Alerts: saved searches and watches, delivered to the desk, by e-mail or on Telegram.",
    ),
    "exchange": (
        ("exchange", "exchange_in"),
        "News exchange with partner agencies (ninjs, NewsML-G2, Atom, JSON Feed).",
    ),
    "edition": (
        ("editions",),
        "Numbered bilingual editions: series, issues, texts, workflow and rendering.",
    ),
    "worker": (
        ("jobs",),
        "Run the task worker (polls, analysis, reports, exchange, posts, alerts).",
    ),
    "jobs": (("jobs",), "Job runs: list, show, retry; tick the scheduler."),
    "lists": (("mailing",), "Mailing lists and their subscribers."),
    "campaign": (("mailing",), "Mail campaigns to a mailing list."),
    "mail": (("mailing",), "The office's mail: bounces and complaints."),
    "channels": (("posts",), "Publishing channels: pages, accounts, sites."),
    "posts": (("posts",), "Posts on the channels: draft, approve, schedule, send."),
    "partners": (
        ("registers",),
        "Partner organisations (press agencies, broadcasters...) linked to the gazetteer.",
    ),
    "agreements": (
        ("registers",),
        "Cooperation agreements with partners, and which are due for renewal.",
    ),
    "register": (
        ("registers_cli", "register_events"),
        "The office's registers: delegations, foreign press, events, statistics, people.",
    ),
    "report": (
        ("reports", "schedules"),
        "Write a numbered monitoring report, or show a registered one.",
    ),
    "termbase": (
        ("translate",),
        "The termbase: names and terms per language (built on the gazetteer).",
    ),
    "tm": (("translate",), "The translation memory (TMX 1.4b)."),
    "translations": (("translate",), "Articles' stored translations and their review."),
    "topics": (("understand",), "Topic taxonomy, training and prediction."),
    "gazetteer": (("understand",), "The multilingual gazetteer of entities."),
    "user": (("web",), "Web desk accounts, roles and API tokens."),
}
# Where the commands of hoasen/cli/__init__.py stand among them: its commands come first,
# then the other modules' commands, then the groups (its own `sources` first).
OWN_COMMANDS = ("extract", "ingest", "fetch", "articles", "search", "dupes", "demo")
OWN_GROUPS = ("sources",)
GROUPS_FROM = "alerts"  # the first group of LAZY


def order() -> list[str]:
    """Every top-level name, in the order of the help."""
    names = list(LAZY)
    at = names.index(GROUPS_FROM)
    return [*OWN_COMMANDS, *names[:at], *OWN_GROUPS, *names[at:]]


class LazyCommands(dict[str, Any]):
    """The group's commands: a dict of those built, which builds the others when asked for one
    by name (`get`, `[]`) and all of them when asked for its values or items."""

    def __init__(self, built: dict[str, Any], names: list[str], build: Callable[[str], Any]):
        super().__init__(built)
        self._names = [*names, *(n for n in built if n not in names)]
        self._build = build

    def built(self, name: str) -> bool:
        """Whether `name` is built already."""
        return dict.__contains__(self, name)

    def _get(self, name: str) -> Any:
        if not self.built(name):
            dict.__setitem__(self, name, self._build(name))
        return dict.__getitem__(self, name)

    def __getitem__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)
        return self._get(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self._get(name) if name in self._names else default

    def __setitem__(self, name: str, command: Any) -> None:
        dict.__setitem__(self, name, command)
        if name not in self._names:
            self._names.append(name)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self._names)

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self._get(n) for n in self._names]

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(n, self._get(n)) for n in self._names]


class HoasenGroup(TyperGroup):
    """The `hoasen` group: commands of other modules are built when first asked for."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(dict(self.commands), order(), self._build)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list, with the help of those not built yet taken from `LAZY`."""
        lazy = self.commands
        assert isinstance(lazy, LazyCommands)
        stand_ins = {
            name: TyperCommand(name=name, help=LAZY[name][1])
            for name in lazy
            if name in LAZY and not lazy.built(name)
        }
        built = self.commands
        self.commands = {n: stand_ins.get(n) or built[n] for n in built}
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = built

    def _build(self, name: str) -> Any:
        """Import the modules of `name` and build its command or group."""
        for module in LAZY[name][0] if name in LAZY else ():
            importlib.import_module(f"hoasen.cli.{module}")
        from hoasen.cli import app

        for group in app.registered_groups:
            if group.name == name:
                return typer.main.get_group_from_info(
                    group,
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    suggest_commands=app.suggest_commands,
                    rich_markup_mode=app.rich_markup_mode,
                )
        for command in app.registered_commands:
            callback = command.callback
            if command.name == name or (
                command.name is None
                and callback is not None
                and typer.main.get_command_name(callback.__name__) == name
            ):
                return typer.main.get_command_from_info(
                    command,
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    rich_markup_mode=app.rich_markup_mode,
                )
        raise KeyError(name)
