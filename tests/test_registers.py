"""Delegation and press registers: countries in any language, person reads audited, export and
erasure (the counts stay), permit flags, coverage suggestions, and the `hoasen register` CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.models import Article
from hoasen.settings import Settings
from hoasen.store.registers import RegisterStore


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        yield d


def _cli(args: list[str], settings: Settings, code: int = 0) -> Any:
    env = {
        "HOASEN_CONFIG": "/nonexistent.toml",
        "HOASEN_DATABASE_URL": settings.database_url,
        "HOASEN_ANALYZE_ON_INGEST": "false",
    }
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result.output


def _article(desk: Desk, title: str, author: str, published: datetime) -> int:
    article = Article(
        title=title, text=title + ". " * 20, language="en", author=author, published=published
    )
    with desk.store.begin() as conn:
        return desk.store.add_article(conn, article, f"hash-{title}", None, None)


def test_delegation_checks_and_countries(desk: Desk) -> None:
    dels = desk.registers.delegations
    for name in ("CN", "cn", "China", "Trung Quốc", "中国"):
        assert dels.check({"direction": "incoming", "title": "x", "country": name,
                           "starts": "2025-01-01"}).values["country"] == "CN"  # fmt: skip
    with pytest.raises(UsageError, match="unknown country"):
        dels.add(direction="incoming", title="x", country="Quảng Tây", starts="2025-01-01")
    with pytest.raises(UsageError, match="direction"):
        dels.add(direction="sideways", title="x", country="CN", starts="2025-01-01")
    with pytest.raises(UsageError, match="no agreement"):
        dels.add(direction="in", title="x", country="CN", starts="2025-01-01", agreement="7")
    partner = desk.partners.add_partner("Guangxi Daily Media Group")
    agreement = desk.partners.add_agreement(partner.id, title="MoU", starts="2024-01-01")
    row = dels.add(
        direction="incoming",
        title="Guangxi press delegation",
        country="Trung Quốc",
        organisation="Guangxi Daily Media Group",
        members="12",
        starts="2025-03-01",
        ends="2025-03-04",
        purpose="press, culture",
        agreement=str(agreement.id),
    )
    assert row.entity_id == "org.guangxi-daily-media-group" and row.agreement_id == agreement.id
    assert row.purpose == ("press", "culture") and row.status == "held"
    with pytest.raises(UsageError, match="already recorded"):
        dels.add(direction="in", title="GUANGXI press delegation", country="CN",
                 starts="2025-03-01")  # fmt: skip
    act = dels.add_activity(row.id, "2025-03-02", "Visit to the port", at="09:30")
    assert dels.activities(row.id) == [act]
    with pytest.raises(UsageError, match="outside"):
        dels.add_activity(row.id, "2025-04-02", "Too late")


def test_person_reads_are_audited_and_erasure_keeps_counts(desk: Desk) -> None:
    regs = desk.registers
    row = regs.delegations.add(
        direction="incoming", title="Lao delegation", country="Lào", head="Somchai P.",
        head_role="Vice governor", members=9, starts="2025-06-01",
    )  # fmt: skip
    journalist = regs.press.add(
        group="Xinhua team", outlet="Xinhua", name="Li Wei", nationality="CN",
        starts="2025-06-02", permit_number="P-1", valid_from="2025-06-01", valid_to="2025-06-30",
    )  # fmt: skip
    assert row.head_id is not None
    head = regs.person(row.head_id, "officer.an")
    assert head.name == "Somchai P." and head.nationality == "LA"
    entries = RegisterStore(desk.store).audit_entries(f"person:{row.head_id}")
    assert [(e["user"], e["action"]) for e in entries] == [("officer.an", "register.person.read")]
    doc = regs.export_person(journalist.person_id, "officer.an")
    assert doc["person"]["name"] == "Li Wei" and doc["person"]["outlet"] == "Xinhua"
    assert doc["accreditations"][0]["permit_number"] == "P-1"
    assert doc["accreditations"][0]["group"]["title"] == "Xinhua team"
    assert json.dumps(doc, ensure_ascii=False)
    assert regs.export_person(row.head_id)["delegations_headed"][0]["title"] == "Lao delegation"
    before = regs.stats(2025)
    erased = regs.erase_person(row.head_id, "officer.binh")
    regs.erase_person(journalist.person_id, "officer.binh")
    assert erased.name == "" and erased.role == "" and erased.nationality is None
    assert erased.erased is not None
    assert regs.stats(2025) == before
    assert regs.delegations.delegation(row.id).head_id == row.head_id
    actions = [
        e["action"] for e in RegisterStore(desk.store).audit_entries(f"person:{row.head_id}")
    ]
    assert "register.person.erase" in actions
    with pytest.raises(NotFoundError):
        regs.person(9999, "officer.an")


def test_permit_flags_and_coverage_suggestions(desk: Desk) -> None:
    press = desk.registers.press
    today = date(2025, 6, 20)
    soon = press.add(
        group="NHK crew", outlet="NHK", name="Sato Yuki", nationality="Japan",
        starts="2025-06-10", ends="2025-06-25", permit_number="J-7",
        valid_from="2025-06-10", valid_to="2025-06-22",
    )  # fmt: skip
    press.add(
        group="NHK crew", outlet="NHK", name="Ito Ken", nationality="JP", starts="2025-06-10",
        valid_from="2025-06-10", valid_to="2025-09-30",
    )  # fmt: skip
    inside = _article(desk, "Ha Long bay", "Sato Yuki, NHK", datetime(2025, 6, 12, tzinfo=UTC))
    outside = _article(desk, "Port story", "NHK World", datetime(2025, 6, 24, tzinfo=UTC))
    _article(desk, "Unrelated", "Reuters", datetime(2025, 6, 12, tzinfo=UTC))
    assert soon.group_id is not None
    links = press.suggest_coverage(soon.group_id)
    mine = {(lk.entry_id, lk.article_id) for lk in links}
    assert (soon.id, inside) in mine and (soon.id, outside) in mine
    assert all(lk.status == "suggested" for lk in links)
    ito_outside = next(lk for lk in links if lk.entry_id != soon.id and lk.article_id == outside)
    press.decide(ito_outside.id, "rejected", "officer.an")
    assert press.suggest_coverage(soon.group_id) == press.suggest_coverage(soon.group_id)
    with pytest.raises(UsageError):
        press.decide(ito_outside.id, "maybe", "officer.an")
    flags = press.permits(days=7, today=today)
    kinds = {(f.kind, f.journalist.id, f.article_id) for f in flags}
    assert ("expiring", soon.id, None) in kinds
    assert ("coverage-outside", soon.id, outside) in kinds
    assert not any(f.journalist.id != soon.id for f in flags)
    later = press.permits(days=7, today=today + timedelta(days=5))
    assert any(f.kind == "expired" and f.days_left == -3 for f in later)


def test_register_cli(desk: Desk, settings: Settings, tmp_path: Path) -> None:
    csv_path = tmp_path / "d.csv"
    csv_path.write_text(
        "direction,title,country,head,members,starts,ends,purpose,status\n"
        "incoming,Korean business forum,Hàn Quốc,Kim M.,30,2025-04-01,2025-04-03,trade,held\n"
        "outgoing,Trade mission to Nanning,中国,Tran V.,8,2025-05-10,,trade,confirmed\n",
        encoding="utf-8",
    )
    dry = _cli(
        ["register", "delegations", "import", str(csv_path), "--dry-run", "--json"], settings
    )
    assert dry["ok"] and dry["imported"] == 0 and dry["rows"] == 2
    done = _cli(["register", "delegations", "import", str(csv_path), "--json"], settings)
    assert done["imported"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("title,passport number\nx,1\n", encoding="utf-8")
    output = _cli(["register", "delegations", "import", str(bad)], settings, code=2)
    assert "passport number" in output
    listed = _cli(["register", "delegations", "list", "--year", "2025", "--json"], settings)
    assert [d["country"] for d in listed] == ["KR", "CN"]
    assert _cli(["register", "delegations", "list", "--year", "2024", "--json"], settings) == []
    stats = _cli(["register", "stats", "--year", "2025", "--json"], settings)
    assert stats["delegations"] == 2 and stats["delegates"] == 38
    assert (
        _cli(["register", "stats", "--year", "2025", "--month", "4", "--json"], settings)[
            "delegates"
        ]
        == 30
    )
    assert "delegations: 2" in _cli(["register", "stats", "--year", "2025"], settings)
    xlsx = tmp_path / "out.xlsx"
    _cli(["register", "delegations", "export", "-o", str(xlsx), "--year", "2025",
          "--with-people"], settings)  # fmt: skip
    sheet = load_workbook(xlsx).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-2:] == ("head", "head_role") and values[1][-2] == "Kim M."
    head_id = listed[0]["head_id"]
    shown = _cli(["register", "person", "show", str(head_id), "--json"], settings)
    assert shown["name"] == "Kim M."
    exported = json.loads(_cli(["register", "person", "export", str(head_id)], settings))
    assert exported["access_log"][0]["action"] == "register.person.read"
    _cli(["register", "person", "erase", str(head_id), "--by", "officer.an"], settings)
    assert _cli(["register", "person", "show", str(head_id), "--json"], settings)["name"] == ""
    assert _cli(["register", "stats", "--year", "2025", "--json"], settings)["delegates"] == 38
    press_csv = tmp_path / "p.csv"
    press_csv.write_text(
        "group,outlet,name,nationality,starts,permit number,valid from,valid to\n"
        f"CCTV team,CCTV,Wang F.,CN,2025-04-01,C-1,2025-04-01,{date.today().isoformat()}\n",
        encoding="utf-8",
    )
    assert _cli(["register", "press", "import", str(press_csv), "--json"], settings)["ok"]
    groups = _cli(["register", "press", "list", "--json"], settings)
    assert groups[0]["journalists"] == 1
    flags = _cli(["register", "press", "permits", "--days", "30", "--json"], settings)
    assert flags[0]["kind"] == "expiring" and flags[0]["days_left"] == 0
    assert _cli(["register", "press", "suggest", str(groups[0]["id"]), "--json"], settings) == []
