"""Web desk commands: `serve` runs the desk and its API; `user ...` manages accounts and tokens
(there is no default account: the first admin is made with `hoasen user add NAME --role admin`)."""

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from hoasen.cli import JsonOpt, State, Table, _desk, _errors, _print_json, _settings, app, err, out
from hoasen.errors import UsageError

if TYPE_CHECKING:
    from hoasen.desk import Desk
    from hoasen.web.auth import Accounts

user_app = typer.Typer(help="Web desk accounts, roles and API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")

# hoasen.web.auth.ROLES, written out so the help loads no web or database modules;
# tests/test_cli_startup.py checks the two agree.
ROLES = ("viewer", "editor", "registrar", "admin")

RoleOpt = Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")]
StdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]
NameArg = Annotated[str, typer.Argument(help="The user's login name.")]


def _accounts(desk: "Desk") -> "Accounts":
    """The accounts of the desk's database (imported here: the web modules load only when used)."""
    from hoasen.web.auth import Accounts

    return Accounts(desk.store)


def _stdin_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise UsageError("no password on standard input")
    return line


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default: web_host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (default: web_port).")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="Server processes (about one per CPU core; default 1)."
        ),
    ] = 1,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--with-worker",
            help="Also run a task worker in this process (the single-server default: feeds "
            "poll, reports build, posts go out without another command).",
        ),
    ] = False,
) -> None:
    """Run the web desk and its REST API (until Ctrl-C)."""
    import uvicorn

    from hoasen.desk import Desk
    from hoasen.jobs.worker import alongside
    from hoasen.web.app import check_web_settings, create_app

    with _errors(), contextlib.ExitStack() as stack:
        settings = _settings(ctx)
        check_web_settings(settings)
        desk = Desk(settings)
        try:
            if not _accounts(desk).list_users():
                err.print(
                    "no users yet: create one with `hoasen user add NAME --role admin`",
                    highlight=False,
                )
            bind_host = host or settings.web_host
            bind_port = settings.web_port if port is None else port
            shown = f"[{bind_host}]" if ":" in bind_host else bind_host
            err.print(f"hoasen desk on http://{shown}:{bind_port}/", highlight=False)
            if with_worker:
                worker = stack.enter_context(alongside(settings))
                err.print(f"with a task worker ({worker.name})", highlight=False)
            if workers == 1:
                uvicorn.run(create_app(settings, desk), host=bind_host, port=bind_port)
                return
        finally:
            desk.close()
        # each server process builds its own app (and Desk) from the environment
        state: State = ctx.obj
        if state.config is not None:
            os.environ["HOASEN_CONFIG"] = str(state.config.resolve())
        if state.db is not None:
            os.environ["HOASEN_DATABASE_URL"] = state.db
        from hoasen.web.workers import serve_workers

        if not serve_workers("hoasen.web.app:app_from_env", bind_host, bind_port, workers):
            err.print("the server's workers stopped on their own (see above)", highlight=False)
            raise typer.Exit(1)


@user_app.command("add")
def user_add(
    ctx: typer.Context, name: NameArg, role: RoleOpt, password_stdin: StdinOpt = False
) -> None:
    """Create a user; without --password-stdin a strong random password is made and printed."""
    with _desk(ctx) as desk:
        password = _stdin_password() if password_stdin else None
        user, made = _accounts(desk).add_user(name, role, password)
        out.print(f"created {user.name} ({user.role})", highlight=False)
        if password is None:
            out.print(f"password: {made}", highlight=False, soft_wrap=True)
            err.print("(shown only now: hand it over safely)", highlight=False)


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List users with their roles."""
    with _desk(ctx) as desk:
        users = _accounts(desk).list_users()
    if as_json:
        _print_json([u.as_json() for u in users])
        return
    table = Table("name", "role", "active")
    for u in users:
        table.add_row(u.name, u.role, "yes" if u.active else "no")
    out.print(table)


@user_app.command("role")
def user_role(
    ctx: typer.Context,
    name: NameArg,
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")],
) -> None:
    """Give a user another role."""
    with _desk(ctx) as desk:
        user = _accounts(desk).set_role(name, role)
    out.print(f"{user.name} is now {user.role}", highlight=False)


@user_app.command("password")
def user_password(ctx: typer.Context, name: NameArg, password_stdin: StdinOpt = False) -> None:
    """Reset a user's password (random and printed unless read from standard input)."""
    with _desk(ctx) as desk:
        password = _stdin_password() if password_stdin else None
        made = _accounts(desk).set_password(name, password)
    out.print(f"password of {name} changed; their browsers are signed out", highlight=False)
    if password is None:
        out.print(f"password: {made}", highlight=False, soft_wrap=True)


@user_app.command("deactivate")
def user_deactivate(ctx: typer.Context, name: NameArg) -> None:
    """Lock a user out: sessions end, API tokens stop working."""
    with _desk(ctx) as desk:
        _accounts(desk).deactivate(name)
    out.print(f"{name} is deactivated", highlight=False)


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    name: NameArg,
    label: Annotated[str, typer.Option("--name", help="What the token is for (a label).")],
) -> None:
    """Make an API token for a user and print it (only its hash is kept: copy it now)."""
    with _desk(ctx) as desk:
        accounts = _accounts(desk)
        token = accounts.create_token(accounts.get_user(name), label)
    sys.stdout.write(token + "\n")
    err.print("send it as `Authorization: Bearer <token>`; it is shown only now", highlight=False)
