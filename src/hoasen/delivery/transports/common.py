"""What every transport shares: payload and config checks, receipt wording, secret scrubbing
and running asyncio code from the queue's synchronous call."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from hoasen.delivery.types import DeliveryError, Payload, PayloadFile, Transport
from hoasen.errors import ConfigError, UsageError

_T = TypeVar("_T")


def plural(n: int, word: str) -> str:
    """The count with the word, plural when needed: 1 file, 3 files."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def scrub(text: str, secret: str) -> str:
    """`text` with the secret masked, in case a server echoed it back."""
    return text.replace(secret, "********") if secret else text


def final_error(message: str) -> DeliveryError:
    """A DeliveryError that retrying cannot fix."""
    return DeliveryError(message, transient=False)


def safe_name(value: str, what: str) -> str:
    """A single path component that cannot climb out of its folder; a final error otherwise."""
    if (
        not value
        or value in {".", ".."}
        or any(c in value for c in "/\\\0")
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise final_error(f"unsafe {what} name {value!r}: one plain name, no folders")
    return value


def check_payload(payload: Payload) -> None:
    """File names (and the folder) are plain, distinct names: checked before anything is sent."""
    if payload.folder:
        safe_name(payload.folder, "folder")
    seen: set[str] = set()
    for f in payload.files:
        safe_name(f.name, "file")
        if f.name in seen:
            raise final_error(f"the payload holds two files named {f.name!r}")
        seen.add(f.name)


def files_left(payload: Payload, done: frozenset[str]) -> list[PayloadFile]:
    """The payload's files an earlier attempt has not delivered, in order."""
    return [f for f in payload.files if f.name not in done]


def earlier(payload: Payload, todo: Sequence[PayloadFile]) -> str:
    """Receipt tail naming the files an earlier attempt delivered (empty when none)."""
    skipped = len(payload.files) - len(todo)
    return f" ({plural(skipped, 'file')} delivered earlier)" if skipped else ""


def nothing_left(payload: Payload) -> str:
    """Receipt of an attempt that found every file already delivered."""
    return f"nothing left to send: all {plural(len(payload.files), 'file')} delivered earlier"


def only_keys(config: Mapping[str, Any], allowed: Sequence[str], transport: str) -> None:
    """UsageError naming any config key the transport does not know (a typo, usually)."""
    unknown = sorted(str(k) for k in config if k not in allowed)
    if unknown:
        raise UsageError(
            f"{transport} transport: unknown setting {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(allowed)})"
        )


def text_setting(
    config: Mapping[str, Any], key: str, transport: str, default: str | None = None
) -> str:
    """A text setting, stripped; its default when empty, else UsageError when required."""
    value = config.get(key, default)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise UsageError(f"{transport} transport: {key!r} is required")
    if not isinstance(value, str):
        raise UsageError(f"{transport} transport: {key!r} must be text, not {value!r}")
    return value.strip()


def checked(transport: Transport, config: Mapping[str, Any]) -> dict[str, Any]:
    """check() at delivery time: a config (or setting) gone bad is a final error, not a crash."""
    try:
        return transport.check(config)
    except (UsageError, ConfigError) as exc:
        raise final_error(str(exc)) from exc


def run_async(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to the end from synchronous code, also when this thread already has a
    running event loop (then in a helper thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value by case-insensitive name ("" when absent)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value).strip()
    return ""
