"""Outgoing mail: one component composes and sends every message that leaves the office
(exchange packages now, campaigns and report mailings later), or writes it to the outbox."""

from __future__ import annotations

from hoasen.mail.outgoing import Mailer, check_address

__all__ = ["Mailer", "check_address"]
