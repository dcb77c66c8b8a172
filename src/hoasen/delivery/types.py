"""What a delivery carries and where it goes: a payload of named files, a target (transport +
settings + the name of its secret) and the transport interface every way out implements."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hoasen.errors import HoasenError


@dataclass(frozen=True)
class PayloadFile:
    """One file of a payload: its name (no folders), media type and bytes."""

    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class Payload:
    """What is delivered: files plus the words that go with them.

    `folder` names the sub-folder folder/SFTP transports write into (e.g. a package's
    "guangxi-daily-00012"); `subject` and `text` are an e-mail's subject and body.
    """

    files: tuple[PayloadFile, ...]
    subject: str = ""
    text: str = ""
    folder: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Bytes of all files together."""
        return sum(len(f.data) for f in self.files)

    @property
    def checksum(self) -> str:
        """sha256 over every file's name and bytes, in order: the same payload, the same sum."""
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(f.name.encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(f.data).digest())
        return "sha256:" + digest.hexdigest()


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: a transport name, its settings (never a secret) and the name of
    the secret (in `exchange_secrets`) it needs, if any."""

    transport: str
    config: Mapping[str, Any]
    secret: str = ""


class DeliveryError(HoasenError):
    """A delivery attempt failed; `transient` errors (a timeout, a 5xx, a refused connection)
    are retried with backoff, the others (a 4xx, a bad login, an unknown host key) are final."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


Ack = Callable[[str], None]


class Transport(Protocol):
    """One way out. `deliver` sends the payload's files except those named in `done` (a
    previous attempt's acknowledged files), calls `ack(name)` after each file the far side
    accepted, and returns a receipt in words (a message id, a remote folder, a reply)."""

    name: str

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The config, normalised; UsageError naming what is wrong or missing."""
        ...

    def describe(self, config: Mapping[str, Any]) -> str:
        """Where it goes, in words, with no secret in it."""
        ...

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        """Send; raise DeliveryError on failure."""
        ...
