"""A campaign to 11,000 subscribers through a loopback SMTP server (aiosmtpd, messages kept in
memory only as a count): messages per second with no rate limit over one SMTP session, the time
the configured `mail_rate` would imply for the same list, and the run's peak memory.

Peak memory is the growth of the process's maximum resident set (resource.getrusage) during
the send, so the number is not slowed by tracemalloc; the database is a temporary SQLite file.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hoasen.desk import Desk
from hoasen.publish.mailing import MailingDesk
from hoasen.settings import load_settings

SUBSCRIBERS = 11_000


class _Counter:
    """aiosmtpd handler that only counts accepted messages (and their bytes)."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        self.bytes += len(envelope.content or b"")
        return "250 2.0.0 accepted"


def _max_rss_mb() -> float:
    """The process's peak resident set so far, in MB (Linux: KiB; macOS: bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(n: int = SUBSCRIBERS) -> dict[str, float]:
    """Import `n` subscribers, then time one uninterrupted send of a two-language campaign."""
    from aiosmtpd.controller import Controller

    class Loopback(Controller):
        def _trigger_server(self) -> None:
            assert self.server is not None
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    counter = _Counter()
    server = Loopback(counter, hostname="127.0.0.1", port=0, ready_timeout=5)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hoasen-bench-campaign-") as folder:
            root = Path(folder)
            settings = load_settings(
                config_path=root / "none.toml",
                env={},
                database_url=f"sqlite:///{root / 'bench.db'}",
                smtp_url=f"smtp://127.0.0.1:{server.port}",
                mail_from="Phòng Thông tin <press@hoasen.example>",
                public_base_url="https://press.example.vn",
            )
            configured_rate = load_settings(config_path=root / "none.toml").mail_rate
            with Desk(settings) as desk:
                mailing = MailingDesk(desk)
                mailing.create_list("Official")
                csv = root / "list.csv"
                rows = [
                    f"r{i:05d}@example.org,Reader {i},{'en' if i % 2 else 'vi'}" for i in range(n)
                ]
                csv.write_text("email,name,language\n" + "\n".join(rows) + "\n", "utf-8")
                started = time.perf_counter()
                assert mailing.import_subscribers("Official", csv).added == n
                import_s = time.perf_counter() - started
                campaign = mailing.new_campaign(
                    "Official",
                    "Bản tin Quảng Ninh tháng 12",
                    "Xin chào,\n\n" + "Tin tức đầu tư và du lịch Quảng Ninh. " * 40,
                    "<html><body><p>" + "Tin tức đầu tư. " * 80 + "</p></body></html>",
                    variants={"en": ("Quang Ninh bulletin", "Hello,\n\n" + "News. " * 200, None)},
                )
                rss_before = _max_rss_mb()
                started = time.perf_counter()
                report = mailing.send(campaign.id)
                seconds = time.perf_counter() - started
                rss_growth = _max_rss_mb() - rss_before
    finally:
        server.stop()
    assert report.sent == n and counter.messages == n, (report, counter.messages)
    rate = n / seconds
    at_rate = n / configured_rate if configured_rate > 0 else 0.0
    print(
        f"   {n} messages in {seconds:.1f} s ({rate:.0f}/s, one SMTP session; "
        f"{counter.bytes / n / 1024:.1f} KiB each); import {import_s:.1f} s; "
        f"mail_rate {configured_rate:g}/s would take {at_rate:.0f} s"
        f"{' (no limit set)' if not configured_rate else ''}; "
        f"peak RSS {_max_rss_mb():.0f} MB (+{rss_growth:.0f} MB while sending)",
        flush=True,
    )
    return {
        "messages_per_s": rate,
        "send_s": seconds,
        "import_s": import_s,
        "mail_rate_setting": configured_rate,
        "seconds_at_mail_rate": at_rate,
        "peak_rss_mb": _max_rss_mb(),
        "rss_growth_mb": rss_growth,
    }


if __name__ == "__main__":
    run()
