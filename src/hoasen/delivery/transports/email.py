"""The e-mail transport: one message with every file attached, through the office Mailer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hoasen.delivery.transports.common import (
    check_payload,
    checked,
    files_left,
    final_error,
    header,
    nothing_left,
    only_keys,
    plural,
)
from hoasen.delivery.types import Ack, Payload
from hoasen.errors import UsageError
from hoasen.mail.outgoing import Mailer, check_address
from hoasen.settings import Settings


class EmailTransport:
    """Sends one message with every file attached through the office Mailer (SMTP, or the
    outbox folder when no smtp_url is set). The SMTP login is the one in smtp_url; a target's
    secret is not used."""

    name = "email"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.mailer = Mailer(settings)

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"to": [addresses], "cc": [addresses]}; every address is checked, and the SMTP
        settings with them (ConfigError when they cannot work)."""
        only_keys(config, ("to", "cc"), self.name)
        out: dict[str, Any] = {}
        for key in ("to", "cc"):
            raw = config.get(key) or []
            items = [raw] if isinstance(raw, str) else raw
            if not isinstance(items, list | tuple) or not all(isinstance(a, str) for a in items):
                raise UsageError(f"email transport: {key!r} must be a list of addresses")
            try:
                out[key] = [check_address(a) for a in items if a.strip()]
            except UsageError as exc:
                raise UsageError(f"email transport: {key!r}: {exc}") from exc
        if not out["to"]:
            raise UsageError("email transport: 'to' needs at least one address")
        self.mailer.check_settings()
        return out

    def describe(self, config: Mapping[str, Any]) -> str:
        """Recipients and the server (or the outbox)."""

        def names(key: str) -> str:
            raw = config.get(key) or []
            return ", ".join([raw] if isinstance(raw, str) else map(str, raw))

        text = f"e-mail to {names('to') or '(nobody)'}"
        if config.get("cc"):
            text += f" (cc {names('cc')})"
        if self.mailer.dry_run:
            return text + f", written to the outbox {self.mailer.where} (no smtp_url set)"
        return text + f" via {self.mailer.where}"

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        """Send the files not yet done in one message; all are acknowledged once it is sent."""
        cfg = checked(self, config)
        check_payload(payload)
        todo = files_left(payload, done)
        if not todo:
            return nothing_left(payload)
        office = self.settings.office_name
        subject = payload.subject.strip() or f"{office}: {plural(len(todo), 'file')}"
        text = payload.text or (
            f"{office} sends {plural(len(todo), 'file')}:\n\n"
            + "".join(f"- {f.name} ({len(f.data):,} bytes)\n" for f in todo)
        )
        key = header(payload.headers, "Idempotency-Key")
        message_id = None
        if key:
            if len(todo) < len(payload.files):  # a different message: another id
                key += "|" + "|".join(f.name for f in todo)
            message_id = self.mailer.message_id_for(key)
        try:
            message = self.mailer.compose(
                cfg["to"], subject, text, attachments=todo, cc=cfg["cc"], message_id=message_id
            )
        except UsageError as exc:
            raise final_error(str(exc)) from exc
        receipt = self.mailer.send(message)
        for f in todo:
            ack(f.name)
        return receipt
