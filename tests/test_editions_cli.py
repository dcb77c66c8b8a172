"""The edition commands through the CLI (typer's CliRunner): a series, an issue numbered after
the last, articles and a desk piece, Chinese texts machine-translated by a fake LibreTranslate
then approved, the workflow with its refusals as exit codes, `show --json` with origins,
approvals, QA flags and history, and publishing freezing the issue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from exchange_helpers import seed
from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.settings import Settings
from translate_fakes import Answer, FakeServer, Request


def _libre(req: Request) -> Answer:
    if req.method == "GET" and req.path == "/languages":
        return Answer(body=[{"code": "vi", "name": "Vietnamese", "targets": ["zh"]}])
    q = (req.body or {}).get("q")
    texts = q if isinstance(q, list) else [q]
    return Answer(body={"translatedText": [f"中文 {t}" for t in texts]})


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    with Desk(settings) as desk:
        seed(desk, 2)
    with FakeServer(_libre) as engine:
        yield {
            "HOASEN_CONFIG": "/nonexistent.toml",
            "HOASEN_DATABASE_URL": settings.database_url,
            "HOASEN_ANALYZE_ON_INGEST": "false",
            "HOASEN_TRANSLATE_ENGINES": "*=libretranslate",
            "HOASEN_LIBRETRANSLATE_URL": engine.url,
            "HOASEN_EDITION_SITE_DIR": str(tmp_path / "site"),
        }


def run(env: dict[str, str], args: list[str], code: int = 0) -> Result:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    return result


def doc(env: dict[str, str], args: list[str]) -> Any:
    return json.loads(run(env, [*args, "--json"]).stdout)


def test_an_issue_from_series_to_publication(env: dict[str, str], tmp_path: Path) -> None:
    made = doc(
        env,
        ["edition", "series", "add", "Hoa Sen", "--languages", "vi,zh", "--masthead", "荷花",
         "--colophon", "Sở TT&TT Quảng Ninh", "--layout", "parallel"],
    )  # fmt: skip
    assert made["slug"] == "hoa-sen" and made["languages"] == ["vi", "zh"]
    run(env, ["edition", "series", "add", "Mono", "--languages", "vi"], code=2)
    assert [s["name"] for s in doc(env, ["edition", "series", "list"])] == ["Hoa Sen"]
    assert "hoa-sen" in run(env, ["edition", "series", "list"]).stdout

    first = run(env, ["edition", "new", "hoa-sen", "--title", "Xuân", "--date", "2026-02-01"])
    issue = first.stdout.strip()
    assert issue.isdigit()
    second = doc(env, ["edition", "new", "Hoa Sen", "--operator", "lan"])
    assert second["number"] == 2 and second["status"] == "draft"
    listed = doc(env, ["edition", "list", "--series", "hoa-sen"])
    assert [i["number"] for i in listed] == [2, 1] and listed[0]["series"] == "Hoa Sen"
    run(env, ["edition", "new", "nope"], code=3)

    added = doc(env, ["edition", "add", issue, "1", "2"])
    assert len(added["items"]) == 2 and added["notes"] == []
    body = tmp_path / "body.txt"
    body.write_text("Kính gửi bạn đọc.\n\nChúc mừng năm mới.", encoding="utf-8")
    piece = run(
        env,
        ["edition", "piece", issue, "--lang", "vi", "--title", "Lời ngỏ", "--body", str(body),
         "--operator", "lan"],
    ).stdout.strip()  # fmt: skip
    run(env, ["edition", "status", issue, "review", "--operator", "lan"], code=2)

    translated = doc(env, ["edition", "translate", issue, "--lang", "zh", "--operator", "lan"])
    assert len(translated["notes"]) == 3
    shown = doc(env, ["edition", "show", issue])
    zh = [item["texts"]["zh"] for item in shown["items"]]
    assert all(t["origin"] == "translation" and not t["approved"] for t in zh)
    assert all("flags" in t for t in zh)
    assert "NOT approved" in run(env, ["edition", "show", issue]).stdout

    run(env, ["edition", "status", issue, "review", "--operator", "lan"])
    run(env, ["edition", "status", issue, "approved", "--operator", "chief"], code=2)
    for item in added["items"]:
        approved = doc(env, ["edition", "approve-text", str(item), "zh", "--operator", "chief"])
        assert approved["approved"] and approved["approved_by"] == "chief"
    zh_body = tmp_path / "zh.txt"
    zh_body.write_text("敬爱的读者。\n\n新年快乐。", encoding="utf-8")
    written = doc(
        env,
        ["edition", "text", piece, "zh", "--title", "致读者", "--body", str(zh_body),
         "--operator", "thu"],
    )  # fmt: skip
    assert written["origin"] == "editor" and written["approved_by"] == "thu"
    moved = doc(env, ["edition", "status", issue, "approved", "--operator", "chief"])
    assert moved["status"] == "approved"
    run(env, ["edition", "status", issue, "draft"], code=2)  # no --note
    run(env, ["edition", "status", issue, "published"], code=2)

    published = doc(env, ["edition", "publish", issue, "--operator", "chief"])
    assert published["status"] == "published" and published["published"]
    run(env, ["edition", "add", issue, "1"], code=2)  # frozen
    history = doc(env, ["edition", "show", issue])["history"]
    assert [(h["who"], h["to"]) for h in history][-3:] == [
        ("lan", "review"),
        ("chief", "approved"),
        ("chief", "published"),
    ]


def test_render_needs_a_known_format(env: dict[str, str], tmp_path: Path) -> None:
    run(env, ["edition", "series", "add", "Hoa Sen", "--languages", "vi,zh"])
    issue = run(env, ["edition", "new", "hoa-sen"]).stdout.strip()
    out = tmp_path / "x.odt"
    run(env, ["edition", "render", issue, "--format", "odt", "-o", str(out)], code=2)
    assert not out.exists()
