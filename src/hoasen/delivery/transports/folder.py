"""The folder transport: files written into a local or mounted folder (the exchange outbox)."""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hoasen.delivery.transports.common import (
    check_payload,
    checked,
    earlier,
    files_left,
    nothing_left,
    only_keys,
    plural,
    text_setting,
)
from hoasen.delivery.types import Ack, DeliveryError, Payload
from hoasen.settings import Settings

_FINAL_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.EINVAL,
    }
)


class FolderTransport:
    """Writes the files into a local (or mounted) folder, each under a temporary name first
    and then renamed, so a reader never sees half a file."""

    name = "folder"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"path": folder}; the path defaults to exchange_dir."""
        only_keys(config, ("path",), self.name)
        return {"path": text_setting(config, "path", self.name, self.settings.exchange_dir)}

    def describe(self, config: Mapping[str, Any]) -> str:
        """The folder, absolute."""
        path = str(config.get("path") or self.settings.exchange_dir)
        return f"files into the folder {Path(path).expanduser().absolute()}"

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        """Write every file not yet done into path/folder; identical bytes already there count."""
        cfg = checked(self, config)
        check_payload(payload)
        folder = Path(cfg["path"]).expanduser().absolute()
        if payload.folder:
            folder = folder / payload.folder
        todo = files_left(payload, done)
        if not todo:
            return nothing_left(payload)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, f"cannot create the folder {folder}") from exc
        for f in todo:
            target = folder / f.name
            try:
                if not _same_bytes(target, f.data):
                    _write_atomic(target, f.data)
            except OSError as exc:
                raise _os_error(exc, f"cannot write {target}") from exc
            ack(f.name)
        return f"{plural(len(todo), 'file')} in {folder}{earlier(payload, todo)}"


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if not path.is_file() or path.stat().st_size != len(data):
            return False
    except FileNotFoundError:
        return False
    return path.read_bytes() == data


def _write_atomic(target: Path, data: bytes) -> None:
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        with open(temp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _os_error(exc: OSError, what: str) -> DeliveryError:
    """A file-system failure: permissions and bad paths are final, a full disk is transient."""
    return DeliveryError(f"{what}: {exc.strerror or exc}", transient=exc.errno not in _FINAL_ERRNOS)
