"""The SFTP transport (asyncssh): each file uploaded as NAME.part, then renamed to NAME; the
server's host key must be in known_hosts."""

from __future__ import annotations

import contextlib
import posixpath
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import asyncssh

from hoasen.delivery.transports.common import (
    check_payload,
    checked,
    earlier,
    files_left,
    final_error,
    nothing_left,
    only_keys,
    plural,
    run_async,
    scrub,
    text_setting,
)
from hoasen.delivery.types import Ack, DeliveryError, Payload, PayloadFile
from hoasen.errors import UsageError
from hoasen.settings import Settings

_FINAL_SSH = (
    asyncssh.HostKeyNotVerifiable,
    asyncssh.PermissionDenied,
    asyncssh.KeyExchangeFailed,
    asyncssh.ProtocolNotSupported,
    asyncssh.IllegalUserName,
    asyncssh.CompressionError,
)
_FINAL_SFTP = (
    asyncssh.SFTPPermissionDenied,
    asyncssh.SFTPNoSuchFile,
    asyncssh.SFTPNoSuchPath,
    asyncssh.SFTPNotADirectory,
    asyncssh.SFTPFileIsADirectory,
    asyncssh.SFTPInvalidFilename,
    asyncssh.SFTPWriteProtect,
    asyncssh.SFTPOpUnsupported,
    asyncssh.SFTPFileAlreadyExists,
)


class SftpTransport:
    """Uploads the files to a folder on an SFTP server (asyncssh): each as NAME.part, then
    renamed to NAME. The server's host key must be in known_hosts; nothing else is trusted."""

    name = "sftp"
    KEYS = ("host", "port", "user", "path", "key_file")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"host", "port" (22), "user", "path" (remote folder), "key_file" (optional)}."""
        only_keys(config, self.KEYS, self.name)
        host = text_setting(config, "host", self.name)
        if any(c.isspace() or c in "/@" for c in host):
            raise UsageError(f"sftp transport: 'host' must be a host name or address, not {host!r}")
        port = config.get("port", 22)
        if isinstance(port, str) and port.strip().isdigit():
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise UsageError(f"sftp transport: 'port' must be between 1 and 65535, not {port!r}")
        return {
            "host": host.strip("[]"),
            "port": port,
            "user": text_setting(config, "user", self.name),
            "path": text_setting(config, "path", self.name),
            "key_file": text_setting(config, "key_file", self.name, ""),
        }

    def describe(self, config: Mapping[str, Any]) -> str:
        """sftp://user@host:port/path."""
        host, port = config.get("host", "?"), config.get("port", 22)
        path = str(config.get("path", ""))
        sep = "" if path.startswith("/") else "/~/"
        return f"SFTP upload to sftp://{config.get('user', '?')}@{host}:{port}{sep}{path}"

    def known_hosts(self) -> Path:
        """The known_hosts file host keys are checked against."""
        return Path(self.settings.sftp_known_hosts.strip() or "~/.ssh/known_hosts").expanduser()

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        """Upload the files not yet done into path/folder, acknowledging each after its rename."""
        cfg = checked(self, config)
        check_payload(payload)
        todo = files_left(payload, done)
        if not todo:
            return nothing_left(payload)
        where = f"{cfg['host']}:{cfg['port']}"
        known = self.known_hosts()
        if not known.is_file():
            raise final_error(
                f"no known_hosts file at {known}: add the host key of {where} to it (check its "
                "fingerprint with the server's operator) or set sftp_known_hosts"
            )
        if cfg["key_file"] and not Path(cfg["key_file"]).expanduser().is_file():
            raise final_error(f"sftp transport: the key file {cfg['key_file']} does not exist")
        remote = posixpath.join(cfg["path"], payload.folder) if payload.folder else cfg["path"]
        try:
            run_async(lambda: self._upload(cfg, secret, known, remote, todo, ack))
        except DeliveryError:
            raise
        except (asyncssh.Error, asyncssh.KeyImportError, OSError) as exc:
            raise _ssh_error(exc, where, cfg["user"], known, secret) from exc
        url = f"sftp://{cfg['user']}@{where}{'' if remote.startswith('/') else '/~/'}{remote}"
        return f"{plural(len(todo), 'file')} uploaded to {url}{earlier(payload, todo)}"

    async def _upload(
        self,
        cfg: Mapping[str, Any],
        secret: str,
        known: Path,
        remote: str,
        todo: Sequence[PayloadFile],
        ack: Ack,
    ) -> None:
        """One SSH connection, one SFTP session: make the folder, then put the files one by one."""
        auth: dict[str, Any] = {"agent_path": None, "gss_host": None}
        if secret:
            auth.update(password=secret, client_keys=None)
        elif cfg["key_file"]:
            auth.update(client_keys=[str(Path(cfg["key_file"]).expanduser())])
        else:
            auth = {"gss_host": None}  # the agent's and ~/.ssh's keys
        timeout = self.settings.http_timeout
        async with (
            asyncssh.connect(
                cfg["host"],
                cfg["port"],
                username=cfg["user"],
                known_hosts=str(known),
                config=None,
                connect_timeout=timeout,
                keepalive_interval=timeout,
                keepalive_count_max=3,
                **auth,
            ) as conn,
            conn.start_sftp_client() as sftp,
        ):
            await sftp.makedirs(remote, exist_ok=True)
            for f in todo:
                final = posixpath.join(remote, f.name)
                part = final + ".part"
                try:
                    async with sftp.open(part, "wb") as fh:
                        await fh.write(f.data)
                    await _rename(sftp, part, final)
                except asyncssh.SFTPError:
                    await _remove_quietly(sftp, part)
                    raise
                ack(f.name)


async def _rename(sftp: asyncssh.SFTPClient, part: str, final: str) -> None:
    """Rename over an existing file: posix-rename when the server has it, else remove+rename."""
    try:
        await sftp.posix_rename(part, final)
    except asyncssh.SFTPOpUnsupported:
        await _remove_quietly(sftp, final)
        await sftp.rename(part, final)


async def _remove_quietly(sftp: asyncssh.SFTPClient, path: str) -> None:
    """Remove a file if it is there; nothing there, or the connection gone, is fine (the next
    attempt overwrites a leftover .part)."""
    with contextlib.suppress(asyncssh.SFTPError, OSError):
        await sftp.remove(path)


def _ssh_error(
    exc: BaseException, where: str, user: str, known: Path, secret: str
) -> DeliveryError:
    """An SSH/SFTP failure in plain words: host keys and logins are final, the network not."""
    reason = getattr(exc, "reason", "") or str(exc) or type(exc).__name__
    transient = True
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        transient = False
        text = (
            f"the host key of {where} is unknown or has changed ({reason}): it does not match "
            f"{known}; check the key with the server's operator before adding it"
        )
    elif isinstance(exc, asyncssh.PermissionDenied):
        transient = False
        text = f"the SFTP server {where} refused the login of {user!r} (wrong password or key)"
    elif isinstance(exc, _FINAL_SSH):
        transient = False
        text = f"cannot talk to the SFTP server {where}: {reason}"
    elif isinstance(exc, asyncssh.ChannelOpenError):
        transient = False
        text = f"the server {where} does not offer SFTP to {user!r}: {reason}"
    elif isinstance(exc, asyncssh.SFTPError):
        transient = not isinstance(exc, _FINAL_SFTP)
        text = f"the SFTP server {where} refused a file operation: {reason}"
    elif isinstance(exc, asyncssh.KeyImportError):
        transient = False
        text = f"cannot use the SSH key file: {reason}"
    elif isinstance(exc, asyncssh.DisconnectError):
        text = f"the SFTP server {where} dropped the connection: {reason}"
    elif isinstance(exc, TimeoutError):
        text = f"the SFTP server {where} did not answer in time"
    elif isinstance(exc, ConnectionRefusedError):
        text = f"the SFTP server {where} refused the connection"
    elif isinstance(exc, socket.gaierror):
        text = f"cannot find the SFTP server {where}: {exc.strerror or exc}"
    else:
        strerror = exc.strerror if isinstance(exc, OSError) else None
        text = f"cannot reach the SFTP server {where}: {strerror or reason}"
    return DeliveryError(scrub(text, secret), transient=transient)
