"""The partner register's contact and activity commands: contacts are added, listed and removed
(an email or phone number that cannot be one is refused), activities are recorded under an
agreement, and an agreement's status changes, each round-tripping with --json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.cli import app
from hoasen.errors import NotFoundError, UsageError
from hoasen.registers.partners import PartnerDesk
from hoasen.settings import Settings
from hoasen.store.db import Store


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


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def test_contacts_are_validated_and_kept_per_partner(store: Store, gazetteer: Gazetteer) -> None:
    desk = PartnerDesk(store, gazetteer)
    gx = desk.add_partner("Guangxi Daily Media Group")
    kr = desk.add_partner("Gangwon Radio & Television")
    lan = desk.add_contact(
        "广西日报传媒集团", name=" Lan ", role="editor", email="lan@gxrb.example.cn"
    )
    assert (lan.partner_id, lan.name, lan.phone) == (gx.id, "Lan", "")
    desk.add_contact(kr.id, name="Kim", phone="+82 (33) 250-1234")
    assert [c.name for c in desk.contacts(gx.id)] == ["Lan"]
    assert desk.contacts("Gangwon Radio & Television")[0].phone == "+82 (33) 250-1234"
    for bad in ("lan", "lan@", "lan@example", "a b@example.org", "<x>@example.org"):
        with pytest.raises(UsageError, match="not an email"):
            desk.add_contact(gx.id, name="X", email=bad)
    for bad in ("call me", "12", "+84 abc 123"):
        with pytest.raises(UsageError, match="not a phone"):
            desk.add_contact(gx.id, name="X", phone=bad)
    with pytest.raises(UsageError, match="needs a name"):
        desk.add_contact(gx.id, name="  ")
    with pytest.raises(NotFoundError):
        desk.add_contact("Nobody", name="X")
    assert desk.remove_contact(lan.id) == lan
    assert desk.contacts(gx.id) == []
    with pytest.raises(NotFoundError, match="no contact"):
        desk.remove_contact(lan.id)


def test_activities_need_a_date_and_a_kind(store: Store, gazetteer: Gazetteer) -> None:
    desk = PartnerDesk(store, gazetteer)
    desk.add_partner("Guangxi Daily Media Group")
    a = desk.add_agreement("Guangxi Daily Media Group", title="T", starts="2026-01-01")
    with pytest.raises(UsageError, match="short kind"):
        desk.add_activity(a.id, "2026-02-01", " ")
    with pytest.raises(UsageError, match="date like"):
        desk.add_activity(a.id, "February", "exchange")
    with pytest.raises(NotFoundError):
        desk.add_activity(9999, "2026-02-01", "exchange")
    made = desk.add_activity(a.id, "2026-02-01", " Exchange ", " first round ")
    assert (made.kind, made.description) == ("exchange", "first round")


def test_cli_contacts_round_trip(settings: Settings) -> None:
    _cli(["partners", "add", "Guangxi Daily Media Group"], settings)
    added = _cli(
        [
            "partners",
            "contact",
            "add",
            "广西日报传媒集团",
            "--name",
            "Nguyễn Thị Lan",
            "--role",
            "foreign desk",
            "--email",
            "lan@gxrb.example.cn",
            "--phone",
            "+86 771 555 0101",
            "--json",
        ],
        settings,
    )
    assert set(added) == {"id", "partner_id", "name", "role", "email", "phone", "notes"}
    assert added["email"] == "lan@gxrb.example.cn" and added["role"] == "foreign desk"
    out = _cli(
        ["partners", "contact", "add", "Guangxi Daily Media Group", "--name", "X", "--email", "x"],
        settings,
        code=2,
    )
    assert "not an email" in out
    listed = _cli(["partners", "contact", "list", "guangxi-daily-media-group", "--json"], settings)
    assert listed == [added]
    table = _cli(["partners", "contact", "list", "Guangxi Daily Media Group"], settings)
    assert "Nguyễn Thị Lan" in table
    _cli(["partners", "contact", "list", "Nobody"], settings, code=3)
    gone = _cli(["partners", "contact", "remove", str(added["id"])], settings)
    assert f"Removed contact #{added['id']}" in gone
    _cli(["partners", "contact", "remove", str(added["id"])], settings, code=3)
    assert _cli(["partners", "contact", "list", "广西日报传媒集团", "--json"], settings) == []


def test_cli_activities_and_status(settings: Settings) -> None:
    _cli(["partners", "add", "Gangwon Radio & Television", "--country", "KR"], settings)
    agreement = _cli(
        [
            "agreements",
            "add",
            "Gangwon Radio & Television",
            "--title",
            "Co-production",
            "--starts",
            "2025-01-01",
            "--ends",
            "2026-12-31",
            "--json",
        ],
        settings,
    )
    ref = str(agreement["id"])
    activity = _cli(
        [
            "agreements",
            "activity",
            "add",
            ref,
            "--on",
            "2025-05-10",
            "--kind",
            "delegation",
            "--description",
            "Five producers visit Chuncheon",
            "--json",
        ],
        settings,
    )
    assert activity == {
        "id": activity["id"],
        "agreement_id": agreement["id"],
        "on": "2025-05-10",
        "kind": "delegation",
        "description": "Five producers visit Chuncheon",
    }
    said = _cli(
        ["agreements", "activity", "add", ref, "--on", "2025-06-01", "--kind", "exchange"],
        settings,
    )
    assert "Added activity" in said
    listed = _cli(["agreements", "activity", "list", ref, "--json"], settings)
    assert [a["kind"] for a in listed] == ["delegation", "exchange"]
    assert "Chuncheon" in _cli(["agreements", "activity", "list", ref], settings)
    bad = ["agreements", "activity", "add", ref, "--on", "10/05/2025", "--kind", "x"]
    assert "date like" in _cli(bad, settings, code=2)
    _cli(["agreements", "activity", "list", "9999"], settings, code=3)

    changed = _cli(["agreements", "status", ref, "expired", "--json"], settings)
    assert changed["status"] == "expired"
    assert "now active" in _cli(["agreements", "status", ref, "active"], settings)
    assert "unknown status" in _cli(["agreements", "status", ref, "pending"], settings, code=2)
    _cli(["agreements", "status", "9999", "expired"], settings, code=3)
