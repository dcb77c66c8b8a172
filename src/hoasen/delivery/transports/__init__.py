"""The ways out a delivery can take: a folder, e-mail, SFTP and HTTP push, each implementing
`Transport` (check, describe, deliver). `make_transport(name, settings)` picks one.

Every transport skips the files named in `done`, acknowledges each file the far side accepted
and raises `DeliveryError` (transient or final) in plain words, never with a secret in it.
"""

from __future__ import annotations

from collections.abc import Callable

from hoasen.delivery.transports.email import EmailTransport
from hoasen.delivery.transports.folder import FolderTransport
from hoasen.delivery.transports.http import HttpTransport, sign
from hoasen.delivery.transports.sftp import SftpTransport
from hoasen.delivery.types import Transport
from hoasen.errors import UsageError
from hoasen.settings import Settings

TRANSPORT_NAMES = ("folder", "email", "sftp", "http")

_TRANSPORTS: dict[str, Callable[[Settings], Transport]] = {
    "folder": FolderTransport,
    "email": EmailTransport,
    "sftp": SftpTransport,
    "http": HttpTransport,
}


def make_transport(name: str, settings: Settings) -> Transport:
    """The transport called `name` (one of TRANSPORT_NAMES); UsageError for any other."""
    factory = _TRANSPORTS.get(str(name).strip().lower())
    if factory is None:
        raise UsageError(
            f"unknown transport {name!r}: choose {', '.join(TRANSPORT_NAMES[:-1])} "
            f"or {TRANSPORT_NAMES[-1]}"
        )
    return factory(settings)


__all__ = [
    "TRANSPORT_NAMES",
    "EmailTransport",
    "FolderTransport",
    "HttpTransport",
    "SftpTransport",
    "make_transport",
    "sign",
]
