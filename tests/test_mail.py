"""The outgoing-mail component against a real loopback SMTP server (aiosmtpd): composition
(UTF-8, attachment names and bytes, ids), the outbox dry run, and how failures are classed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hoasen.delivery.types import DeliveryError, PayloadFile
from hoasen.errors import ConfigError, UsageError
from hoasen.mail import Mailer, check_address
from hoasen.mail.outgoing import parse_smtp_url
from hoasen.settings import Settings

SMTP_USER = "desk"
SMTP_PASSWORD = "pw-Tr0ub4dor&3"


@dataclass
class Received:
    """One message as the server got it."""

    sender: str
    recipients: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Recorder:
    """aiosmtpd handler: records messages; queued replies make RCPT or DATA fail on purpose."""

    messages: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)  # answered before accepting DATA
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> RCPT reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 2.0.0 accepted"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


class LoopbackSMTP(Controller):
    """aiosmtpd's Controller on 127.0.0.1 and a free port (it does not take port 0 itself)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp() -> Iterator[tuple[LoopbackSMTP, Recorder]]:
    """A loopback SMTP server with login (no TLS), and its recorder."""
    recorder = Recorder()
    controller = LoopbackSMTP(
        recorder,
        hostname="127.0.0.1",
        port=0,
        authenticator=_authenticate,
        auth_require_tls=False,
        ready_timeout=5,
    )
    controller.start()
    yield controller, recorder
    controller.stop()


def smtp_settings(settings: Settings, port: int, **changes: Any) -> Settings:
    """Settings pointing at the loopback server (plain SMTP: loopback only). `user`, `password`,
    `scheme` and `host` build the smtp_url; other keywords are settings."""
    scheme = changes.pop("scheme", "smtp")
    host = changes.pop("host", "127.0.0.1")
    user, password = changes.pop("user", ""), changes.pop("password", "")
    login = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
    base = {
        "smtp_url": f"{scheme}://{login}{host}:{port}",
        "mail_from": "Phòng Thông tin <press@hoasen.example>",
        "http_timeout": 2.0,
    }
    return replace(settings, **(base | changes))


def free_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


FILES = (
    PayloadFile("bản tin 01.xml", "application/xml", "<tin>Hà Nội</tin>".encode()),
    PayloadFile("photo.jpg", "image/jpeg", bytes(range(256)) * 4),
)


# -- compose -------------------------------------------------------------------------------


def test_compose_utf8_attachments_and_ids(settings: Settings) -> None:
    mailer = Mailer(replace(settings, mail_from="Phòng Thông tin <press@hoasen.example>"))
    message = mailer.compose(
        ["Đối tác <partner@agency.example>", "desk@agency.example"],
        "Bản tin\nngày 3",
        "Kính gửi quý đối tác — 你好",
        html="<p>Kính gửi</p>",
        attachments=FILES,
        cc="copy@agency.example",
        headers={"Reply-To": "news@hoasen.example", "X-Hoasen-Kind": "exchange"},
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed["Subject"] == "Bản tin ngày 3"  # one line: no header injection
    assert parsed["From"].addresses[0].display_name == "Phòng Thông tin"
    assert [a.addr_spec for a in parsed["To"].addresses] == [
        "partner@agency.example",
        "desk@agency.example",
    ]
    assert parsed["Cc"] == "copy@agency.example"
    assert parsed["Date"].datetime is not None
    assert parsed["Message-ID"].endswith("@hoasen.example>")
    assert parsed["Reply-To"] == "news@hoasen.example"
    body = parsed.get_body(("plain",))
    assert body is not None and "你好" in body.get_content()
    html = parsed.get_body(("html",))
    assert html is not None and "Kính gửi" in html.get_content()
    attached = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert set(attached) == {"bản tin 01.xml", "photo.jpg"}
    assert attached["bản tin 01.xml"].get_content_type() == "application/xml"
    assert attached["photo.jpg"].get_content() == FILES[1].data


def test_compose_message_id_given_or_stable(settings: Settings) -> None:
    mailer = Mailer(replace(settings, mail_from="press@hoasen.example"))
    assert mailer.compose("a@b.example", "s", "t", message_id="abc")["Message-ID"] == (
        "<abc@hoasen.example>"
    )
    assert mailer.compose("a@b.example", "s", "t", message_id="<x@y>")["Message-ID"] == "<x@y>"
    assert mailer.message_id_for("key-1") == mailer.message_id_for("key-1")
    assert mailer.message_id_for("key-1") != mailer.message_id_for("key-2")
    with pytest.raises(UsageError):
        mailer.compose("a@b.example", "s", "t", message_id="two words")


def test_compose_refuses_bad_addresses_and_headers(settings: Settings) -> None:
    mailer = Mailer(settings)
    for bad in ("nobody", "a@", "@b.example", "a@b.example, c@d.example", "a@b\n.example"):
        with pytest.raises(UsageError):
            mailer.compose(bad, "s", "t")
    with pytest.raises(UsageError):
        mailer.compose([], "s", "t")
    with pytest.raises(UsageError):
        mailer.compose("a@b.example", "s", "t", headers={"Bcc": "spy@evil.example"})
    with pytest.raises(UsageError):
        mailer.compose("a@b.example", "s", "t", headers={"Bad Name": "x"})
    assert check_address(' "Press, Office" <press@hoasen.example> ') == (
        '"Press, Office" <press@hoasen.example>'
    )


# -- outbox (dry run) ----------------------------------------------------------------------


def test_outbox_dry_run_writes_eml(settings: Settings, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    mailer = Mailer(replace(settings, smtp_url="", mail_outbox_dir=str(outbox)))
    assert mailer.dry_run
    message = mailer.compose(
        "partner@agency.example",
        "Tin mới",
        "Nội dung",
        attachments=FILES,
        message_id=mailer.message_id_for("pkg-7"),
    )
    receipt = mailer.send(message)
    assert "outbox" in receipt and "dry run" in receipt
    files = list(outbox.glob("*.eml"))
    assert len(files) == 1
    assert files[0].name.endswith(".hoasen_localhost.eml")
    parsed = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert parsed["Subject"] == "Tin mới"
    assert parsed["Message-ID"] == mailer.message_id_for("pkg-7")
    names = [p.get_filename() for p in parsed.iter_attachments()]
    assert names == ["bản tin 01.xml", "photo.jpg"]
    # the same message again is not written twice
    assert "already in the outbox" in mailer.send(message)
    assert len(list(outbox.glob("*.eml"))) == 1
    assert not list(outbox.glob(".*"))  # no temporary file left behind


# -- SMTP ----------------------------------------------------------------------------------


def test_send_over_smtp_with_login(smtp: tuple[LoopbackSMTP, Recorder], settings: Settings) -> None:
    controller, recorder = smtp
    s = smtp_settings(settings, controller.port, user=SMTP_USER, password=SMTP_PASSWORD)
    mailer = Mailer(s)
    assert not mailer.dry_run
    message = mailer.compose(
        "partner@agency.example",
        "Bản tin",
        "Xin chào",
        attachments=FILES,
        cc=["copy@agency.example"],
        message_id="pkg-1",
    )
    receipt = mailer.send(message)
    assert receipt == (
        f"<pkg-1@hoasen.example> sent to 2 recipients via 127.0.0.1:{controller.port}"
    )
    assert SMTP_PASSWORD not in receipt
    [got] = recorder.messages
    assert got.sender == "press@hoasen.example"
    assert got.recipients == ["partner@agency.example", "copy@agency.example"]
    parsed = got.parsed()
    assert parsed["Subject"] == "Bản tin"
    body = parsed.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "Xin chào"
    attached = {p.get_filename(): p.get_content() for p in parsed.iter_attachments()}
    assert attached["photo.jpg"] == FILES[1].data
    assert attached["bản tin 01.xml"] == FILES[0].data


def test_wrong_password_is_final_and_secret_free(
    smtp: tuple[LoopbackSMTP, Recorder], settings: Settings
) -> None:
    controller, recorder = smtp
    wrong = "not-the-Password-42"
    mailer = Mailer(smtp_settings(settings, controller.port, user=SMTP_USER, password=wrong))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.compose("partner@agency.example", "s", "t"))
    assert caught.value.transient is False
    assert "login" in str(caught.value) and wrong not in str(caught.value)
    assert recorder.messages == []


def test_temporary_reply_is_transient_then_sent(
    smtp: tuple[LoopbackSMTP, Recorder], settings: Settings
) -> None:
    controller, recorder = smtp
    recorder.data_replies.append("451 4.3.0 try again later")
    mailer = Mailer(smtp_settings(settings, controller.port))
    message = mailer.compose("partner@agency.example", "s", "t", message_id="retry-1")
    with pytest.raises(DeliveryError) as caught:
        mailer.send(message)
    assert caught.value.transient is True
    assert "451" in str(caught.value)
    assert recorder.messages == []
    assert "sent to 1 recipient via" in mailer.send(message)
    assert len(recorder.messages) == 1


def test_refused_recipients(smtp: tuple[LoopbackSMTP, Recorder], settings: Settings) -> None:
    controller, recorder = smtp
    recorder.refuse["gone@agency.example"] = "550 5.1.1 no such user"
    recorder.refuse["busy@agency.example"] = "450 4.2.1 mailbox busy"
    mailer = Mailer(smtp_settings(settings, controller.port))
    with pytest.raises(DeliveryError) as final:
        mailer.send(mailer.compose("gone@agency.example", "s", "t"))
    assert final.value.transient is False and "no such user" in str(final.value)
    with pytest.raises(DeliveryError) as busy:
        mailer.send(mailer.compose("busy@agency.example", "s", "t"))
    assert busy.value.transient is True
    # one refused among several: sent to the others, the receipt says who was refused
    receipt = mailer.send(mailer.compose(["ok@agency.example", "gone@agency.example"], "s", "t"))
    assert "sent to 1 recipient via" in receipt and "gone@agency.example (550" in receipt
    assert recorder.messages[0].recipients == ["ok@agency.example"]


def test_rejected_data_is_final(smtp: tuple[LoopbackSMTP, Recorder], settings: Settings) -> None:
    controller, recorder = smtp
    recorder.data_replies.append("554 5.7.1 message refused")
    mailer = Mailer(smtp_settings(settings, controller.port))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.compose("partner@agency.example", "s", "t"))
    assert caught.value.transient is False and "554" in str(caught.value)


def test_starttls_not_offered_is_final(
    smtp: tuple[LoopbackSMTP, Recorder], settings: Settings
) -> None:
    controller, _ = smtp
    mailer = Mailer(smtp_settings(settings, controller.port, scheme="smtp+starttls"))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.compose("partner@agency.example", "s", "t"))
    assert caught.value.transient is False
    assert "STARTTLS" in str(caught.value)


def test_refused_connection_is_transient(settings: Settings) -> None:
    mailer = Mailer(smtp_settings(settings, free_port()))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.compose("partner@agency.example", "s", "t"))
    assert caught.value.transient is True
    assert "refused the connection" in str(caught.value)


def test_silent_server_times_out_transient(settings: Settings) -> None:
    with socket.socket() as sock:  # accepts (backlog) but never says hello
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        mailer = Mailer(smtp_settings(settings, sock.getsockname()[1], http_timeout=0.3))
        with pytest.raises(DeliveryError) as caught:
            mailer.send(mailer.compose("partner@agency.example", "s", "t"))
    assert caught.value.transient is True
    assert "answer" in str(caught.value) and "0.3 s" in str(caught.value)


def test_server_hanging_up_is_transient(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)

        def greet_and_hang_up() -> None:
            conn, _ = sock.accept()
            with conn:
                conn.sendall(b"220 flaky.example ESMTP\r\n")

        thread = threading.Thread(target=greet_and_hang_up, daemon=True)
        thread.start()
        mailer = Mailer(smtp_settings(settings, sock.getsockname()[1]))
        with pytest.raises(DeliveryError) as caught:
            mailer.send(mailer.compose("partner@agency.example", "s", "t"))
        thread.join(2)
    assert caught.value.transient is True


def test_plain_smtp_only_on_loopback(settings: Settings) -> None:
    mailer = Mailer(replace(settings, smtp_url="smtp://press:pw@mail.example.org:25"))
    with pytest.raises(ConfigError):
        mailer.check_settings()
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.compose("partner@agency.example", "s", "t"))
    assert caught.value.transient is False
    with pytest.raises(ConfigError):
        Mailer(replace(settings, smtp_url="smtp+tls://mail.example.org")).check_settings()


def test_ssl_against_plain_server_is_final(
    smtp: tuple[LoopbackSMTP, Recorder], settings: Settings
) -> None:
    controller, _ = smtp
    mailer = Mailer(smtp_settings(settings, controller.port, scheme="smtps"))
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.compose("partner@agency.example", "s", "t"))
    assert caught.value.transient is False
    assert "smtp_url" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp+starttls://press%40office:p%40ss%3Aw@mail.example.org", ("starttls", 587)),
        ("smtps://press%40office:p%40ss%3Aw@mail.example.org:2465", ("ssl", 2465)),
        ("smtp://press%40office:p%40ss%3Aw@127.0.0.1", ("none", 25)),
    ],
)
def test_smtp_url_is_parsed(url: str, expected: tuple[str, int]) -> None:
    server = parse_smtp_url(url)
    assert server is not None
    assert (server.security, server.port) == expected
    assert (server.user, server.password) == ("press@office", "p@ss:w")
    assert parse_smtp_url("  ") is None


@pytest.mark.parametrize(
    "url", ["mail.example.org", "smtp+tls://u:secretpw@h", "smtps://u:secretpw@h:99999", "smtps://"]
)
def test_bad_smtp_url_is_a_config_error_without_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_smtp_url(url)
    assert "secretpw" not in str(caught.value) and "smtp_url" in str(caught.value)
