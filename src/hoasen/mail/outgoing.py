"""Compose and send the office's outgoing mail over SMTP (smtplib), or, with no smtp_url set,
write each message as an .eml file to the outbox so nothing leaves the machine by surprise.

Send failures become `DeliveryError`s: a refused connection, a timeout or a 4xx reply is
transient (the delivery queue retries it), a 5xx refusal or a failed login is final.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import secrets
import smtplib
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hoasen.delivery.types import DeliveryError, PayloadFile
from hoasen.errors import ConfigError, UsageError
from hoasen.settings import Settings

# Headers compose() sets itself; callers cannot replace them through `headers`.
RESERVED_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "sender"}
)
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without a colon (RFC 5322)
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def _address(value: str) -> Address:
    """One e-mail address (with an optional display name) parsed; UsageError when it is not."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or "\n" in text or "\r" in text:
        raise UsageError(f"not an e-mail address: {value!r}")
    pairs = getaddresses([text])
    if len(pairs) != 1:
        raise UsageError(f"one e-mail address per item, got {value!r}")
    name, spec = pairs[0]
    local, at, domain = spec.rpartition("@")
    if not at or not local or not domain or domain.startswith(".") or ".." in domain:
        raise UsageError(f"not an e-mail address: {value!r}")
    try:
        return Address(display_name=name, addr_spec=spec)
    except (ValueError, HeaderParseError, IndexError) as exc:
        raise UsageError(f"not an e-mail address: {value!r}") from exc


def check_address(value: str) -> str:
    """The address normalised ("Name <a@b.org>" or "a@b.org"); UsageError when it is not one."""
    return str(_address(value))


def _addresses(values: str | Iterable[str]) -> list[Address]:
    items = [values] if isinstance(values, str) else list(values)
    return [_address(v) for v in items]


def _one_line(text: str) -> str:
    """Header text on one line: newlines and runs of spaces become one space."""
    return " ".join(str(text).split())


def _is_loopback(host: str) -> bool:
    if host.strip().lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _media_type(value: str) -> tuple[str, str, dict[str, str]]:
    """(maintype, subtype, params) of a media type; application/octet-stream when unusable."""
    head, *rest = (value or "").split(";")
    maintype, _, subtype = head.strip().lower().partition("/")
    if not maintype or not subtype or maintype == "multipart" or "/" in subtype:
        return "application", "octet-stream", {}
    params = {}
    for item in rest:
        key, eq, val = item.partition("=")
        if eq and key.strip():
            params[key.strip().lower()] = val.strip().strip('"')
    return maintype, subtype, params


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return _one_line(text)


@dataclass(frozen=True)
class SmtpServer:
    """The SMTP server of `smtp_url`, parsed: host, port, security, login."""

    host: str
    port: int
    security: str  # starttls / ssl / none
    user: str
    password: str


SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}


def parse_smtp_url(url: str) -> SmtpServer | None:
    """`smtp_url` as an SmtpServer (None when empty); ConfigError, without the password, when
    it cannot be used."""
    text = url.strip()
    if not text:
        return None
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError(
            "smtp_url must start with smtp+starttls://, smtps:// or smtp:// "
            f"(not {scheme + '://' if scheme else 'no scheme'})"
        )
    security, default_port = SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ConfigError("smtp_url has a port that is not a number from 1 to 65535") from exc
    host = parts.hostname or ""
    if not host:
        raise ConfigError("smtp_url names no host, e.g. smtp+starttls://user:pass@mail.example:587")
    return SmtpServer(
        host=host,
        port=port,
        security=security,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class Mailer:
    """The office's one outgoing-mail component: `compose()` builds a message, `send()` sends
    it over SMTP or, in a dry run (no smtp_url), writes it to the outbox as an .eml file."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def dry_run(self) -> bool:
        """True when no SMTP server is set: messages go to the outbox folder, not the network."""
        return not self.settings.smtp_url.strip()

    @property
    def where(self) -> str:
        """host:port of the SMTP server, or the outbox folder in a dry run (no secret)."""
        if self.dry_run:
            return str(Path(self.settings.mail_outbox_dir).expanduser().absolute())
        server = self.server
        return f"{server.host}:{server.port}"

    @property
    def server(self) -> SmtpServer:
        """The SMTP server of smtp_url; ConfigError when there is none or it is unusable."""
        server = parse_smtp_url(self.settings.smtp_url)
        if server is None:
            raise ConfigError("no smtp_url is set: mail goes to the outbox folder")
        return server

    @property
    def sender(self) -> Address:
        """The From address (mail_from); ConfigError when it is not an address."""
        try:
            return _address(self.settings.mail_from)
        except UsageError as exc:
            raise ConfigError(f"mail_from: {exc}") from exc

    @property
    def domain(self) -> str:
        """Domain of the sender address: the right-hand side of every Message-ID."""
        try:
            return self.sender.domain or "localhost"
        except ConfigError:
            return "localhost"

    def check_settings(self) -> None:
        """ConfigError naming the SMTP setting that cannot work (checked before sending)."""
        _ = self.sender
        if self.dry_run:
            return
        server = self.server
        if server.security == "none" and not _is_loopback(server.host):
            raise ConfigError(
                "smtp:// sends mail unencrypted and is only allowed for a loopback server, not "
                f"{server.host!r}: use smtp+starttls:// or smtps://"
            )

    def message_id_for(self, key: str) -> str:
        """A Message-ID that is always the same for the same key (e.g. an idempotency key), so a
        retried message carries the id of the first try and receivers can drop the duplicate."""
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
        return f"<{digest}.hoasen@{self.domain}>"

    def _message_id(self, given: str | None) -> str:
        if not given:
            return make_msgid(domain=self.domain)
        value = given.strip()
        inner = value[1:-1] if value.startswith("<") and value.endswith(">") else value
        if not inner or any(c.isspace() or c in "<>" for c in inner):
            raise UsageError(f"not a usable Message-ID: {given!r}")
        return f"<{inner}>" if "@" in inner else f"<{inner}@{self.domain}>"

    def _date(self) -> str:
        try:
            zone = ZoneInfo(self.settings.office_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        now = datetime.now(UTC)
        return format_datetime(now.astimezone(zone) if zone else now)

    def compose(
        self,
        to: str | Iterable[str],
        subject: str,
        text: str,
        *,
        html: str | None = None,
        attachments: Iterable[PayloadFile] = (),
        cc: str | Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
        message_id: str | None = None,
    ) -> EmailMessage:
        """A UTF-8 message from mail_from with Date and Message-ID (`message_id`, or a fresh
        one), a text body (plus an HTML alternative) and the files attached under their own
        names. UsageError for a bad address or header."""
        recipients = _addresses(to)
        if not recipients:
            raise UsageError("a message needs at least one recipient")
        copies = _addresses(cc)
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = recipients
        if copies:
            msg["Cc"] = copies
        msg["Subject"] = _one_line(subject)
        msg["Date"] = self._date()
        msg["Message-ID"] = self._message_id(message_id)
        for name, value in (headers or {}).items():
            if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
                raise UsageError(f"header {name!r} cannot be set on a message")
            if name.lower().startswith("content-"):
                raise UsageError(f"header {name!r} is set by the message's own content")
            msg[name] = _one_line(value)
        msg.set_content(text if text.endswith("\n") else text + "\n")
        if html is not None:
            msg.add_alternative(html, subtype="html")
        for item in attachments:
            maintype, subtype, params = _media_type(item.media_type)
            msg.add_attachment(
                item.data, maintype=maintype, subtype=subtype, filename=item.name, params=params
            )
        for part in msg.walk():
            if part is not msg:
                del part["MIME-Version"]  # only the message itself carries it
        return msg

    def send(self, message: EmailMessage) -> str:
        """Send `message`; the receipt names its Message-ID and where it went. DeliveryError
        (transient or final) when the server cannot take it."""
        try:
            self.check_settings()
        except ConfigError as exc:
            raise DeliveryError(str(exc), transient=False) from exc
        message_id = str(message.get("Message-ID") or "").strip()
        if not message_id:
            message_id = make_msgid(domain=self.domain)
            message["Message-ID"] = message_id
        if self.dry_run:
            return self._write_outbox(message, message_id)
        return self._send_smtp(message, message_id)

    def _write_outbox(self, message: EmailMessage, message_id: str) -> str:
        """Write <mail_outbox_dir>/<timestamp>-<safe id>.eml (atomically); a message whose id is
        already in the outbox is not written twice."""
        outbox = Path(self.settings.mail_outbox_dir).expanduser().absolute()
        safe = _UNSAFE_FILE_CHARS.sub("_", message_id.strip("<>"))[:120].strip("._") or "message"
        try:
            outbox.mkdir(parents=True, exist_ok=True)
            earlier = sorted(outbox.glob(f"*-{safe}.eml"))
            if earlier:
                return f"{message_id} already in the outbox as {earlier[0]} (dry run: no smtp_url)"
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            path = outbox / f"{stamp}-{safe}.eml"
            temp = outbox / f".{path.name}.{secrets.token_hex(4)}.part"
            try:
                temp.write_bytes(message.as_bytes())
                os.replace(temp, path)
            finally:
                temp.unlink(missing_ok=True)
        except OSError as exc:
            raise DeliveryError(
                f"cannot write the message to the outbox {outbox}: {exc.strerror or exc}",
                transient=not isinstance(exc, PermissionError),
            ) from exc
        return f"{message_id} written to the outbox as {path} (dry run: no smtp_url)"

    def _recipients(self, message: EmailMessage) -> list[str]:
        fields = [str(v) for key in ("To", "Cc", "Bcc") for v in message.get_all(key, [])]
        found: list[str] = []
        for _, spec in getaddresses(fields):
            if spec and spec not in found:
                found.append(spec)
        return found

    def session(self) -> MailSession:
        """A session that sends many messages over one SMTP connection (`with mailer.session()
        as s: s.send(msg)`): the same receipts and errors as `send`, one connection opened on
        the first message, opened again once when the server dropped it, closed with QUIT.
        A subclass that overrides `send` (a test double, a throttled transport) gets a session
        that calls its `send` for each message, so its behaviour is kept."""
        return MailSession(self, per_message=type(self).send is not Mailer.send)

    def _open(self) -> smtplib.SMTP:
        """A connected, greeted, secured and logged-in SMTP client (smtplib/OSError raised;
        a half-open client is closed first)."""
        s, server = self.settings, self.server
        client: smtplib.SMTP | None = None
        try:
            if server.security == "ssl":
                context = ssl.create_default_context()
                client = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=s.http_timeout, context=context
                )
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=s.http_timeout)
            client.ehlo_or_helo_if_needed()
            if server.security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if server.user:
                client.login(server.user, server.password)
        except (smtplib.SMTPException, OSError):
            if client is not None:
                client.close()  # no QUIT: the server may be the thing that is not answering
            raise
        return client

    def _receipt(self, message_id: str, recipients: list[str], refused: dict[str, Any]) -> str:
        sent = len(recipients) - len(refused)
        where = self.where
        receipt = f"{message_id} sent to {sent} recipient{'s' if sent != 1 else ''} via {where}"
        if refused:
            names = ", ".join(
                f"{addr} ({code} {_reply(text)})" for addr, (code, text) in refused.items()
            )
            receipt += f"; refused: {names}"
        return self._scrub(receipt)

    def _send_smtp(self, message: EmailMessage, message_id: str) -> str:
        with MailSession(self) as one:
            return one.deliver(message, message_id)

    def _scrub(self, text: str) -> str:
        try:
            server = parse_smtp_url(self.settings.smtp_url)
        except ConfigError:
            server = None
        for secret in (server.password, quote(server.password, safe="")) if server else ():
            if secret:
                text = text.replace(secret, "********")
        return text

    def _error(self, exc: BaseException, where: str) -> DeliveryError:
        """A send failure in plain words, transient or final."""
        user, timeout = self.server.user, self.settings.http_timeout
        transient = True
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            items = exc.recipients.items()
            transient = all(400 <= code < 500 for _, (code, _) in items)
            names = ", ".join(f"{addr} ({code} {_reply(text)})" for addr, (code, text) in items)
            text = f"the mail server at {where} refused every recipient: {names}"
        elif isinstance(exc, smtplib.SMTPSenderRefused):
            transient = 400 <= exc.smtp_code < 500
            text = (
                f"the mail server at {where} refused the sender {_reply(exc.sender)} "
                f"({exc.smtp_code} {_reply(exc.smtp_error)})"
            )
        elif isinstance(exc, smtplib.SMTPAuthenticationError):
            transient = 400 <= exc.smtp_code < 500
            text = (
                f"the mail server at {where} refused the login of {user!r} "
                f"({exc.smtp_code} {_reply(exc.smtp_error)}): check the login in smtp_url"
            )
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            transient = False
            text = (
                f"the mail server at {where} does not support what is asked ({exc}): "
                "check the scheme and port of smtp_url"
            )
        elif isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
            exc.__context__, TimeoutError
        ):
            text = f"the mail server at {where} stopped answering (no reply within {timeout:g} s)"
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            text = f"the mail server at {where} closed the connection ({_reply(str(exc))})"
        elif isinstance(exc, smtplib.SMTPConnectError):
            text = (
                f"the mail server at {where} did not accept the connection "
                f"({exc.smtp_code} {_reply(exc.smtp_error)})"
            )
        elif isinstance(exc, smtplib.SMTPResponseException):
            transient = 400 <= exc.smtp_code < 500
            text = f"the mail server at {where} answered {exc.smtp_code} {_reply(exc.smtp_error)}"
        elif isinstance(exc, smtplib.SMTPException):
            transient = False
            text = f"cannot send through the mail server at {where}: {exc}"
        elif isinstance(exc, ssl.SSLCertVerificationError):
            transient = False
            text = f"the TLS certificate of the mail server at {where} is not trusted: {exc.reason}"
        elif isinstance(exc, ssl.SSLError):
            transient = isinstance(exc, ssl.SSLEOFError)
            text = (
                f"TLS with the mail server at {where} failed ({exc.reason or exc}): check "
                "smtp_url (smtps:// usually on port 465, smtp+starttls:// on 587)"
            )
        elif isinstance(exc, TimeoutError | socket.timeout):
            text = f"the mail server at {where} did not answer within {timeout:g} s"
        elif isinstance(exc, ConnectionRefusedError):
            text = f"the mail server at {where} refused the connection"
        elif isinstance(exc, socket.gaierror):
            text = f"cannot find the mail server {where}: {exc.strerror or exc}"
        else:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            text = f"cannot reach the mail server at {where}: {reason}"
        return DeliveryError(self._scrub(text), transient=transient)


class MailSession:
    """Many messages over one SMTP connection (see `Mailer.session`). In a dry run each message
    is written to the outbox as by `send`.

    A reused connection the server has dropped meanwhile (an idle timeout) is opened again once
    for the message at hand; a failure on a fresh connection is the message's error. A refusal
    of one message (sender, recipients, data) leaves the connection usable for the next; any
    other failure closes it, and the next message opens a new one. `connections` counts the
    connections opened."""

    def __init__(self, mailer: Mailer, per_message: bool = False) -> None:
        self.mailer = mailer
        self.per_message = per_message
        self.client: smtplib.SMTP | None = None
        self.connections = 0
        self._checked = False

    def __enter__(self) -> MailSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        client, self.client = self.client, None
        if client is not None:
            _close(client)

    def send(self, message: EmailMessage) -> str:
        """Send `message` as `Mailer.send` does (same receipt, same DeliveryError)."""
        mailer = self.mailer
        if self.per_message:
            return mailer.send(message)
        if not self._checked:
            try:
                mailer.check_settings()
            except ConfigError as exc:
                raise DeliveryError(str(exc), transient=False) from exc
            self._checked = True
        message_id = str(message.get("Message-ID") or "").strip()
        if not message_id:
            message_id = make_msgid(domain=mailer.domain)
            message["Message-ID"] = message_id
        if mailer.dry_run:
            return mailer._write_outbox(message, message_id)
        return self.deliver(message, message_id)

    def deliver(self, message: EmailMessage, message_id: str) -> str:
        """Send over the session's connection (opened when needed); the receipt."""
        mailer = self.mailer
        recipients = mailer._recipients(message)
        if not recipients:
            raise DeliveryError("the message has no recipients", transient=False)
        for attempt in (1, 2):
            reused = self.client is not None
            try:
                if self.client is None:
                    self.client = mailer._open()
                    self.connections += 1
                refused = self.client.send_message(
                    message, from_addr=mailer.sender.addr_spec, to_addrs=recipients
                )
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                self._drop()
                if reused and attempt == 1:
                    continue  # the server closed an idle connection: open a new one, once
                raise mailer._error(exc, mailer.where) from exc
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError,
            ) as exc:
                raise mailer._error(exc, mailer.where) from exc  # the connection stays usable
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                raise mailer._error(exc, mailer.where) from exc
            return mailer._receipt(message_id, recipients, dict(refused))
        raise AssertionError("unreachable")  # pragma: no cover

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()  # no QUIT: the connection is broken


def _close(client: smtplib.SMTP) -> None:
    """Say QUIT and close; a server that hangs up first is no failure once the mail is out."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
