"""Report schedules: due instants in the office time zone (daily, weekly, monthly, across a DST
change), a scheduled report built once, mailed once per recipient through a real loopback SMTP
server (aiosmtpd) and registered, a refused recipient reported while the others get it, and the
`hoasen report schedule` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.delivery.types import Target
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.models import RawInput
from hoasen.reports.register import RegisteredReport
from hoasen.reports.schedule_times import following, latest, period_day
from hoasen.reports.schedules import DueReport, delivery_key
from hoasen.settings import Settings
from test_mail import LoopbackSMTP, Recorder, smtp_settings

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def server() -> Iterator[tuple[LoopbackSMTP, Recorder]]:
    """A loopback SMTP server without login, and its recorder."""
    recorder = Recorder()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, server: tuple[LoopbackSMTP, Recorder]) -> Settings:
    return smtp_settings(settings, server[0].port, delivery_attempts=1)


@pytest.fixture
def desk(mail_settings: Settings) -> Iterator[Desk]:
    with Desk(mail_settings) as d:
        yield d


def _article(desk: Desk, when: datetime) -> None:
    doc = {
        "title": "Ha Long tourism forum opens",
        "text": "The Ha Long Tourism Forum opened with partners from ten countries.",
        "language": "en",
        "published": when.isoformat(),
        "url": "https://news.example.org/forum.html",
        "source": "Test wire",
    }
    raw = RawInput(origin="forum.json", data=json.dumps(doc).encode(), fmt="json", url=doc["url"])
    desk.ingest(items=[raw])


def _parsed(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def _local(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A wall-clock time in `tz`."""
    return datetime(y, mo, d, h, mi, s, tzinfo=tz)


# ---------------------------------------------------------------------------------- instants


def test_weekly_and_monthly_instants_and_periods() -> None:
    now = _local(HCM, 2026, 3, 11, 12, 0)  # a Wednesday
    weekly = latest("weekly", "08:00", now, HCM, weekday=0)
    assert weekly == _local(HCM, 2026, 3, 9, 8, 0)  # Monday this week
    assert latest("weekly", "08:00", now, HCM, weekday=2) == _local(HCM, 2026, 3, 11, 8, 0)
    assert latest("weekly", "13:00", now, HCM, weekday=2) == _local(HCM, 2026, 3, 4, 13, 0)
    assert following("weekly", "08:00", now, HCM, weekday=0) == _local(HCM, 2026, 3, 16, 8, 0)
    monthly = latest("monthly", "06:00", now, HCM, day=1)
    assert monthly == _local(HCM, 2026, 3, 1, 6, 0)
    assert latest("monthly", "06:00", now, HCM, day=15) == _local(HCM, 2026, 2, 15, 6, 0)
    january = _local(HCM, 2026, 1, 10, 0, 0)
    assert latest("monthly", "06:00", january, HCM, day=20) == _local(HCM, 2025, 12, 20, 6, 0)
    assert following("monthly", "06:00", now, HCM, day=1) == _local(HCM, 2026, 4, 1, 6, 0)
    # the period each run covers: the day, ISO week or month before the due date
    assert period_day("daily", _local(HCM, 2026, 3, 1, 7, 30), HCM) == date(2026, 2, 28)
    assert period_day("weekly", weekly, HCM) == date(2026, 3, 2)  # in the week of 2-8 March
    assert period_day("monthly", monthly, HCM) == date(2026, 2, 28)
    with pytest.raises(UsageError, match="time zone"):
        latest("daily", "07:30", datetime(2026, 3, 1, 7, 30), HCM)


def test_daily_instants_keep_berlin_office_time_across_dst() -> None:
    # 29 March 2026: 02:00 CET -> 03:00 CEST; 25 October 2026: 03:00 CEST -> 02:00 CET
    before = latest("daily", "07:30", datetime(2026, 3, 28, 12, tzinfo=UTC), BERLIN)
    after = latest("daily", "07:30", datetime(2026, 3, 29, 12, tzinfo=UTC), BERLIN)
    assert before == datetime(2026, 3, 28, 6, 30, tzinfo=UTC)
    assert after == datetime(2026, 3, 29, 5, 30, tzinfo=UTC)
    assert after - before == timedelta(hours=23)
    # 02:30 does not exist on 29 March: it runs once, at 03:30 CEST (01:30 UTC)
    gap = latest("daily", "02:30", datetime(2026, 3, 29, 12, tzinfo=UTC), BERLIN)
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 25 October: it runs the first time only
    fold = latest("daily", "02:30", datetime(2026, 10, 25, 12, tzinfo=UTC), BERLIN)
    assert fold == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert following("daily", "02:30", fold, BERLIN) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_a_berlin_office_schedule_is_due_at_local_time_across_dst(
    settings: Settings,
) -> None:
    with Desk(replace(settings, office_timezone="Europe/Berlin")) as desk:
        schedules = desk.schedules
        s = schedules.add("Morgen", "daily", at="07:30", language="en")
        assert [d.due for d in schedules.due(datetime(2026, 3, 28, 7, tzinfo=UTC))] == [
            datetime(2026, 3, 28, 6, 30, tzinfo=UTC)
        ]
        schedules.rows.mark_run(s.id, datetime(2026, 3, 28, 6, 30, tzinfo=UTC), "1/X")
        # Sunday after the change: 07:30 CEST is 05:30 UTC, an hour earlier than the day before
        assert schedules.due(datetime(2026, 3, 29, 5, 29, 59, tzinfo=UTC)) == []
        [due] = schedules.due(datetime(2026, 3, 29, 5, 30, tzinfo=UTC))
        assert due.due == datetime(2026, 3, 29, 5, 30, tzinfo=UTC)
        assert due.key == f"report:{s.id}:2026-03-29T05:30:00+00:00"
        row = schedules.get("Morgen")
        assert schedules.next_due(row, datetime(2026, 3, 29, 6, tzinfo=UTC)) == due.due
        schedules.rows.mark_run(s.id, due.due, "2/X")
        later = schedules.next_due(schedules.get(s.id), datetime(2026, 3, 29, 6, tzinfo=UTC))
        assert later == datetime(2026, 3, 30, 5, 30, tzinfo=UTC)
        # after days of downtime only the latest missed instant is due, not a backlog
        [missed] = schedules.due(datetime(2026, 4, 3, 9, tzinfo=UTC))
        assert missed.due == datetime(2026, 4, 3, 5, 30, tzinfo=UTC)
        schedules.disable("Morgen")
        assert schedules.due(datetime(2026, 4, 3, 9, tzinfo=UTC)) == []
        assert schedules.next_due(schedules.get("Morgen"), datetime.now(UTC)) is None


# ---------------------------------------------------------------------------------- managing


def test_schedules_are_checked_edited_and_removed(settings: Settings) -> None:
    with Desk(settings) as desk:
        schedules = desk.schedules
        s = schedules.add(
            "Weekly brief",
            "weekly",
            at="8:05",
            weekday="fri",
            formats=["docx", "pdf", "docx"],
            recipients=["Lan <lan@example.org>", "LAN@example.org", "minh@example.org"],
            created_by="tester",
        )
        assert (s.at, s.weekday, s.day, s.language) == ("08:05", 4, None, "vi")
        assert s.formats == ("docx", "pdf") and len(s.recipients) == 2 and s.enabled
        for bad, message in (
            ({"kind": "hourly"}, "unknown schedule kind"),
            ({"at": "25:00"}, "HH:MM"),
            ({"recipients": ["not-an-address"]}, "not an e-mail address"),
            ({"formats": ["xls"]}, "unknown report format"),
            ({"formats": []}, "at least one format"),
            ({"language": "fr"}, "vi or en"),
            ({"kind": "daily", "day": 3}, "only for monthly"),
            ({"kind": "monthly", "day": 31}, "1 to 28"),
            ({"filters": {"colour": "red"}}, "unknown report filter"),
        ):
            args = {"name": "x", "kind": "daily", **bad}
            with pytest.raises(UsageError, match=message):
                schedules.add(**args)  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="exists"):
            schedules.add("Weekly brief", "daily")
        edited = schedules.update("Weekly brief", kind="monthly", day=15, at="06:00")
        assert (edited.kind, edited.weekday, edited.day, edited.at) == (
            "monthly",
            None,
            15,
            "06:00",
        )
        edited = schedules.update(s.id, name="Monthly brief", recipients=[], language="en")
        assert edited.recipients == () and edited.language == "en" and edited.day == 15
        assert schedules.get(str(s.id)).name == "Monthly brief"
        assert [r.name for r in schedules.list()] == ["Monthly brief"]
        assert schedules.remove("Monthly brief").id == s.id
        with pytest.raises(NotFoundError):
            schedules.get("Monthly brief")


# ---------------------------------------------------------------------------------- running


def test_a_daily_report_at_0730_is_built_once_mailed_once_and_registered(
    desk: Desk, server: tuple[LoopbackSMTP, Recorder]
) -> None:
    """The acceptance: a report scheduled for 07:30 office time is built once at 07:30 in that
    zone, e-mailed to its recipients through a loopback SMTP server, and registered."""
    _, recorder = server
    _article(desk, _local(HCM, 2026, 3, 9, 10, 0))
    schedules = desk.schedules
    s = schedules.add(
        "Morning brief",
        "daily",
        at="07:30",
        language="en",
        formats=["pdf", "md"],
        recipients=["lan@example.org", "Minh <minh@example.org>"],
    )
    # yesterday's run (a new schedule builds its latest instant at once)
    [first] = schedules.due(_local(HCM, 2026, 3, 9, 8, 0))
    assert first.due == _local(HCM, 2026, 3, 9, 7, 30)
    schedules.rows.mark_run(s.id, first.due, "0/BC-TTTT-N")  # as if built (PDFs are slow)

    assert schedules.due(_local(HCM, 2026, 3, 10, 7, 29, 59)) == []
    [due] = schedules.due(_local(HCM, 2026, 3, 10, 7, 30))
    assert due == DueReport(s.id, datetime(2026, 3, 10, 0, 30, tzinfo=UTC))
    assert due.due.tzinfo is not None and due.key.endswith("2026-03-10T00:30:00+00:00")

    run = schedules.run(due.schedule_id, due.due)
    assert run.created and run.errors == [] and run.pending == []
    assert run.sent == ["lan@example.org", "Minh <minh@example.org>"]
    again = schedules.run(due.schedule_id, due.due)
    assert not again.created and again.number == run.number and again.sent == []
    assert again.already == run.sent
    assert schedules.due(_local(HCM, 2026, 3, 10, 7, 31)) == []

    made = [e for e in desk.reports.register.entries() if e.run_key == due.key]
    assert [e.number for e in made] == [run.number]
    entry = desk.reports.register.by_run_key(due.key)
    assert entry is not None and (entry.period_from, entry.period_to) == ("2026-03-09",) * 2
    assert entry.articles == 1 and entry.generated_by == "schedule:Morning brief"
    assert schedules.get(s.id).last_number == run.number
    assert schedules.get(s.id).last_due == due.due

    by_rcpt = {tuple(m.recipients): m for m in recorder.messages}
    assert sorted(by_rcpt) == [("lan@example.org",), ("minh@example.org",)]
    for received in recorder.messages:
        message = _parsed(received.data)
        names = [p.get_filename() for p in message.iter_attachments()]
        assert sorted(n.rsplit(".", 1)[1] for n in names if n) == ["md", "pdf"]
        pdf = next(
            p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"
        )
        assert pdf.get_content().startswith(b"%PDF")
        assert run.number in str(message["Subject"])
    ids = {str(_parsed(m.data)["Message-ID"]) for m in recorder.messages}
    assert len(ids) == 2  # one deterministic id per (run, recipient)
    rows = schedules.deliveries(due.key, ["lan@example.org", "minh@example.org"])
    assert [r.status for r in rows] == ["sent", "sent"] and all(r.attempts == 1 for r in rows)


def test_a_refused_recipient_is_reported_while_the_others_get_the_report(
    desk: Desk, server: tuple[LoopbackSMTP, Recorder]
) -> None:
    _, recorder = server
    recorder.refuse["gone@example.org"] = "550 5.1.1 no such user"
    schedules = desk.schedules
    s = schedules.add(
        "Monthly",
        "monthly",
        at="06:00",
        day=1,
        language="vi",
        formats=["md"],
        recipients=["a@example.org", "gone@example.org", "b@example.org"],
    )
    due = _local(HCM, 2026, 4, 1, 6, 0)
    run = schedules.run(s.id, due)
    assert run.created and run.sent == ["a@example.org", "b@example.org"]
    [error] = run.errors
    assert error.startswith("gone@example.org:") and "550" in error
    entry = desk.reports.register.get(run.number).entry
    assert (entry.kind, entry.period_from, entry.period_to) == (
        "monthly",
        "2026-03-01",
        "2026-03-31",
    )
    assert schedules.get(s.id).last_number == run.number  # the report is not lost
    # a repeat sends nobody twice and reports the failure again; a run by hand retries it
    recorder.refuse.clear()
    again = schedules.run(s.id, due)
    assert again.sent == [] and again.already == ["a@example.org", "b@example.org"]
    assert again.errors and again.errors[0].startswith("gone@example.org:")
    retried = schedules.run_now("Monthly", at=due + timedelta(days=3))
    assert retried.key == run.key and retried.sent == ["gone@example.org"]
    assert sorted(r for m in recorder.messages for r in m.recipients) == [
        "a@example.org",
        "b@example.org",
        "gone@example.org",
    ]


def test_a_lost_race_and_a_crash_keep_one_report_and_queued_mail_is_sent_later(
    desk: Desk, server: tuple[LoopbackSMTP, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, recorder = server
    schedules = desk.schedules
    s = schedules.add(
        "Weekly", "weekly", at="07:00", formats=["json"], recipients=["x@example.org"]
    )
    due = _local(HCM, 2026, 3, 9, 7, 0)  # a Monday
    key = DueReport(s.id, due.astimezone(UTC)).key
    # another worker registered this run first: make() finds it and builds nothing
    made = desk.reports.make("weekly", on=date(2026, 3, 2), language="vi", run_key=key)
    assert made.created
    assert not desk.reports.make("weekly", on=date(2026, 3, 2), run_key=key).created
    # two workers built it at once: the one that registers second gets the winner's report
    register = desk.reports.register
    found = register.by_run_key
    checks: list[str] = []

    def too_late(run_key: str) -> RegisteredReport | None:
        checks.append(run_key)
        return None if len(checks) == 1 else found(run_key)

    monkeypatch.setattr(register, "by_run_key", too_late)
    lost = desk.reports.make("weekly", on=date(2026, 3, 2), run_key=key)
    assert not lost.created and lost.entry.number == made.entry.number
    monkeypatch.undo()
    assert [e.run_key for e in register.entries()] == [key]
    # the mail was queued by a worker that died before sending: the tick sends it once
    mail_key = delivery_key(key, "x@example.org")
    target = Target("email", {"to": ["x@example.org"]})
    schedules.queue.enqueue("report", mail_key, target, mail_key)
    [sent] = schedules.deliver_due()
    assert sent.status == "sent"
    assert [f.name.endswith(".json") for f in schedules.payload_for(mail_key).files] == [True]
    run = schedules.run(s.id, due)
    assert not run.created and run.number == made.entry.number
    assert run.sent == [] and run.already == ["x@example.org"]
    assert schedules.deliver_due() == []
    assert len(recorder.messages) == 1
    with pytest.raises(NotFoundError):
        schedules.payload_for("exchange-package-1")


# ---------------------------------------------------------------------------------- CLI


def test_the_cli_manages_and_runs_schedules(
    mail_settings: Settings, server: tuple[LoopbackSMTP, Recorder]
) -> None:
    _, recorder = server
    env = {"HOASEN_SMTP_URL": mail_settings.smtp_url, "HOASEN_MAIL_FROM": "press@example.org"}
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--db", mail_settings.database_url, *args], env=env)
        assert result.exit_code == code, result.output
        return result.output

    run("report", "schedule", "add", "brief", "--kind", "weekly", "--at", "07:30",
        "--weekday", "mon", "--lang", "en", "--format", "md", "--format", "json",
        "--to", "a@example.org", "--to", "b@example.org")  # fmt: skip
    listed = json.loads(run("report", "schedule", "list", "--json"))
    assert [s["name"] for s in listed] == ["brief"] and listed[0]["next_due"]
    assert "brief" in run("report", "schedule", "list")
    shown = json.loads(run("report", "schedule", "show", "brief", "--json"))
    assert shown["formats"] == ["md", "json"] and shown["weekday"] == 0
    assert "a@example.org" in run("report", "schedule", "show", "brief")
    run("report", "schedule", "edit", "brief", "--at", "08:00", "--to", "c@example.org")
    edited = json.loads(run("report", "schedule", "show", "brief", "--json"))
    assert edited["at"] == "08:00" and edited["recipients"] == ["c@example.org"]
    run("report", "schedule", "disable", "brief")
    assert json.loads(run("report", "schedule", "show", "brief", "--json"))["enabled"] is False
    run("report", "schedule", "enable", "brief")
    out = run("report", "schedule", "run", "brief", "--at", "2026-03-11T09:00", "--json")
    done = json.loads(out)
    assert done["created"] and done["sent"] == ["c@example.org"]
    assert done["key"].endswith("2026-03-09T01:00:00+00:00")  # Monday 08:00 office time
    again = json.loads(run("report", "schedule", "run", "brief", "--at", "2026-03-12", "--json"))
    assert not again["created"] and again["number"] == done["number"]
    assert len(recorder.messages) == 1
    assert "not an e-mail address" in run(
        "report", "schedule", "add", "bad", "--kind", "daily", "--to", "nope", code=2
    )
    run("report", "schedule", "remove", "brief")
    assert "no report schedule" in run("report", "schedule", "show", "brief", code=3)


def test_cli_output_without_mail_goes_to_the_outbox(settings: Settings, tmp_path: Path) -> None:
    """With no smtp_url the mail is written as .eml files (nothing leaves the machine)."""
    outbox = tmp_path / "outbox"
    with Desk(replace(settings, mail_outbox_dir=str(outbox))) as desk:
        s = desk.schedules.add("d", "daily", formats=["md"], recipients=["a@example.org"])
        run = desk.schedules.run(s.id, _local(HCM, 2026, 3, 10, 7, 30))
    assert run.sent == ["a@example.org"]
    assert len(list(outbox.glob("*.eml"))) == 1
