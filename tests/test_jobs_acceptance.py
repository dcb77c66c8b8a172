"""Issue 15's acceptance: `hoasen serve --with-worker` (what `make run` runs) serves a desk whose
feeds poll and whose daily report appears with no other command, and stops cleanly on SIGTERM;
an alert on an entity fires once per new matching article within one poll cycle of a worker,
on the desk and by e-mail."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from hoasen.desk import Desk
from hoasen.jobs.worker import Worker
from hoasen.settings import Settings, load_settings
from test_alerts import STORM, TOURISM, _settings
from test_jobs import _feed, _wait
from test_mail import LoopbackSMTP, Recorder
from transport_server import LoopbackServer, Reply

HOASEN = Path(sys.executable).with_name("hoasen")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_worker_polls_and_reports_by_itself(
    settings: Settings, web: LoopbackServer, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOASEN_")},
        "HOASEN_CONFIG": str(tmp_path / "none.toml"),
        "HOASEN_DATABASE_URL": settings.database_url,
        "HOASEN_HTTP_ALLOW_PRIVATE": "true",
        "HOASEN_HTTP_HOST_DELAY": "0",
        "HOASEN_ANALYZE_ON_INGEST": "false",
        "HOASEN_SCHEDULER_INTERVAL": "1",
        "HOASEN_MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    mine = load_settings(env=env)
    with Desk(mine) as desk:
        desk.store.add_source(_feed(web, "wire", 3), "wire", poll_minutes=60)
        desk.schedules.add("Daily report", "daily", at="07:30", formats=["html"])
    port = _port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [str(HOASEN), "serve", "--with-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        deadline = time.monotonic() + 90
        polled = reported = False
        with Desk(mine) as desk:
            while time.monotonic() < deadline and not (polled and reported):
                time.sleep(0.5)
                polled = desk.store.count_articles() == 3
                reported = any(
                    e.run_key for e in desk.reports.register.entries("daily") if e.run_key
                )
            health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).json()
            schedule = desk.schedules.get("Daily report")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    output = log.read_text()
    assert polled and reported, output[-3000:]
    assert schedule.last_number and schedule.last_due is not None
    assert health["kinds"]["poll"]["done"] == 1 and health["kinds"]["report"]["done"] == 1
    assert health["workers"] == 1
    assert code == 0, output[-3000:]
    assert '"event": "worker stopped"' in output  # structured logs, graceful stop


def _news_page(title: str, text: str, n: int) -> bytes:
    filler = " ".join(
        f"Đoạn {n}.{j}: {text}" if j % 2 else f"Ghi chú {n}.{j} về {title.lower()}."
        for j in range(6)
    )
    return (
        f"<html><head><title>{title}</title><meta charset='utf-8'></head><body><article>"
        f"<h1>{title}</h1><p>{text}</p><p>{filler}</p></article></body></html>"
    ).encode()


def _serve_news(web: LoopbackServer, pairs: list[tuple[str, str]]) -> str:
    entries = ""
    for n, (title, text) in enumerate(pairs):
        web.routes[f"/tin/{n}.html"] = Reply(body=_news_page(title, text, n))
        entries += f"<item><title>{title}</title><link>{web.url(f'/tin/{n}.html')}</link></item>"
    web.routes["/tin.xml"] = Reply(
        body=f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Tin'
        f"</title>{entries}</channel></rss>".encode(),
        content_type="application/rss+xml",
    )
    return web.url("/tin.xml")


@pytest.fixture
def mail_server() -> Iterator[tuple[LoopbackSMTP, Recorder]]:
    recorder = Recorder()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    yield controller, recorder
    controller.stop()


def test_an_entity_alert_fires_once_per_new_article_within_a_poll_cycle(
    settings: Settings,
    web: LoopbackServer,
    tmp_path: Path,
    mail_server: tuple[LoopbackSMTP, Recorder],
) -> None:
    controller, recorder = mail_server
    on = replace(
        _settings(settings, tmp_path, smtp_url=f"smtp://127.0.0.1:{controller.port}"),
        queue_file=str(tmp_path / "queue.db"),
        scheduler_interval=1.0,
    )
    url = _serve_news(web, TOURISM)
    with Desk(on) as desk:
        desk.alerts.add("Quảng Ninh", "entity", "Quảng Ninh", email="lan@example.org")
        desk.store.add_source(url, "tin", poll_minutes=60)
    worker = Worker(on)
    worker.start()
    try:
        with Desk(on) as desk:
            _wait(lambda: len(recorder.messages) >= 2, 120)
            first_cycle = desk.store.count_articles()
            # an hour later a new matching article is in the feed: one more mail, none repeated
            _serve_news(web, [*TOURISM, STORM[0]])
            hour = datetime.now(UTC) + timedelta(minutes=61)
            assert desk.jobs.tick(hour).created.get("poll") == 1
            _wait(lambda: len(recorder.messages) >= 3, 120)
            _wait(lambda: desk.jobs.runs.counts()["queued"] == 0, 60)
            assert desk.jobs.tick(hour + timedelta(minutes=61)).created.get("poll") == 1
            _wait(lambda: len(desk.jobs.list(kind="poll")) == 3, 60)
            _wait(lambda: desk.jobs.runs.counts()["queued"] == 0, 60)
            notices = desk.alerts.notifications()
    finally:
        worker.stop()
    assert first_cycle == 3
    assert len(recorder.messages) == 3, [str(m.parsed()["Subject"]) for m in recorder.messages]
    assert len({str(m.parsed()["Message-ID"]) for m in recorder.messages}) == 3
    assert len(notices) == 3 and all(n.kind == "alert" for n in notices)
