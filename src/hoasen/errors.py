"""Domain errors. The CLI and web layers map these to exit codes and HTTP errors."""

from __future__ import annotations


class HoasenError(Exception):
    """Base of every error hoasen reports to a user in plain words."""

    exit_code = 1


class ConfigError(HoasenError):
    """A setting or config file is invalid."""

    exit_code = 2


class UsageError(HoasenError):
    """The user asked for something that cannot be done as asked (bad argument, unknown name)."""

    exit_code = 2


class NotFoundError(HoasenError):
    """A named thing (source, article) does not exist."""

    exit_code = 3


class StoreError(HoasenError):
    """The database cannot be reached or is in a bad state."""

    exit_code = 4


class InputRejected(HoasenError):
    """One input item was refused; `reason` says why in plain words. The batch goes on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchError(InputRejected):
    """A network fetch failed or was refused (timeout, 404, private address, too large...)."""
