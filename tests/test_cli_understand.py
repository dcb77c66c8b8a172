"""The CLI contract of the analysis commands, end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES
from hoasen.cli import app

STORIES = FIXTURES / "analysis" / "stories.jsonl"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for CLI runs: no settings file."""
    return {"HOASEN_CONFIG": str(tmp_path / "absent.toml")}


def run(args: list[str], env: dict[str, str], code: int = 0, stdin: str | None = None) -> Any:
    """Run the CLI; check the exit code; return parsed JSON when --json was given."""
    result = CliRunner().invoke(app, args, env=env, input=stdin, catch_exceptions=False)
    assert result.exit_code == code, result.output
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result


def test_ingest_analyses_then_stories_and_entity(db: str, env: dict[str, str]) -> None:
    report = run(["--db", db, "ingest", str(STORIES), "--json"], env)
    assert report["ingested"] == 5 and report["analyzed"] == 5 and report["errors"] == []

    stories = run(["--db", db, "stories", "--json"], env)
    assert sorted(len(s["articles"]) for s in stories) == [2, 3]
    big = max(stories, key=lambda s: len(s["articles"]))
    assert set(big) >= {"id", "title", "articles", "languages", "first_seen", "last_seen"}
    assert sorted(big["languages"]) == ["en", "vi", "zh"]
    assert big["title"].startswith("Quảng Ninh")
    assert run(["--db", db, "stories", "--min-articles", "3", "--json"], env) == [big]

    entity = run(["--db", db, "entity", "Quang Ninh", "--json"], env)
    assert entity["id"] == "vn.quang-ninh"
    assert entity["names"]["vi"] == "Quảng Ninh" and "zh" in entity["names"]
    assert len(entity["articles"]) == 5
    assert run(["--db", db, "entity", "广宁省", "--json"], env)["id"] == "vn.quang-ninh"
    missing = run(["--db", db, "entity", "Atlantis"], env, code=3)
    assert "no known entity" in missing.stderr

    again = run(["--db", db, "analyze", "--json"], env)
    assert again["articles"] == 0 and set(again["versions"]) >= {"entities", "stories"}
    redo = run(["--db", db, "analyze", "--stage", "topics", "--force", "--json"], env)
    assert redo["stages"] == {"topics": 5}
    assert run(["--db", db, "analyze", "--stage", "mood"], env, code=2)


def test_entities_and_figures_of_a_text(env: dict[str, str], tmp_path: Path) -> None:
    text = "Tỉnh Quảng Ninh đón 18,43 triệu lượt khách, doanh thu 48.362 tỷ đồng."
    found = run(["entities", "-", "--lang", "vi", "--json"], env, stdin=text)
    # underthesea's span ("Tỉnh Quảng Ninh") is kept: the gazetteer links it, never shortens it
    province = next(m for m in found if m["entity"] == "vn.quang-ninh")
    assert province["type"] == "LOC" and province["text"].endswith("Quảng Ninh")
    assert text[province["start"] : province["end"]] == province["text"]
    figures = run(["figures", "-", "--lang", "vi", "--json"], env, stdin=text)
    values = {(f["value"], f["unit"]) for f in figures}
    assert (18_430_000, "visitors") in values and (48_362_000_000_000, "VND") in values
    assert not (tmp_path / "hoasen.db").exists()  # reading a text creates no database


def test_topics_train_predict(env: dict[str, str], tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    rows = []
    for n in range(12):
        tourism = f"Du khách quốc tế đến Hạ Long tham quan vịnh lần {n}"
        investment = f"Nhà đầu tư Nhật Bản rót vốn vào khu công nghiệp đợt {n}"
        rows.append({"text": tourism, "label": "du-lich"})
        rows.append({"text": investment, "label": "dau-tu"})
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["not json", '{"text": "x"}']
    labelled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = tmp_path / "model"
    trained = run(["topics", "train", str(labelled), "--model", str(model), "--json"], env)
    assert trained["trained_on"] == 24 and sorted(trained["labels"]) == ["dau-tu", "du-lich"]
    assert [e["input"] for e in trained["errors"]] == [f"{labelled}:25", f"{labelled}:26"]

    data = tmp_path / "in.jsonl"
    data.write_text(
        json.dumps({"id": "a", "text": "Khách du lịch tham quan vịnh Hạ Long"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "b", "text": "Vốn đầu tư vào khu công nghiệp"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    predicted = run(["topics", "predict", str(data), "--model", str(model), "--json"], env)
    assert [(p["id"], p["labels"][0]) for p in predicted] == [("a", "du-lich"), ("b", "dau-tu")]
    default = run(["topics", "predict", str(data), "--json"], env)
    assert default[0]["labels"][0] == "tourism"
    assert default[1]["labels"][0] == "investment-trade"
    listed = run(["topics", "list", "--json"], env)
    assert len(listed) == 12 and {"tourism", "press-media"} <= {t["id"] for t in listed}
    run(["topics", "predict", str(data), "--model", str(tmp_path / "nothing")], env, code=2)


def test_gazetteer_import_and_list(env: dict[str, str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    csv = tmp_path / "partners.csv"
    csv.write_text(
        "id,type,kind,country,name_vi,name_en,name_zh,aliases\n"
        "org.qn-media,ORG,organization,VN,Trung tâm Truyền thông tỉnh Quảng Ninh,"
        "Quang Ninh Media Center,广宁省传媒中心,en:QMC\n",
        encoding="utf-8",
    )
    done = run(["--db", db, "gazetteer", "import", str(csv), "--json"], env)
    assert done == {"file": str(csv), "entities": 1}
    orgs = run(["--db", db, "gazetteer", "list", "--kind", "organization", "--json"], env)
    assert "org.qn-media" in {o["id"] for o in orgs}
    shown = run(["--db", db, "entity", "广宁省传媒中心", "--json"], env)
    assert shown["id"] == "org.qn-media" and shown["aliases"] == {"en": ["QMC"]}
    bad = tmp_path / "bad.csv"
    bad.write_text("id,type\nx,ZZZ\n", encoding="utf-8")
    result = run(["--db", db, "gazetteer", "import", str(bad)], env, code=2)
    assert "line 1" in result.stderr and "missing column" in result.stderr
