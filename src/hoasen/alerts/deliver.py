"""Delivering an alert's hits: a notice on the desk's notification list, an e-mail through the
office Mailer, a Telegram message through a configured channel's adapter.

Channels go in that order and stop at the first failure, which is raised: the caller leaves the
hits undelivered and tries again later. A retry is harmless for the first two: a notice has a
unique key, and an e-mail carries a Message-ID made from the alert and the article (or the
digest's due time), so a receiver sees the same message, not a second one. The Bot API has no
idempotency key; Telegram goes last, so it is only ever repeated after a crash in the instant
between its send and the marking of the hit.

Every e-mail carries a signed one-click unsubscribe link (RFC 8058) that pauses the alert; it is
signed with the mailing lists' key (`MailingDesk.signature`).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from hoasen.alerts.checks import parse_telegram
from hoasen.errors import UsageError
from hoasen.mail import Mailer
from hoasen.publish.channels import Post, TelegramChannel
from hoasen.publish.mailing import one_click_headers
from hoasen.store.alerts import AlertRow, AlertStore
from hoasen.store.db import StoredArticle

if TYPE_CHECKING:
    from hoasen.desk import Desk

UNSUBSCRIBE = "alert-unsubscribe"  # the signed action of the link (no mailing token uses it)
_TOKEN = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{43})$")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "digest_subject": "{name}: {n} new articles",
        "digest_intro": "New articles matching the alert \u201c{name}\u201d:",
        "spike": "Story spiking ({count}+ articles within {hours} h)",
        "footer": "hoasen alert \u201c{name}\u201d. Stop this alert: {link}",
        "notice": "Alert \u201c{name}\u201d",
    },
    "vi": {
        "digest_subject": "{name}: {n} bài mới",
        "digest_intro": "Các bài mới khớp với cảnh báo \u201c{name}\u201d:",
        "spike": "Sự kiện đang nóng ({count}+ bài trong {hours} giờ)",
        "footer": "Cảnh báo \u201c{name}\u201d của hoasen. Dừng cảnh báo này: {link}",
        "notice": "Cảnh báo \u201c{name}\u201d",
    },
}


class Deliverer:
    """Sends an alert's hits on one Desk. `mailer` and `client` may be replaced (tests)."""

    def __init__(self, desk: Desk, rows: AlertStore) -> None:
        self.desk = desk
        self.rows = rows
        self.mailer = Mailer(desk.settings)
        self.client: httpx.Client | None = None

    # ---------------------------------------------------------------- links

    @property
    def base_url(self) -> str:
        """public_base_url, or http://web_host:web_port (as the mailing lists' links)."""
        return self.desk.mailing.base_url

    def token(self, alert_id: int) -> str:
        """The signed token of an alert's unsubscribe link."""
        signature = self.desk.mailing.signature(f"{UNSUBSCRIBE}\x00{alert_id}")
        return f"{alert_id}.{signature}"

    def verify(self, token: str) -> int:
        """The alert id of a genuine unsubscribe token; UsageError for any other."""
        found = _TOKEN.match(token or "")
        if found is None or not hmac.compare_digest(
            self.token(int(found.group(1))).encode(), token.encode()
        ):
            raise UsageError("this link is not valid")
        return int(found.group(1))

    def unsubscribe_link(self, alert_id: int) -> str:
        """The public URL that pauses the alert (GET: a confirm page; POST: one click)."""
        return f"{self.base_url}/alerts/unsubscribe/{self.token(alert_id)}"

    # ---------------------------------------------------------------- wording

    def _text(self) -> dict[str, str]:
        return TEXT.get(self.desk.settings.office_language.split("-")[0], TEXT["en"])

    def _when(self, article: StoredArticle) -> str:
        moment = article.published or article.fetched
        zone = ZoneInfo(self.desk.settings.office_timezone)
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def _facts(self, article: StoredArticle) -> str:
        source = article.source_name or urlsplit(article.url or "").hostname or "?"
        return f"{source} · {article.language or '?'} · {self._when(article)}"

    def _link(self, article: StoredArticle) -> str:
        return f"{self.base_url}/articles/{article.id}"

    def _lead(self, alert: AlertRow) -> str:
        if alert.kind != "story":
            return ""
        words = self._text()["spike"]
        return words.format(count=alert.spike_count, hours=alert.spike_hours) + ": "

    # ---------------------------------------------------------------- delivery

    def hit(self, alert: AlertRow, article: StoredArticle) -> list[str]:
        """Deliver one hit on every channel of the alert; notes of dry runs. DeliveryError,
        ConfigError or UsageError (with the reason) when a channel fails."""
        words = self._text()
        title = f"{alert.name}: {self._lead(alert)}{article.title}"
        facts = self._facts(article)
        notes: list[str] = []
        if "desk" in alert.channels:
            body = f"{words['notice'].format(name=alert.name)} · {facts}"
            self.rows.notify(
                f"alert:{alert.id}:{article.id}",
                alert.owner_id,
                "alert",
                title,
                body,
                f"/articles/{article.id}",
            )
        if "email" in alert.channels and alert.email:
            text = f"{article.title}\n\n{facts}\n{self._link(article)}\n"
            if article.url:
                text += f"{article.url}\n"
            self._mail(alert, title, text, f"alert-{alert.id}-{article.id}")
        if "telegram" in alert.channels and alert.telegram_chat:
            post = Post(
                facts,
                key=f"alert-{alert.id}-{article.id}",
                title=title,
                link=self._link(article),
                language=article.language,
            )
            notes.extend(self._telegram(alert, post))
        return notes

    def digest(
        self, alert: AlertRow, articles: Sequence[StoredArticle], due: datetime
    ) -> list[str]:
        """Deliver the articles as one message per channel; as `hit` for failures."""
        words = self._text()
        subject = words["digest_subject"].format(name=alert.name, n=len(articles))
        stamp = due.strftime("%Y%m%dT%H%M")
        lines = [f"- {self._lead(alert)}{a.title} ({self._facts(a)})" for a in articles]
        notes: list[str] = []
        if "desk" in alert.channels:
            self.rows.notify(
                f"alert-digest:{alert.id}:{stamp}",
                alert.owner_id,
                "alert",
                subject,
                "\n".join(lines),
                f"/alerts/{alert.id}",
            )
        if "email" in alert.channels and alert.email:
            items = [f"{a.title}\n{self._facts(a)}\n{self._link(a)}\n" for a in articles]
            intro = words["digest_intro"].format(name=alert.name)
            self._mail(
                alert,
                subject,
                intro + "\n\n" + "\n".join(items),
                f"alert-digest-{alert.id}-{stamp}",
            )
        if "telegram" in alert.channels and alert.telegram_chat:
            text = "\n".join(f"{a.title} {self._link(a)}" for a in articles)
            post = Post(text, key=f"alert-digest-{alert.id}-{stamp}", title=subject)
            notes.extend(self._telegram(alert, post))
        return notes

    def _mail(self, alert: AlertRow, subject: str, text: str, key: str) -> None:
        link = self.unsubscribe_link(alert.id)
        footer = self._text()["footer"].format(name=alert.name, link=link)
        headers = {
            **one_click_headers(link, self.mailer),
            "Auto-Submitted": "auto-generated",
        }
        message = self.mailer.compose(
            alert.email or "",
            subject,
            f"{text}\n-- \n{footer}\n",
            headers=headers,
            message_id=self.mailer.message_id_for(key),
        )
        self.mailer.send(message)

    def _telegram(self, alert: AlertRow, post: Post) -> list[str]:
        """Send on the alert's Telegram channel; a channel not enabled only rehearses (the
        request, token masked, comes back as a note), as channel posts do."""
        name, chat = parse_telegram(alert.telegram_chat or "")
        channel = self.desk.posts.channel(name)
        adapter = TelegramChannel()
        config = dict(channel.config)
        if chat:
            config["chat_id"] = chat
        if channel.dry_run:
            return [f"alert {alert.id}: {adapter.dry_run(post, config)}"]
        secret = self.desk.settings.secret(channel.secret) if channel.secret else ""
        if self.client is not None:
            adapter.send(post, config, secret, self.client)
        else:
            with httpx.Client(timeout=30.0) as client:
                adapter.send(post, config, secret, client)
        return []
