"""Local files and folders -> `RawInput` items (gzip unpacked), with a plain reason for each file
that cannot be read. The walk never stops on a bad file."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from hoasen.errors import InputRejected
from hoasen.models import ItemError, RawInput

MAX_UNPACKED_BYTES = 512_000_000  # a .gz that unpacks to more than this is refused (gzip bomb)
_CHUNK = 1 << 20


def iter_paths(paths: Sequence[Path]) -> Iterator[RawInput | ItemError]:
    """Every file under `paths` (folders recursively, sorted, hidden names skipped) as a RawInput,
    or an ItemError saying why it was not read."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from _walk(path)
        elif path.exists() or path.is_symlink():
            yield _read(path)
        else:
            yield ItemError(str(path), "file or folder not found")


def _walk(folder: Path) -> Iterator[RawInput | ItemError]:
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        yield ItemError(str(folder), f"cannot read folder: {_os_reason(exc)}")
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if child.is_symlink():
                continue  # never follow folder links: they can loop
            yield from _walk(child)
        else:
            yield _read(child)


def _read(path: Path) -> RawInput | ItemError:
    """One file -> RawInput, or the reason it cannot be used."""
    from hoasen.ingest.formats import detect_format

    origin = str(path)
    if not path.exists():
        return ItemError(origin, "broken link: the file it points to does not exist")
    if not path.is_file():
        return ItemError(origin, "not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ItemError(origin, f"cannot read file: {_os_reason(exc)}")
    name = path.name
    if name.lower().endswith(".gz"):
        try:
            data = _gunzip(data)
        except InputRejected as exc:
            return ItemError(origin, exc.reason)
        name = name[:-3]
    if not data.strip():
        return ItemError(origin, "empty file")
    try:
        fmt = detect_format(name, None, data)
    except InputRejected as exc:
        return ItemError(origin, exc.reason)
    return RawInput(origin=origin, data=data, fmt=fmt)


def _gunzip(data: bytes) -> bytes:
    """Unpack gzip bytes; InputRejected('damaged gzip file: ...') when truncated or corrupt."""
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while chunk := stream.read(_CHUNK):
                out.extend(chunk)
                if len(out) > MAX_UNPACKED_BYTES:
                    raise InputRejected(
                        f"gzip file unpacks to more than {MAX_UNPACKED_BYTES // 1_000_000} MB"
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise InputRejected(f"damaged gzip file: {exc}") from exc
    return bytes(out)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)
