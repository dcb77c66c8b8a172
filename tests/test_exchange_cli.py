"""The exchange plan and package commands through the CLI (typer's CliRunner): add a plan,
preview a package, approve, send over the folder transport, the ledger and statistics, the
scheduler's `due`, every listing's --json, error exit codes, and secrets never printed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner, Result

from exchange_helpers import partner, seed
from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.settings import Settings
from hoasen.store import schema

SECRET_VALUE = "TopSecretValue-42"
ADD = ["exchange", "plan", "add", "guangxi-daily-media-group"]


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment of every command, over a database with six of the office's articles
    of the last days and the Guangxi partner."""
    with Desk(settings) as desk:
        partner(desk)
        seed(desk, 6, now=datetime.now(UTC))
    return {
        "HOASEN_CONFIG": "/nonexistent.toml",
        "HOASEN_DATABASE_URL": settings.database_url,
        "HOASEN_ANALYZE_ON_INGEST": "false",
        "HOASEN_EXCHANGE_DIR": str(tmp_path / "exchange"),
        "HOASEN_EXCHANGE_SECRETS": f"gx-key={SECRET_VALUE}",
        "HOASEN_DELIVERY_BACKOFF": "0",
    }


def run(env: dict[str, str], args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    assert SECRET_VALUE not in result.output
    return result


def doc(env: dict[str, str], args: list[str]) -> Any:
    return json.loads(run(env, [*args, "--json"]).stdout)


def _add(env: dict[str, str], out: Path, *more: str) -> Any:
    return doc(
        env,
        [
            "exchange", "plan", "add", "广西日报传媒集团",
            "--name", "gx",
            "--schedule", "every 2 weeks on MON at 09:00",
            "--since-days", "30",
            "--max", "4",
            "--language", "original",
            "--format", "ninjs",
            "--transport", "folder",
            "--to", str(out),
            "--secret", "gx-key",
            *more,
        ],
    )  # fmt: skip


def test_plan_build_approve_send_and_ledger(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "to-guangxi"
    plan = _add(env, out)
    assert plan["name"] == "gx" and plan["schedule"] == "every 2 weeks on MON at 09:00"
    assert plan["secret"] == "gx-key" and plan["secret_set"] is True  # the name, never the value
    assert plan["transport_config"] == {"path": str(out)}
    assert plan["partner"]["slug"] == "guangxi-daily-media-group"
    assert plan["next_due"] and plan["selection"]["max"] == 4

    shown = run(env, ["exchange", "plan", "show", "gx"]).stdout
    assert "gx-key" in shown and "every 2 weeks on MON at 09:00" in shown
    assert doc(env, ["exchange", "plan", "show", "gx"])["id"] == plan["id"]
    listed = doc(env, ["exchange", "plan", "list", "--partner", "Guangxi Daily Media Group"])
    assert [p["name"] for p in listed] == ["gx"]
    assert "gx" in run(env, ["exchange", "plan", "list"]).stdout

    preview = doc(env, ["exchange", "build", "gx", "--operator", "lan"])
    package = preview["package"]
    assert package["status"] == "built" and package["built_by"] == "lan"
    assert len(package["items"]) == 4 and len(preview["selected"]) == 4
    assert [f["name"] for f in package["files"]][-1] == "manifest.json"
    assert package["folder"] == "guangxi-daily-media-group-00001"
    assert package["deliveries"] == []
    number = str(package["id"])

    refused = run(env, ["exchange", "send", number], code=2)
    assert "needs an editor's approval" in refused.output
    assert not out.exists()
    assert (
        "Approved package"
        in run(env, ["exchange", "approve", number, "--operator", "chief"]).stdout
    )

    sent = doc(env, ["exchange", "send", number, "--operator", "lan"])
    assert sent["status"] == "sent" and sent["package"]["status"] == "sent"
    assert sent["ledger"]["attempts"] == 1 and sent["ledger"]["n_items"] == 4
    assert sent["delivery"]["key"] == f"exchange-package-{number}"
    folder = out / "guangxi-daily-media-group-00001"
    assert len(list(folder.iterdir())) == 5
    again = run(env, ["exchange", "send", number]).stdout
    assert "nothing is sent again" in again

    packages = doc(env, ["exchange", "packages", "--plan", "gx", "--partner", "广西日报传媒集团"])
    assert [(p["id"], p["status"], p["approved_by"]) for p in packages] == [
        (int(number), "sent", "chief")
    ]
    assert "sent" in run(env, ["exchange", "packages"]).stdout
    detail = doc(env, ["exchange", "package", "show", number])
    assert detail["deliveries"][0]["attempts_made"][0]["ok"] is True
    assert detail["ledger"]["status"] == "sent" and len(detail["files"]) == 5
    text = run(env, ["exchange", "package", "show", number]).stdout
    assert "attempt 1" in text and "manifest.json" in text

    ledger = doc(env, ["exchange", "ledger", "--partner", "广西日报传媒集团"])
    assert [(e["direction"], e["status"], e["operator"]) for e in ledger] == [
        ("sent", "sent", "lan")
    ]
    assert doc(env, ["exchange", "ledger", "--direction", "received"]) == []
    assert "sent" in run(env, ["exchange", "ledger"]).stdout
    run(env, ["exchange", "ledger", "--direction", "out"], code=2)

    stats = doc(env, ["exchange", "stats"])
    assert [(s["partner"], s["direction"], s["packages"], s["items"]) for s in stats] == [
        ("guangxi-daily-media-group", "sent", 1, 4)
    ]
    assert stats[0]["by_language"] == {"vi": 4}
    assert doc(env, ["exchange", "stats", "--since", "2000-01-01", "--until", "2000-01-31"]) == []
    assert "Guangxi" in run(env, ["exchange", "stats"]).stdout

    # Nothing left to send: the plan says so and makes no package.
    nothing = doc(env, ["exchange", "send", "gx"])
    assert nothing["status"] in ("needs-approval", "nothing")


def test_pause_resume_cancel_and_due(env: dict[str, str], tmp_path: Path) -> None:
    _add(env, tmp_path / "out", "--automatic")
    assert "Paused plan gx" in run(env, ["exchange", "plan", "pause", "gx"]).stdout
    assert doc(env, ["exchange", "plan", "show", "gx"])["active"] is False
    assert "next run" in run(env, ["exchange", "plan", "resume", "gx"]).stdout
    assert doc(env, ["exchange", "due"]) == []  # not due before next Monday
    assert "No plan is due" in run(env, ["exchange", "due"]).stdout
    # The plan's time has come: `due` builds and, the plan being automatic, sends.
    with Desk(Settings(database_url=env["HOASEN_DATABASE_URL"])) as desk, desk.store.begin() as c:
        c.execute(
            update(schema.exchange_plans).values(next_due=datetime.now(UTC) - timedelta(minutes=1))
        )
    runs = doc(env, ["exchange", "due", "--operator", "cron"])
    assert [r["plan"] for r in runs] == ["gx"]
    assert runs[0]["result"]["status"] == "sent" and runs[0]["error"] == ""
    assert runs[0]["result"]["ledger"]["operator"] == "cron"
    # A built package that is not wanted is cancelled; then it is never sent.
    run(env, [*ADD, "--name", "gx digest", "--format", "html",
              "--since-days", "30", "--to", str(tmp_path / "digest")])  # fmt: skip
    built = doc(env, ["exchange", "build", "gx digest"])["package"]
    number = str(built["id"])
    assert [f["name"] for f in built["files"]] == ["digest.html", "manifest.json"]
    assert "Cancelled package" in run(env, ["exchange", "cancel", number]).stdout
    assert "cancelled" in run(env, ["exchange", "send", number], code=2).output


def test_errors_map_to_exit_codes(env: dict[str, str], tmp_path: Path) -> None:
    assert "no exchange plan named" in run(env, ["exchange", "build", "nope"], code=3).output
    assert "no exchange package 99" in run(env, ["exchange", "approve", "99"], code=3).output
    bad = run(
        env,
        [*ADD, "--name", "x", "--schedule", "sometimes",
         "--to", str(tmp_path)],
        code=2,
    )  # fmt: skip
    assert "cannot read the schedule" in bad.output
    unknown = run(env, ["exchange", "plan", "add", "Xinhua", "--name", "x"], code=3)
    assert "no partner" in unknown.output
    refused = run(env, [*ADD, "--name", "x", "--transport", "email",
                        "--to", "not-an-address"], code=2)  # fmt: skip
    assert "email transport" in refused.output
    few = run(env, [*ADD, "--name", "few", "--min", "10",
                    "--since-days", "30", "--to", str(tmp_path)])  # fmt: skip
    assert "Added plan" in few.stdout
    preview = doc(env, ["exchange", "build", "few"])
    assert preview["package"] is None and "at least 10" in preview["message"]
    assert "no package built" in run(env, ["exchange", "build", "few"]).stdout


def test_inbound_plan_shows_no_secret(env: dict[str, str]) -> None:
    plan = doc(
        env,
        [*ADD, "--name", "from gx", "--direction", "in",
         "--transport", "inbox", "--format", "auto", "--secret", "gx-key"],
    )  # fmt: skip
    assert plan["direction"] == "in" and plan["secret"] == "gx-key"
    text = run(env, ["exchange", "plan", "show", "from gx"]).stdout
    assert "gx-key" in text and "received over inbox" in text
    assert "receives from the partner" in run(env, ["exchange", "send", "from gx"], code=2).output
