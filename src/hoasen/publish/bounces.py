"""Bounces and complaints: recording them, the rules that blocklist an address, the bounce
webhook's JSON items, and delivery status notifications (RFC 3464) and abuse reports (ARF,
RFC 5965) read from a Maildir folder or an mbox file.

Rules: a hard bounce (a permanent failure, status 5.x.x) or a complaint blocklists the address
at once; soft bounces (a temporary failure the sending server gave up on, status 4.x.x)
blocklist it when there are SOFT_LIMIT of them within SOFT_WINDOW. One report counts once: a
bounce is stored under its report's key (the webhook item's "id", the DSN's Message-ID) and the
same key and address again is a duplicate that changes nothing.

Reading a mailbox: every multipart/report message with report-type=delivery-status gives one
bounce per recipient whose Action is "failed" ("delayed" notices are skipped: the server still
tries, and one message can bring several); report-type=feedback-report gives a complaint for
Original-Rcpt-To (else the To of the original message). The campaign is found from the original
message's Message-ID, kept on the campaign's send row. Reports read before (their Message-ID is
stored with their bounces) are skipped; a report that gave no bounce (a delay notice) is looked
at again next time and again gives nothing. In a Maildir a processed report is moved from new/
to cur/ and flagged Seen (S); other messages are left where they are. An mbox file is only read,
never changed.
"""

from __future__ import annotations

import hashlib
import mailbox
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoasen.errors import UsageError
from hoasen.store.mailing import BLOCKLISTED, Bounce, BounceStore
from hoasen.store.schema import utcnow

if TYPE_CHECKING:
    from hoasen.publish.mailing import MailingDesk

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
KINDS = (HARD, SOFT, COMPLAINT)
SOURCES = ("webhook", "dsn")
# Soft bounces (mailbox full, server busy) are often passing trouble: an address is given up
# only after SOFT_LIMIT of them within SOFT_WINDOW (listmonk and most senders use about this).
SOFT_LIMIT = 3
SOFT_WINDOW = timedelta(days=30)
WEBHOOK_MAX_ITEMS = 1000  # items in one webhook request


@dataclass(frozen=True)
class BounceOutcome:
    """What recording one bounce did."""

    email: str
    kind: str
    campaign_id: int | None
    duplicate: bool
    blocklisted: bool

    def as_json(self) -> dict[str, Any]:
        """The outcome as JSON (the webhook's reply item, the CLI's --json)."""
        return {
            "email": self.email,
            "kind": self.kind,
            "campaign_id": self.campaign_id,
            "outcome": "duplicate" if self.duplicate else "recorded",
            "blocklisted": self.blocklisted,
        }


@dataclass(frozen=True)
class ReportItem:
    """One bounce or complaint found in a report (a webhook item or a DSN's recipient)."""

    email: str
    kind: str
    status_code: str = ""
    detail: str = ""
    original_id: str = ""  # Message-ID of the message that bounced
    campaign_id: int | None = None


@dataclass
class MailboxReport:
    """What reading a mailbox did: messages read, reports processed and skipped, bounces."""

    source: str
    messages: int = 0
    reports: int = 0
    already: int = 0
    skipped: list[str] = field(default_factory=list)
    outcomes: list[BounceOutcome] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as the CLI's JSON document."""
        return {
            "source": self.source,
            "messages": self.messages,
            "reports": self.reports,
            "already_processed": self.already,
            "skipped": self.skipped,
            "bounces": [o.as_json() for o in self.outcomes],
        }


class Bounces:
    """Records bounces and complaints for one MailingDesk and applies the blocklist rules."""

    def __init__(self, mailing: MailingDesk) -> None:
        self.mailing = mailing
        self.db = BounceStore(mailing.desk.store)

    def record(
        self,
        email: str,
        kind: str,
        source: str,
        campaign: int | None = None,
        status_code: str = "",
        detail: str = "",
        message_key: str = "",
    ) -> BounceOutcome:
        """Store one bounce and blocklist the address when the rules say so (see the module).
        Without a message_key every call counts: give one to make a repeat a duplicate."""
        from hoasen.publish.mailing import normalise_email

        address = normalise_email(email)
        if kind not in KINDS:
            raise UsageError(f"a bounce is one of {', '.join(KINDS)}, not {kind!r}")
        if source not in SOURCES:
            raise UsageError(f"a bounce comes from one of {', '.join(SOURCES)}, not {source!r}")
        key = message_key.strip() or f"{source}:none:{secrets.token_hex(12)}"
        added = self.db.add(address, kind, source, campaign, status_code, detail, key)
        if not added:
            return BounceOutcome(address, kind, campaign, True, self._blocked(address))
        reason = self._reason(address, kind, status_code, detail)
        if reason and not self._blocked(address):
            self.mailing.blocklist(address, reason)
        return BounceOutcome(address, kind, campaign, False, self._blocked(address))

    def _blocked(self, address: str) -> bool:
        found = self.mailing.db.find_subscriber(address)
        return found is not None and found.status == BLOCKLISTED

    def _reason(self, address: str, kind: str, status_code: str, detail: str) -> str:
        """Why the address is to be blocklisted now, or "" when it is not."""
        said = " ".join(f"{status_code} {detail}".split())[:300]
        if kind == HARD:
            return f"hard bounce: {said}" if said else "hard bounce"
        if kind == COMPLAINT:
            return f"complaint: {said}" if said else "complaint (marked as spam)"
        soft = self.db.count(address, SOFT, utcnow() - SOFT_WINDOW)
        if soft >= SOFT_LIMIT:
            days = SOFT_WINDOW.days
            return f"{soft} soft bounces within {days} days" + (f" (last: {said})" if said else "")
        return ""

    def recent(self, limit: int = 200, campaign_id: int | None = None) -> list[Bounce]:
        """The newest recorded bounces."""
        return self.db.recent(limit, campaign_id)

    # ------------------------------------------------------------ webhook

    def webhook(self, body: Any) -> list[BounceOutcome]:
        """Record the bounce webhook's items: one JSON object or a list of them, each
        {"email", "kind": hard|soft|complaint, "campaign_id"?, "status"?, "detail"?, "id"?}.
        Every item is checked first: UsageError (naming each bad item) records nothing."""
        items = body if isinstance(body, list) else [body]
        if not items or len(items) > WEBHOOK_MAX_ITEMS:
            raise UsageError(f"send 1 to {WEBHOOK_MAX_ITEMS} bounce items")
        checked: list[tuple[ReportItem, str]] = []
        problems: list[str] = []
        for number, item in enumerate(items):
            try:
                checked.append(_webhook_item(item))
            except UsageError as exc:
                problems.append(f"item {number}: {exc}")
        if problems:
            raise UsageError("; ".join(problems))
        outcomes = []
        for i, item_id in checked:
            key = f"webhook:{item_id}" if item_id else ""
            outcomes.append(
                self.record(i.email, i.kind, "webhook", i.campaign_id, i.status_code, i.detail, key)
            )
        return outcomes

    # ------------------------------------------------------------ mailboxes

    def read_mailbox(self, path: Path) -> MailboxReport:
        """Process every delivery-status and feedback report in a Maildir folder or an mbox
        file (see the module for what is recorded, skipped and moved)."""
        report = MailboxReport(str(path))
        for raw, done in _messages(path):
            report.messages += 1
            message = BytesParser(policy=policy.default).parsebytes(raw)
            key = _report_key(message, raw)
            items = report_items(message)
            if items is None:
                continue  # not a report: left alone
            if self.db.seen(key):
                report.already += 1
                done()
                continue
            report.reports += 1
            if not items:
                subject = str(message.get("Subject", ""))[:80]
                report.skipped.append(f"{key}: no failed recipient ({subject})")
            for item in items:
                campaign = item.campaign_id or self.db.campaign_of(item.original_id, item.email)
                try:
                    outcome = self.record(
                        item.email, item.kind, "dsn", campaign, item.status_code, item.detail, key
                    )
                except UsageError as exc:
                    report.skipped.append(f"{key}: {exc}")
                    continue
                report.outcomes.append(outcome)
            done()
        return report


def _webhook_item(item: Any) -> tuple[ReportItem, str]:
    """One webhook item checked: (item, its id or "")."""
    from hoasen.publish.mailing import normalise_email

    if not isinstance(item, Mapping):
        raise UsageError("each item is a JSON object")
    email, kind = item.get("email"), item.get("kind")
    if not isinstance(email, str) or not email.strip():
        raise UsageError('"email" is required')
    if kind not in KINDS:
        raise UsageError(f'"kind" is one of {", ".join(KINDS)}')
    campaign = item.get("campaign_id")
    if campaign is not None and (not isinstance(campaign, int) or isinstance(campaign, bool)):
        raise UsageError('"campaign_id" is a number')
    texts = {}
    for name in ("status", "detail", "id"):
        value = item.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise UsageError(f'"{name}" is a string')
        texts[name] = str(value).strip()
    if len(texts["id"]) > 150:
        raise UsageError('"id" is at most 150 characters')
    parsed = ReportItem(
        normalise_email(email),
        str(kind),
        texts["status"][:16],
        texts["detail"][:2000],
        "",
        campaign,
    )
    return parsed, texts["id"]


def _messages(path: Path) -> Iterator[tuple[bytes, Any]]:
    """(raw bytes, mark-as-processed callback) of every message of a Maildir or mbox."""
    if path.is_dir():
        if not all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise UsageError(f"{path} is a folder but not a Maildir (cur, new and tmp)")
        box = mailbox.Maildir(str(path), factory=None, create=False)
        for key in list(box.keys()):
            try:
                raw = box.get_bytes(key)
            except KeyError:
                continue  # moved or deleted by another reader meanwhile

            def done(key: str = key) -> None:
                msg = box.get_message(key)
                if msg.get_subdir() != "cur" or "S" not in msg.get_flags():
                    msg.set_subdir("cur")
                    msg.add_flag("S")
                    box[key] = msg

            yield raw, done
        return
    if not path.is_file():
        raise UsageError(f"no such Maildir folder or mbox file: {path}")
    box_file = mailbox.mbox(str(path), factory=None, create=False)
    try:
        for key in list(box_file.iterkeys()):
            yield box_file.get_bytes(key), lambda: None
    finally:
        box_file.close()


def _report_key(message: Message, raw: bytes) -> str:
    """The report's key: its Message-ID, else a digest of its bytes."""
    found = str(message.get("Message-ID", "") or "").strip()
    return f"dsn:{found[:190]}" if found else f"dsn:sha256:{hashlib.sha256(raw).hexdigest()}"


def report_items(message: Message) -> list[ReportItem] | None:
    """The bounces of a delivery-status report or the complaint of a feedback report; None
    when the message is neither."""
    if message.get_content_type() != "multipart/report":
        return None
    kind = str(message.get_param("report-type", "", header="content-type") or "").lower()
    parts = list(message.walk())
    original = _original_headers(parts)
    original_id = str(original.get("Message-ID", "") or "").strip() if original else ""
    if kind == "delivery-status":
        items = []
        for fields in _status_blocks(parts):
            item = _recipient(fields, original_id)
            if item is not None:
                items.append(item)
        return items
    if kind == "feedback-report":
        found = _blocks(parts, "message/feedback-report")
        if not found:
            return []
        fields = found[0]
        recipient = _address_of(str(fields.get("Original-Rcpt-To", "") or ""))
        if not recipient and original is not None:
            recipient = _address_of(str(original.get("To", "") or ""))
        if not recipient:
            return []
        feedback = str(fields.get("Feedback-Type", "abuse") or "abuse").strip()
        return [ReportItem(recipient, COMPLAINT, "", f"feedback: {feedback}", original_id)]
    return None


def _recipient(fields: Message, original_id: str) -> ReportItem | None:
    """The bounce of one per-recipient block of a delivery-status part, or None."""
    recipient = _address_of(str(fields.get("Final-Recipient", "") or ""))
    recipient = recipient or _address_of(str(fields.get("Original-Recipient", "") or ""))
    action = str(fields.get("Action", "") or "").strip().lower()
    if not recipient or action != "failed":
        return None  # delayed, delivered, relayed, expanded: no bounce
    status = str(fields.get("Status", "") or "").strip().split(" ")[0]
    diagnostic = str(fields.get("Diagnostic-Code", "") or "")
    _, _, diagnostic = diagnostic.partition(";") if ";" in diagnostic else ("", "", diagnostic)
    kind = SOFT if status.startswith("4") else HARD  # failed with 5.x.x (or no status): hard
    return ReportItem(recipient, kind, status[:16], " ".join(diagnostic.split()), original_id)


def _address_of(value: str) -> str:
    """The address of "rfc822; a@b.org" or "<a@b.org>" or "Name <a@b.org>"."""
    from email.utils import parseaddr

    text = value.split(";", 1)[1] if ";" in value else value
    return parseaddr(text.strip())[1].strip().lower()


def _blocks(parts: list[Message], content_type: str) -> list[Message]:
    """The header blocks of the parts of `content_type` (the parser gives them as sub-messages
    or, for unknown types, as text)."""
    found: list[Message] = []
    for part in parts:
        if part.get_content_type() != content_type:
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            found += [p for p in payload if isinstance(p, Message)]
        elif isinstance(payload, str):
            text = payload.replace("\r\n", "\n")
            found += [HeaderParser().parsestr(b + "\n") for b in text.split("\n\n") if b.strip()]
    return found


def _status_blocks(parts: list[Message]) -> list[Message]:
    """The per-recipient blocks of the delivery-status part (the per-message block has no
    Final-Recipient and is passed over by `_recipient`)."""
    return _blocks(parts, "message/delivery-status")


def _original_headers(parts: list[Message]) -> Message | None:
    """The headers of the original message returned with a report, if any."""
    for part in parts:
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            content = part.get_payload(decode=True)
            text = content.decode("utf-8", "replace") if isinstance(content, bytes) else ""
            return HeaderParser().parsestr(text)
    return None
