"""The four transports against real servers on loopback: a folder, SMTP (aiosmtpd), SFTP
(an asyncssh server chrooted to tmp_path) and HTTP (http.server). Each checks that files
arrive whole, `done` files are skipped, failures are transient or final as they should be,
and no secret shows in a receipt, description or error."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from hoasen.delivery.transports import TRANSPORT_NAMES, make_transport, sign
from hoasen.delivery.types import DeliveryError, Payload, PayloadFile
from hoasen.errors import UsageError
from hoasen.settings import Settings
from test_mail import LoopbackSMTP, Recorder, free_port, smtp_settings

SECRET = "s3cr3t-Key-do-not-show"
FILES = (
    PayloadFile("newsml.xml", "application/vnd.iptc.g2.newsitem+xml", "<tin>Huế</tin>".encode()),
    PayloadFile("ảnh 1.jpg", "image/jpeg", bytes(range(256)) * 8),
    PayloadFile("manifest.json", "application/json", b'{"items": 2}'),
)
PAYLOAD = Payload(
    files=FILES,
    subject="Gói tin 12",
    text="Kính gửi quý đối tác",
    folder="guangxi-daily-00012",
    headers={"Idempotency-Key": "pkg-12-v1", "X-Partner": "gx"},
)


class Acks:
    """The `ack` callback: remembers the names acknowledged, in order."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str) -> None:
        self.names.append(name)


def assert_secret_free(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text


# -- choosing ------------------------------------------------------------------------------


def test_make_transport(settings: Settings) -> None:
    for name in TRANSPORT_NAMES:
        assert make_transport(name, settings).name == name
    with pytest.raises(UsageError, match="unknown transport"):
        make_transport("carrier-pigeon", settings)


# -- folder --------------------------------------------------------------------------------


def test_folder_writes_files_atomically(settings: Settings, tmp_path: Path) -> None:
    t = make_transport("folder", settings)
    config = t.check({"path": str(tmp_path / "out")})
    acks = Acks()
    receipt = t.deliver(PAYLOAD, config, "", frozenset(), acks)
    folder = tmp_path / "out" / PAYLOAD.folder
    assert receipt == f"3 files in {folder}"
    assert acks.names == [f.name for f in FILES]
    for f in FILES:
        assert (folder / f.name).read_bytes() == f.data
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in FILES)
    assert str(tmp_path / "out") in t.describe(config)


def test_folder_identical_file_counts_changed_file_replaced(
    settings: Settings, tmp_path: Path
) -> None:
    t = make_transport("folder", settings)
    config = {"path": str(tmp_path)}
    folder = tmp_path / PAYLOAD.folder
    folder.mkdir()
    (folder / "newsml.xml").write_bytes(FILES[0].data)
    (folder / "manifest.json").write_bytes(b"old")
    before = (folder / "newsml.xml").stat().st_mtime_ns
    time.sleep(0.01)
    acks = Acks()
    t.deliver(PAYLOAD, config, "", frozenset(), acks)
    assert acks.names == [f.name for f in FILES]
    assert (folder / "newsml.xml").stat().st_mtime_ns == before  # not rewritten
    assert (folder / "manifest.json").read_bytes() == FILES[2].data


def test_folder_skips_done_and_defaults_to_exchange_dir(settings: Settings, tmp_path: Path) -> None:
    s = replace(settings, exchange_dir=str(tmp_path / "exchange"))
    t = make_transport("folder", s)
    config = t.check({})
    assert config == {"path": str(tmp_path / "exchange")}
    acks = Acks()
    receipt = t.deliver(replace(PAYLOAD, folder=""), config, "", frozenset({"newsml.xml"}), acks)
    assert acks.names == ["ảnh 1.jpg", "manifest.json"]
    assert "(1 file delivered earlier)" in receipt
    assert not (tmp_path / "exchange" / "newsml.xml").exists()
    everything = frozenset(f.name for f in FILES)
    assert "nothing left" in t.deliver(PAYLOAD, config, "", everything, Acks())


def test_folder_refuses_unsafe_names_and_bad_paths(settings: Settings, tmp_path: Path) -> None:
    t = make_transport("folder", settings)
    config = {"path": str(tmp_path / "out")}
    for bad in (
        Payload(files=(PayloadFile("../evil", "text/plain", b"x"),)),
        Payload(files=(PayloadFile("a/b", "text/plain", b"x"),)),
        Payload(files=FILES, folder=".."),
        Payload(files=(FILES[0], FILES[0])),
    ):
        with pytest.raises(DeliveryError) as caught:
            t.deliver(bad, config, "", frozenset(), Acks())
        assert caught.value.transient is False
    assert not (tmp_path / "out").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryError) as caught:
        t.deliver(PAYLOAD, {"path": str(blocker)}, "", frozenset(), Acks())
    assert caught.value.transient is False
    with pytest.raises(UsageError, match="unknown setting"):
        t.check({"path": "x", "pth": "y"})


# -- email ---------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[tuple[LoopbackSMTP, Recorder]]:
    """A loopback SMTP server (no login) and its recorder."""
    recorder = Recorder()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    yield controller, recorder
    controller.stop()


def test_email_one_message_with_every_file(
    smtp: tuple[LoopbackSMTP, Recorder], settings: Settings
) -> None:
    controller, recorder = smtp
    s = smtp_settings(settings, controller.port)
    t = make_transport("email", s)
    config = t.check({"to": ["Đối tác <desk@partner.example>"], "cc": "copy@partner.example"})
    acks = Acks()
    receipt = t.deliver(PAYLOAD, config, "", frozenset(), acks)
    assert acks.names == [f.name for f in FILES]
    assert "sent to 2 recipients" in receipt
    [got] = recorder.messages
    parsed = got.parsed()
    assert parsed["Subject"] == "Gói tin 12"
    attached = {p.get_filename(): p.get_content() for p in parsed.iter_attachments()}
    assert attached == {f.name: f.data for f in FILES}
    # the Message-ID comes from the idempotency key: a retry carries the same one
    t.deliver(PAYLOAD, config, "", frozenset(), Acks())
    assert recorder.messages[1].parsed()["Message-ID"] == parsed["Message-ID"]
    assert parsed["Message-ID"] in receipt
    assert_secret_free(receipt, t.describe(config))
    assert "desk@partner.example" in t.describe(config)


def test_email_defaults_and_transient_failure(
    smtp: tuple[LoopbackSMTP, Recorder], settings: Settings
) -> None:
    controller, recorder = smtp
    t = make_transport("email", smtp_settings(settings, controller.port))
    config = t.check({"to": ["desk@partner.example"]})
    bare = Payload(files=FILES[:1])
    recorder.data_replies.append("451 4.7.1 greylisted")
    acks = Acks()
    with pytest.raises(DeliveryError) as caught:
        t.deliver(bare, config, "", frozenset(), acks)
    assert caught.value.transient is True and acks.names == []
    t.deliver(bare, config, "", frozenset(), acks)
    assert acks.names == ["newsml.xml"]
    parsed = recorder.messages[0].parsed()
    assert parsed["Subject"] == f"{settings.office_name}: 1 file"
    body = parsed.get_body(("plain",))
    assert body is not None and "newsml.xml" in body.get_content()


def test_email_check_and_outbox(settings: Settings, tmp_path: Path) -> None:
    t = make_transport("email", replace(settings, smtp_url="", mail_outbox_dir=str(tmp_path)))
    for bad in ({}, {"to": []}, {"to": ["nobody"]}, {"to": ["a@b.example"], "bcc": ["x@y.z"]}):
        with pytest.raises(UsageError):
            t.check(bad)
    config = t.check({"to": "desk@partner.example"})
    assert "outbox" in t.describe(config)
    receipt = t.deliver(PAYLOAD, config, "", frozenset(), Acks())
    assert "dry run" in receipt
    [eml] = tmp_path.glob("*.eml")
    parsed = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert [p.get_filename() for p in parsed.iter_attachments()] == [f.name for f in FILES]


# -- sftp ----------------------------------------------------------------------------------

SFTP_USER = "partner"


class _SSHServer(asyncssh.SSHServer):
    """Password login for one user (the test's secret)."""

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == SFTP_USER and password == SECRET


@dataclass
class SftpServer:
    """An asyncssh SFTP server on 127.0.0.1, chrooted to `root`, in its own event-loop thread."""

    root: Path
    authorized: list[asyncssh.SSHKey] = field(default_factory=list)
    host_key: asyncssh.SSHKey = field(
        default_factory=lambda: asyncssh.generate_private_key("ssh-ed25519")
    )
    port: int = 0

    def __enter__(self) -> SftpServer:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.acceptor = asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(5)
        self.port = self.acceptor.get_port()
        return self

    async def _listen(self) -> asyncssh.SSHAcceptor:
        keys = asyncssh.SSHAuthorizedKeys()
        for key in self.authorized:
            keys.load(key.export_public_key().decode())
        return await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[self.host_key],
            server_factory=_SSHServer,
            authorized_client_keys=keys if self.authorized else None,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(self.root).encode()),
            allow_scp=False,
        )

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self.acceptor.close()
            await self.acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def known_hosts_line(self, key: asyncssh.SSHKey | None = None) -> str:
        """The known_hosts entry of this server (or of `key` under its name: a wrong one)."""
        public = (key or self.host_key).export_public_key().decode().strip()
        return f"[127.0.0.1]:{self.port} {public}\n"


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpServer]:
    root = tmp_path / "sftp-root"
    root.mkdir()
    with SftpServer(root) as server:
        yield server


def sftp_setup(
    settings: Settings, tmp_path: Path, server: SftpServer, line: str | None = None
) -> tuple[Any, dict[str, Any]]:
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts_line() if line is None else line)
    t = make_transport("sftp", replace(settings, sftp_known_hosts=str(known), http_timeout=3.0))
    config = t.check(
        {"host": "127.0.0.1", "port": server.port, "user": SFTP_USER, "path": "/inbox"}
    )
    return t, config


def test_sftp_uploads_and_renames(sftp: SftpServer, settings: Settings, tmp_path: Path) -> None:
    t, config = sftp_setup(settings, tmp_path, sftp)
    acks = Acks()
    receipt = t.deliver(PAYLOAD, config, SECRET, frozenset({"manifest.json"}), acks)
    assert acks.names == ["newsml.xml", "ảnh 1.jpg"]
    folder = sftp.root / "inbox" / PAYLOAD.folder
    assert sorted(p.name for p in folder.iterdir()) == ["newsml.xml", "ảnh 1.jpg"]
    assert (folder / "ảnh 1.jpg").read_bytes() == FILES[1].data
    assert receipt == (
        f"2 files uploaded to sftp://{SFTP_USER}@127.0.0.1:{sftp.port}/inbox/{PAYLOAD.folder}"
        " (1 file delivered earlier)"
    )
    # a second attempt replaces what is there (posix-rename) and leaves no .part behind
    (folder / "newsml.xml").write_bytes(b"stale")
    t.deliver(PAYLOAD, config, SECRET, frozenset(), Acks())
    assert (folder / "newsml.xml").read_bytes() == FILES[0].data
    assert not list(sftp.root.rglob("*.part"))
    assert_secret_free(receipt, t.describe(config))


def test_sftp_from_inside_a_running_event_loop(
    sftp: SftpServer, settings: Settings, tmp_path: Path
) -> None:
    t, config = sftp_setup(settings, tmp_path, sftp)
    acks = Acks()

    async def caller() -> str:  # e.g. a web worker calling the queue directly
        return t.deliver(PAYLOAD, config, SECRET, frozenset(), acks)

    assert asyncio.run(caller()).startswith("3 files uploaded")
    assert acks.names == [f.name for f in FILES]


def test_sftp_key_file_login(settings: Settings, tmp_path: Path) -> None:
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id_ed25519"
    key_file.write_bytes(client_key.export_private_key())
    root = tmp_path / "root"
    root.mkdir()
    with SftpServer(root, authorized=[client_key]) as server:
        t, config = sftp_setup(settings, tmp_path, server)
        config = t.check(config | {"key_file": str(key_file)})
        acks = Acks()
        t.deliver(replace(PAYLOAD, folder=""), config, "", frozenset(), acks)
    assert acks.names == [f.name for f in FILES]
    assert (root / "inbox" / "manifest.json").read_bytes() == FILES[2].data


def test_sftp_wrong_host_key_is_final(sftp: SftpServer, settings: Settings, tmp_path: Path) -> None:
    impostor = asyncssh.generate_private_key("ssh-ed25519")
    t, config = sftp_setup(settings, tmp_path, sftp, sftp.known_hosts_line(impostor))
    with pytest.raises(DeliveryError) as caught:
        t.deliver(PAYLOAD, config, SECRET, frozenset(), Acks())
    assert caught.value.transient is False
    assert "host key" in str(caught.value)
    assert_secret_free(str(caught.value))
    assert not (sftp.root / "inbox").exists()
    # unknown host (an empty known_hosts) is refused the same way
    t, config = sftp_setup(settings, tmp_path, sftp, "")
    with pytest.raises(DeliveryError) as unknown:
        t.deliver(PAYLOAD, config, SECRET, frozenset(), Acks())
    assert unknown.value.transient is False


def test_sftp_wrong_password_is_final(sftp: SftpServer, settings: Settings, tmp_path: Path) -> None:
    t, config = sftp_setup(settings, tmp_path, sftp)
    wrong = "wrong-" + SECRET[::-1]
    with pytest.raises(DeliveryError) as caught:
        t.deliver(PAYLOAD, config, wrong, frozenset(), Acks())
    assert caught.value.transient is False
    assert "refused the login" in str(caught.value)
    assert wrong not in str(caught.value)


def test_sftp_closed_port_is_transient(settings: Settings, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    t = make_transport("sftp", replace(settings, sftp_known_hosts=str(known)))
    config = t.check({"host": "127.0.0.1", "port": free_port(), "user": "u", "path": "in"})
    with pytest.raises(DeliveryError) as caught:
        t.deliver(PAYLOAD, config, SECRET, frozenset(), Acks())
    assert caught.value.transient is True
    assert_secret_free(str(caught.value))


def test_sftp_check_and_missing_known_hosts(settings: Settings, tmp_path: Path) -> None:
    t = make_transport("sftp", replace(settings, sftp_known_hosts=str(tmp_path / "none")))
    config = t.check({"host": "sftp.partner.example", "user": "u", "path": "/in"})
    assert config["port"] == 22
    assert t.describe(config) == "SFTP upload to sftp://u@sftp.partner.example:22/in"
    with pytest.raises(DeliveryError, match="known_hosts") as caught:
        t.deliver(PAYLOAD, config, SECRET, frozenset(), Acks())
    assert caught.value.transient is False
    for bad in ({"user": "u", "path": "/in"}, {"host": "h", "user": "u", "path": "/", "port": 0}):
        with pytest.raises(UsageError):
            t.check(bad)


# -- http ----------------------------------------------------------------------------------


@dataclass
class Posted:
    """One request as the HTTP server saw it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpServer:
    """A threaded loopback HTTP server recording POSTs; `replies` are answered in order
    (status, body, seconds to wait), 200 once they run out."""

    posted: list[Posted] = field(default_factory=list)
    replies: list[tuple[int, bytes, float]] = field(default_factory=list)

    def __enter__(self) -> HttpServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.posted.append(Posted(self.path, headers, body))
                status, text, delay = server.replies.pop(0) if server.replies else (200, b"ok", 0.0)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/ingest"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def http() -> Iterator[HttpServer]:
    with HttpServer() as server:
        yield server


def test_http_posts_signed_files(http: HttpServer, settings: Settings) -> None:
    t = make_transport("http", settings)
    config = t.check({"url": http.url})
    acks = Acks()
    receipt = t.deliver(PAYLOAD, config, SECRET, frozenset(), acks)
    assert receipt == f"3 files posted to {http.url} (last reply 200)"
    assert acks.names == [f.name for f in FILES]
    assert [p.body for p in http.posted] == [f.data for f in FILES]
    first, photo = http.posted[0], http.posted[1]
    expected = hmac.new(SECRET.encode(), first.body, hashlib.sha256).hexdigest()
    assert first.headers["x-hoasen-signature"] == f"sha256={expected}"
    assert sign(SECRET, first.body) == expected
    assert first.headers["idempotency-key"] == "pkg-12-v1/newsml.xml"
    assert first.headers["x-hoasen-file"] == "newsml.xml"
    assert first.headers["content-type"] == FILES[0].media_type
    assert first.headers["user-agent"] == settings.http_user_agent
    assert first.headers["x-partner"] == "gx"
    assert photo.headers["x-hoasen-file"] == "%E1%BA%A3nh 1.jpg"  # UTF-8, percent-encoded
    assert_secret_free(receipt, t.describe(config))


def test_http_without_secret_or_key(http: HttpServer, settings: Settings) -> None:
    t = make_transport("http", settings)
    t.deliver(Payload(files=FILES[:1]), {"url": http.url}, "", frozenset(), Acks())
    [posted] = http.posted
    assert "x-hoasen-signature" not in posted.headers
    assert "idempotency-key" not in posted.headers


def test_http_5xx_transient_then_resume_skipping_done(http: HttpServer, settings: Settings) -> None:
    t = make_transport("http", settings)
    http.replies += [(200, b"ok", 0.0), (503, b"busy", 0.0)]
    acks = Acks()
    with pytest.raises(DeliveryError) as caught:
        t.deliver(PAYLOAD, {"url": http.url}, SECRET, frozenset(), acks)
    assert caught.value.transient is True and "503" in str(caught.value)
    assert acks.names == ["newsml.xml"]
    receipt = t.deliver(PAYLOAD, {"url": http.url}, SECRET, frozenset(acks.names), acks)
    assert acks.names == [f.name for f in FILES]
    assert [p.headers["x-hoasen-file"] for p in http.posted[2:]] == [
        "%E1%BA%A3nh 1.jpg",
        "manifest.json",
    ]
    assert receipt.startswith("2 files posted")


@pytest.mark.parametrize(("status", "transient"), [(429, True), (408, True), (400, False)])
def test_http_status_classes(
    http: HttpServer, settings: Settings, status: int, transient: bool
) -> None:
    reply = b"bad " + SECRET.encode() + b" " + b"x" * 300
    http.replies.append((status, reply, 0.0))
    t = make_transport("http", settings)
    with pytest.raises(DeliveryError) as caught:
        t.deliver(PAYLOAD, {"url": http.url}, SECRET, frozenset(), Acks())
    message = str(caught.value)
    assert caught.value.transient is transient
    assert str(status) in message and "bad ********" in message
    kept = 200 - len(reply) + 300  # the reply's first 200 characters, no more
    assert "x" * kept in message and "x" * (kept + 1) not in message
    assert_secret_free(message)


def test_http_timeout_and_refused_are_transient(http: HttpServer, settings: Settings) -> None:
    http.replies.append((200, b"late", 1.0))
    t = make_transport("http", replace(settings, http_timeout=0.2))
    with pytest.raises(DeliveryError) as slow:
        t.deliver(PAYLOAD, {"url": http.url}, SECRET, frozenset(), Acks())
    assert slow.value.transient is True
    with pytest.raises(DeliveryError) as refused:
        closed = {"url": f"http://127.0.0.1:{free_port()}/x"}
        t.deliver(PAYLOAD, closed, SECRET, frozenset(), Acks())
    assert refused.value.transient is True
    assert_secret_free(str(slow.value), str(refused.value))


def test_http_check(settings: Settings) -> None:
    t = make_transport("http", settings)
    assert t.check({"url": " https://partner.example/in "}) == {"url": "https://partner.example/in"}
    for bad in (
        {},
        {"url": "ftp://partner.example/in"},
        {"url": "https://user:pw@partner.example/in"},
        {"url": "https://partner.example", "secret": SECRET},
    ):
        with pytest.raises(UsageError) as caught:
            t.check(bad)
        assert_secret_free(str(caught.value))
    assert "pw" not in t.describe({"url": "https://user:pw@partner.example/in"})


def test_deliver_with_bad_config_is_final(settings: Settings) -> None:
    for name in TRANSPORT_NAMES:
        t = make_transport(name, settings)
        with pytest.raises(DeliveryError) as caught:
            t.deliver(PAYLOAD, {"nonsense": 1}, SECRET, frozenset(), Acks())
        assert caught.value.transient is False
        assert_secret_free(str(caught.value))


def test_refused_socket_helper() -> None:
    port = free_port()
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))
