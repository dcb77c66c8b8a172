"""Partners and agreements: names resolve across vi/en/zh, renewals come up as due, bad dates
are refused, and the CLI round-trips with --json."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.cli import app
from hoasen.errors import NotFoundError, UsageError
from hoasen.registers.partners import PartnerDesk
from hoasen.settings import Settings
from hoasen.store.db import Store


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture
def desk(store: Store, gazetteer: Gazetteer) -> PartnerDesk:
    return PartnerDesk(store, gazetteer)


def test_partner_resolves_across_languages(desk: PartnerDesk) -> None:
    added = desk.add_partner("Guangxi Daily Media Group", languages="vi,zh", kind="media-group")
    assert added.entity_id == "org.guangxi-daily-media-group"
    assert added.country == "CN" and added.slug == "guangxi-daily-media-group"
    assert added.languages == ("vi", "zh")
    for name in (
        "Guangxi Daily Media Group",
        "Tập đoàn Truyền thông Báo Quảng Tây",
        "tap doan truyen thong bao quang tay",
        "广西日报传媒集团",
        "guangxi-daily-media-group",
        str(added.id),
    ):
        assert desk.partner(name).id == added.id, name
    radio = desk.add_partner("Đài Phát thanh và Truyền hình Quảng Tây", kind="broadcaster")
    assert (
        radio.entity_id == "org.guangxi-radio-tv" and radio.slug == "guangxi-radio-and-television"
    )
    assert desk.partner("广西广播电视台").id == radio.id
    assert desk.partner("Guangxi Radio and Television").id == radio.id
    assert ("zh", "广西日报传媒集团") in desk.names(added)
    with pytest.raises(NotFoundError, match="no partner"):
        desk.partner("Xinhua")
    with pytest.raises(UsageError, match="already exists"):
        desk.add_partner("广西日报传媒集团")
    with pytest.raises(UsageError, match="ISO"):
        desk.add_partner("Someone", country="China")


def test_agreements_due_overdue_and_open_ended(desk: PartnerDesk) -> None:
    today = date(2026, 6, 1)
    desk.add_partner("Guangxi Daily Media Group")
    desk.add_partner("Gangwon Radio & Television")
    soon = desk.add_agreement(
        "Tập đoàn Truyền thông Báo Quảng Tây",
        title="News exchange 2024-2026",
        starts="2024-06-15",
        ends=today + timedelta(days=14),
        scope="news-exchange,training",
    )
    late = desk.add_agreement(
        "Gangwon Radio & Television",
        title="Co-production",
        starts="2023-01-01",
        ends="2026-05-20",
        scope=["co-production"],
    )
    desk.add_agreement("Gangwon Radio & Television", title="Open MoU", starts="2020-01-01")
    desk.add_agreement(
        "guangxi-daily-media-group", title="Far", starts="2025-01-01", ends="2027-12-31"
    )
    desk.add_agreement(
        "guangxi-daily-media-group",
        title="Ended",
        starts="2020-01-01",
        ends="2026-05-01",
        status="expired",
    )
    due = desk.due(60, today=today)
    assert [(d.agreement.id, d.days_left, d.state) for d in due] == [
        (late.id, -12, "overdue"),
        (soon.id, 14, "due"),
    ]
    assert due[1].as_json()["partner_slug"] == "guangxi-daily-media-group"
    assert [d.agreement.id for d in desk.due(5, today=today)] == [late.id]
    assert soon.scope == ("news-exchange", "training")
    assert len(desk.agreements("广西日报传媒集团")) == 3
    desk.set_status(late.id, "expired")
    assert [d.agreement.id for d in desk.due(60, today=today)] == [soon.id]
    act = desk.add_activity(soon.id, "2025-03-02", "exchange", "120 articles each way")
    assert desk.activities(soon.id) == [act]


def test_bad_agreements_refused(desk: PartnerDesk) -> None:
    desk.add_partner("Guangxi Daily Media Group")
    p = "Guangxi Daily Media Group"
    with pytest.raises(UsageError, match=r"cannot end \(2025-01-01\) before it starts"):
        desk.add_agreement(p, title="T", starts="2026-01-01", ends="2025-01-01")
    with pytest.raises(UsageError, match="--starts must be a date like"):
        desk.add_agreement(p, title="T", starts="01/02/2026")
    with pytest.raises(UsageError, match="signed"):
        desk.add_agreement(
            p, title="T", starts="2026-01-01", ends="2026-02-01", signed="2026-03-01"
        )
    with pytest.raises(UsageError, match="unknown scope"):
        desk.add_agreement(p, title="T", starts="2026-01-01", scope="friendship")
    with pytest.raises(UsageError, match="unknown status"):
        desk.add_agreement(p, title="T", starts="2026-01-01", status="pending")
    with pytest.raises(NotFoundError):
        desk.add_agreement("Nobody", title="T", starts="2026-01-01")
    assert desk.agreements() == []


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


def test_cli_round_trip(settings: Settings) -> None:
    added = _cli(
        [
            "partners",
            "add",
            "广西日报传媒集团",
            "--languages",
            "vi,zh",
            "--kind",
            "media-group",
            "--json",
        ],
        settings,
    )
    assert added["entity_id"] == "org.guangxi-daily-media-group" and added["country"] == "CN"
    assert set(added) == {
        "id",
        "slug",
        "entity_id",
        "name",
        "country",
        "languages",
        "kind",
        "notes",
    }
    _cli(["partners", "add", "Gangwon Radio & Television", "--country", "KR"], settings)
    listed = _cli(["partners", "list", "--json"], settings)
    assert sorted(p["slug"] for p in listed) == [
        "gangwon-radio-television",
        "guangxi-daily-media-group",
    ]
    ends = (date.today() + timedelta(days=30)).isoformat()
    agreement = _cli(
        [
            "agreements",
            "add",
            "Tập đoàn Truyền thông Báo Quảng Tây",
            "--title",
            "Exchange",
            "--starts",
            "2025-01-01",
            "--ends",
            ends,
            "--signed",
            "2024-12-20",
            "--scope",
            "news-exchange,delegations",
            "--renewal",
            "tacit, 2 years",
            "--json",
        ],
        settings,
    )
    assert agreement["scope"] == ["news-exchange", "delegations"] and agreement["ends"] == ends
    out = _cli(
        [
            "agreements",
            "add",
            "Guangxi Daily Media Group",
            "--title",
            "X",
            "--starts",
            "2026-02-01",
            "--ends",
            "2026-01-01",
        ],
        settings,
        code=2,
    )
    assert "before it starts" in out
    shown = _cli(["partners", "show", "Guangxi Daily Media Group", "--json"], settings)
    assert [a["id"] for a in shown["agreements"]] == [agreement["id"]]
    assert {"lang": "vi", "name": "Tập đoàn Truyền thông Báo Quảng Tây"} in shown["names"]
    listed_a = _cli(
        ["agreements", "list", "--partner", "gangwon-radio-television", "--json"], settings
    )
    assert listed_a == []
    due = _cli(["agreements", "due", "--days", "45", "--json"], settings)
    assert [(d["id"], d["days_left"], d["state"]) for d in due] == [(agreement["id"], 30, "due")]
    assert _cli(["agreements", "due", "--days", "10", "--json"], settings) == []
    assert "No agreement is due" in _cli(["agreements", "due", "--days", "10"], settings)
    assert "Exchange" in _cli(["partners", "show", "广西日报传媒集团"], settings)
    _cli(["partners", "show", "Nobody"], settings, code=3)
