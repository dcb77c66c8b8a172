"""Alerts (issue 15): an entity alert fires once per new matching article within the ingest that
stored it, on the desk and by e-mail to a real loopback SMTP server, and never again for the same
article; query, topic and story-spike alerts; digests sent once at their office time; a failed
delivery kept for the next run; the signed unsubscribe link; Telegram through a channel (dry run
until enabled); the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from channel_fakes import FakeServer, TelegramFake
from hoasen.cli import app as cli_app
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.models import RawInput
from hoasen.settings import Settings
from test_mail import LoopbackSMTP, Received, Recorder

BASE = "https://press.example.org"
TOURISM = [
    (
        "Quảng Ninh đón khách du lịch",
        "Tỉnh Quảng Ninh đón hơn hai triệu lượt khách du lịch trong quý I năm nay, tăng mạnh so "
        "với cùng kỳ năm trước.",
    ),
    (
        "Hạ Long mở tuyến du thuyền mới",
        "Thành phố Hạ Long, tỉnh Quảng Ninh, mở thêm tuyến du thuyền mới trên vịnh cho du khách "
        "quốc tế từ tháng sau.",
    ),
    (
        "Hà Nội tổ chức lễ hội hoa",
        "Hà Nội tổ chức lễ hội hoa xuân tại công viên Thống Nhất với nhiều hoạt động văn hóa "
        "dành cho người dân.",
    ),
]
STORM = [
    (
        "Bão số 3 đổ bộ vào Quảng Ninh",
        "Cơn bão số 3 đã đổ bộ vào tỉnh Quảng Ninh chiều nay với sức gió mạnh cấp 12, hàng nghìn "
        "hộ dân được sơ tán khỏi vùng nguy hiểm.",
    ),
    (
        "Quảng Ninh sơ tán dân trước bão số 3",
        "Chính quyền tỉnh Quảng Ninh đã sơ tán hàng nghìn hộ dân ven biển trước khi bão số 3 đổ "
        "bộ, tàu thuyền được gọi về nơi trú ẩn.",
    ),
    (
        "Bão số 3 gây mưa lớn ở Quảng Ninh",
        "Bão số 3 gây mưa rất lớn và gió giật mạnh tại Quảng Ninh, nhiều cây xanh bị quật đổ, "
        "lực lượng cứu hộ đang khắc phục hậu quả.",
    ),
]


def items(pairs: list[tuple[str, str]], prefix: str = "a") -> list[RawInput]:
    """News items as a partner's JSON would bring them."""
    return [
        RawInput(
            origin=f"https://news.example.vn/{prefix}{i}",
            data=json.dumps({"title": title, "text": text}).encode(),
            fmt="json",
            url=f"https://news.example.vn/{prefix}{i}",
        )
        for i, (title, text) in enumerate(pairs)
    ]


@pytest.fixture
def smtp() -> Iterator[tuple[LoopbackSMTP, Recorder]]:
    recorder = Recorder()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    yield controller, recorder
    controller.stop()


def _settings(settings: Settings, tmp_path: Path, **changes: object) -> Settings:
    return replace(
        settings,
        analyze_on_ingest=True,
        public_base_url=BASE,
        mail_from="Press Office <press@example.org>",
        mail_outbox_dir=str(tmp_path / "outbox"),
        mail_token_key="test-key",
        exchange_secrets=("tg-token=123456789:AAHtestTOKEN_abc-xyz",),
        **changes,  # type: ignore[arg-type]
    )


@pytest.fixture
def desk(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    with Desk(_settings(settings, tmp_path)) as d:
        yield d


def _parsed(received: Received) -> EmailMessage:
    return received.parsed()


# ------------------------------------------------------------------------ the acceptance


def test_an_entity_alert_fires_once_per_new_article_on_the_desk_and_by_mail(
    settings: Settings, tmp_path: Path, smtp: tuple[LoopbackSMTP, Recorder]
) -> None:
    controller, recorder = smtp
    on = _settings(settings, tmp_path, smtp_url=f"smtp://127.0.0.1:{controller.port}")
    with Desk(on) as desk:
        alert = desk.alerts.add("Quảng Ninh", "entity", "Quang Ninh", email="lan@example.org")
        assert alert.target == "vn.quang-ninh" and alert.channels == ("desk", "email")
        report = desk.ingest(items=items(TOURISM))  # analysis, then the alerts: one poll cycle
        assert len(report.article_ids) == 3 and not report.errors
        first, second, third = report.article_ids

        hits = desk.alerts.hits(alert.id)
        assert sorted(h.article_id for h, _ in hits) == [first, second]
        assert all(h.sent is not None for h, _ in hits)
        notices = desk.alerts.notifications()
        assert sorted(n.link or "" for n in notices) == [
            f"/articles/{first}",
            f"/articles/{second}",
        ]
        assert desk.alerts.unread_count() == 2
        assert len(recorder.messages) == 2
        mail = _parsed(recorder.messages[0])
        assert recorder.messages[0].recipients == ["lan@example.org"]
        assert "Quảng Ninh" in str(mail["Subject"])
        body = mail.get_content()
        assert f"{BASE}/articles/" in body and "news.example.vn" in body
        link = str(mail["List-Unsubscribe"]).split(">")[0].lstrip("<")
        assert link.startswith(f"{BASE}/alerts/unsubscribe/{alert.id}.") and link in body
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # the same articles again: nothing new is stored, matched or sent
        again = desk.ingest(items=items(TOURISM))
        assert again.article_ids == []
        run = desk.alerts.evaluate([first, second, third])
        assert (run.hits, run.delivered, run.errors) == (0, 0, [])
    assert len(recorder.messages) == 2
    ids = {str(_parsed(m)["Message-ID"]) for m in recorder.messages}
    assert len(ids) == 2


def test_a_failed_mail_keeps_the_hit_and_a_later_run_sends_the_same_message(
    settings: Settings, tmp_path: Path, smtp: tuple[LoopbackSMTP, Recorder]
) -> None:
    controller, recorder = smtp
    on = _settings(settings, tmp_path, smtp_url=f"smtp://127.0.0.1:{controller.port}")
    with Desk(on) as desk:
        alert = desk.alerts.add("QN", "entity", "Quảng Ninh", email="lan@example.org")
        recorder.data_replies.append("451 4.3.0 try again later")
        report = desk.ingest(items=items(TOURISM[:1]))
        [error] = report.errors
        assert "451" in error.reason and f"alert {alert.id}" in error.reason
        [(hit, _)] = desk.alerts.hits(alert.id)
        assert hit.sent is None  # kept for the next try
        assert len(desk.alerts.notifications()) == 1  # the desk got it already
        run = desk.alerts.send_pending()
        assert (run.delivered, run.errors) == (1, [])
        assert desk.alerts.hits(alert.id)[0][0].sent is not None
        assert len(desk.alerts.notifications()) == 1  # the retry adds no second notice
        assert desk.alerts.send_pending().delivered == 0
    assert len(recorder.messages) == 1


# ------------------------------------------------------------------------ other kinds


def test_query_and_topic_alerts_with_a_language_filter(desk: Desk) -> None:
    cruise = desk.alerts.add("Du thuyền", "query", "du thuyền")
    english = desk.alerts.add("Cruise (en)", "query", "du thuyền", language="en")
    tourism = desk.alerts.add("Tourism", "topic", "Tourism")
    assert tourism.target == "tourism"
    ids = desk.ingest(items=items(TOURISM)).article_ids
    assert [h.article_id for h, _ in desk.alerts.hits(cruise.id)] == [ids[1]]
    assert desk.alerts.hits(english.id) == []
    assert sorted(h.article_id for h, _ in desk.alerts.hits(tourism.id)) == ids[:2]


def test_a_story_spike_fires_once_for_the_article_that_tipped_it(desk: Desk) -> None:
    alert = desk.alerts.add("Spikes", "story", spike_count=3, spike_hours=24)
    seen = []
    for n, item in enumerate(items(STORM)):
        seen += desk.ingest(items=[replace(item, origin=f"storm{n}")]).article_ids
        hits = desk.alerts.hits(alert.id)
        assert len(hits) == (1 if n >= 2 else 0), n
    [(hit, article)] = desk.alerts.hits(alert.id)
    assert hit.article_id == seen[2] and hit.story_id is not None and article is not None
    assert "(3+ bài trong 24 giờ)" in desk.alerts.notifications()[0].title  # office language: vi
    assert desk.alerts.evaluate(seen).hits == 0  # never again for that story


def test_checks_when_adding_and_changing_alerts(desk: Desk) -> None:
    with pytest.raises(NotFoundError):
        desk.alerts.add("x", "entity", "Atlantis")
    with pytest.raises(UsageError, match="unknown topic"):
        desk.alerts.add("x", "topic", "astrology")
    with pytest.raises(UsageError, match="needs a query"):
        desk.alerts.add("x", "query", "  ")
    with pytest.raises(UsageError, match="needs an address"):
        desk.alerts.add("x", "query", "bão", channels=["email"])
    with pytest.raises(UsageError, match="HH:MM"):
        desk.alerts.add("x", "query", "bão", digest_at="25:00")
    with pytest.raises(NotFoundError):
        desk.alerts.add("x", "query", "bão", telegram="nope")
    partner = desk.partners.add_partner("Quang Ninh Newspaper and Radio & Television")
    watch = desk.alerts.add("Partner", "partner", partner.slug, digest_at="7:05")
    assert watch.target == str(partner.id) and (watch.mode, watch.digest_at) == ("digest", "07:05")
    changed = desk.alerts.update(watch.id, name="Báo QN", mode="immediate", language="vi")
    assert (changed.name, changed.mode, changed.language) == ("Báo QN", "immediate", "vi")
    with pytest.raises(UsageError, match="cannot be changed"):
        desk.alerts.update(watch.id, target="x")
    assert not desk.alerts.pause(watch.id).active and desk.alerts.resume(watch.id).active
    desk.alerts.remove(watch.id)
    with pytest.raises(NotFoundError):
        desk.alerts.get(watch.id)


def test_partner_alert_matches_its_entity(desk: Desk) -> None:
    partner = desk.partners.add_partner("Quang Ninh Newspaper and Radio & Television")
    assert partner.entity_id
    alert = desk.alerts.add("Partner", "partner", str(partner.id))
    text = "Báo và Phát thanh, Truyền hình Quảng Ninh ra mắt ứng dụng đọc tin mới cho bạn đọc."
    ids = desk.ingest(items=items([("Ứng dụng mới", text), TOURISM[2]], "p")).article_ids
    assert [h.article_id for h, _ in desk.alerts.hits(alert.id)] == [ids[0]]


# ------------------------------------------------------------------------ digests


def test_a_digest_is_sent_once_at_its_office_time(desk: Desk, tmp_path: Path) -> None:
    alert = desk.alerts.add(
        "QN daily", "entity", "Quảng Ninh", email="lan@example.org", digest_at="08:00"
    )
    before = datetime.now(UTC)
    desk.ingest(items=items(TOURISM))
    assert desk.alerts.notifications() == []  # digest mode: nothing at once
    assert desk.alerts.due_digests(before) == []  # the 08:00 before the hits: nothing to send
    later = before + timedelta(days=1)
    [(alert_id, due)] = desk.alerts.due_digests(later)
    assert alert_id == alert.id and before < due <= later
    local = due.astimezone(desk.alerts.zone)
    assert (local.hour, local.minute) == (8, 0)
    assert desk.alerts.send_digest(alert.id, due) == 2
    assert desk.alerts.send_digest(alert.id, due) == 0  # twice: sent once
    assert desk.alerts.due_digests(later) == []
    assert desk.alerts.get(alert.id).last_digest == due
    [notice] = desk.alerts.notifications()
    assert notice.link == f"/alerts/{alert.id}" and "2" in notice.title
    [eml] = list((tmp_path / "outbox").glob("*.eml"))  # no smtp_url: the outbox
    text = eml.read_text(encoding="utf-8", errors="replace")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text


# ------------------------------------------------------------------------ links and Telegram


def test_the_unsubscribe_token_is_signed_and_pauses_the_alert(desk: Desk) -> None:
    alert = desk.alerts.add("QN", "entity", "Quảng Ninh")
    link = desk.alerts.unsubscribe_link(alert.id)
    token = link.rsplit("/", 1)[1]
    assert desk.alerts.from_token(token).id == alert.id
    with pytest.raises(UsageError):
        desk.alerts.from_token(f"{alert.id + 1}.{token.split('.')[1]}")
    with pytest.raises(UsageError):
        desk.mailing.verify("unsubscribe", token)  # not a mailing-list token either
    assert not desk.alerts.unsubscribe(token).active
    assert not desk.alerts.unsubscribe(token).active  # again: no change


def test_telegram_is_rehearsed_until_the_channel_is_enabled(desk: Desk) -> None:
    fake = TelegramFake()
    with FakeServer(fake) as server, httpx.Client(timeout=2.0, trust_env=False) as client:
        desk.posts.add_channel(
            "tg", "telegram", {"chat_id": "@hoasen_news", "api_url": server.url}, secret="tg-token"
        )
        desk.alerts.sender.client = client
        alert = desk.alerts.add("QN", "entity", "Quảng Ninh", telegram="tg", channels=["telegram"])
        assert alert.telegram_chat == "tg" and alert.channels == ("telegram",)
        ids = desk.ingest(items=items(TOURISM[:1])).article_ids
        run = desk.alerts.evaluate(ids)
        assert run.hits == 0  # delivered during the ingest already
        assert fake.messages == []
        desk.posts.enable("tg")
        desk.ingest(items=items(TOURISM[1:2], "b"))
    assert len(fake.messages) == 1
    assert "Hạ Long" in fake.messages[0]["text"] and f"{BASE}/articles/" in fake.messages[0]["text"]
    assert desk.alerts.notifications() == []  # no desk channel


def test_evaluate_is_one_query_without_active_alerts(desk: Desk) -> None:
    statements: list[str] = []
    from sqlalchemy import event

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(desk.store.engine, "before_cursor_execute", count)
    try:
        desk.alerts.evaluate([1, 2, 3])
    finally:
        event.remove(desk.store.engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "alerts" in statements[0]


# ------------------------------------------------------------------------ the CLI


def test_the_cli_manages_alerts(settings: Settings, tmp_path: Path) -> None:
    on = _settings(settings, tmp_path)
    with Desk(on) as desk:
        desk.ingest(items=items(TOURISM))
    runner = CliRunner()
    env = {
        "HOASEN_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "HOASEN_PUBLIC_BASE_URL": BASE,
        "HOASEN_ANALYZE_ON_INGEST": "false",
    }

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli_app, ["--db", on.database_url, *args], env=env)
        assert result.exit_code == code, result.output
        return result.output

    added = json.loads(run("alerts", "add", "QN", "--entity", "Quảng Ninh", "--json"))
    assert added["target"] == "vn.quang-ninh" and added["channels"] == ["desk"]
    run("alerts", "add", "Bad", "--query", "x", "--entity", "y", code=2)
    run("alerts", "add", "Nobody", "--entity", "Atlantis", code=3)
    out = run(
        "alerts",
        "add",
        "Spike",
        "--story-spike",
        "4",
        "--within-hours",
        "12",
        "--no-desk",
        "--email",
        "lan@example.org",
        "--digest",
        "07:30",
        "--lang",
        "vi",
    )
    assert "Spike" in out and "digest" in out
    assert "2 new hits" in run("alerts", "check", "--since", "2000-01-01")
    listing = json.loads(run("alerts", "list", "--json"))
    assert [a["hits"] for a in listing["items"]] == [2, 0]
    shown = json.loads(run("alerts", "show", str(added["id"]), "--json"))
    assert (
        shown["unsubscribe"].startswith(f"{BASE}/alerts/unsubscribe/") and len(shown["hits"]) == 2
    )
    assert "QN" in run("alerts", "show", str(added["id"]))
    notes = json.loads(run("notifications", "--unread", "--json"))
    assert notes["total"] == 2
    assert "Paused" in run("alerts", "pause", str(added["id"]))
    assert "Resumed" in run("alerts", "resume", str(added["id"]))
    assert "0 delivered" in run("alerts", "digests")
    assert "QN" in run("alerts", "list") and "Quảng Ninh" in run("notifications")
    assert "Removed" in run("alerts", "remove", str(added["id"]))
    run("alerts", "show", str(added["id"]), code=3)
