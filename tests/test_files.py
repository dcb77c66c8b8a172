"""iter_paths: folders walked in order, gzip unpacked, every bad file reported with a reason."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from hoasen.ingest.files import iter_paths
from hoasen.models import ItemError, RawInput

HTML = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>Hello world.</p></body></html>"
TEXT = "Tin tức hôm nay\n\nThành phố khai trương cây cầu mới.\n".encode()
JSON = b'{"title": "A", "text": "Body text."}'


def by_name(items: list[RawInput | ItemError]) -> dict[str, RawInput | ItemError]:
    return {Path(i.origin if isinstance(i, RawInput) else i.input).name: i for i in items}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden_dir").mkdir()
    (root / "b.html").write_bytes(HTML)
    (root / "a.txt").write_bytes(TEXT)
    (root / "sub" / "c.json").write_bytes(JSON)
    (root / "sub" / "deeper" / "d.html.gz").write_bytes(gzip.compress(HTML))
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_bytes(b"  \n\t\n")
    (root / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (root / "blob").write_bytes(bytes(range(256)) * 8)
    (root / "cut.txt.gz").write_bytes(gzip.compress(TEXT * 50)[:-20])
    (root / "notgzip.html.gz").write_bytes(b"plain bytes, not gzip")
    (root / ".secret.txt").write_bytes(TEXT)
    (root / ".hidden_dir" / "x.html").write_bytes(HTML)
    return root


def test_walk_order_and_formats(folder: Path) -> None:
    items = list(iter_paths([folder]))
    origins = [i.origin if isinstance(i, RawInput) else i.input for i in items]
    # Sorted by name at each level, folders walked where they sort, hidden names skipped.
    assert origins == [
        str(folder / n)
        for n in (
            "a.txt",
            "b.html",
            "blank.txt",
            "blob",
            "cut.txt.gz",
            "empty.txt",
            "notgzip.html.gz",
            "photo.png",
            "sub/c.json",
            "sub/deeper/d.html.gz",
        )
    ]
    found = by_name(items)
    assert isinstance(found["a.txt"], RawInput) and found["a.txt"].fmt == "txt"
    assert found["a.txt"].data == TEXT
    assert isinstance(found["b.html"], RawInput) and found["b.html"].fmt == "html"
    assert isinstance(found["c.json"], RawInput) and found["c.json"].fmt == "json"


def test_hidden_files_and_folders_skipped(folder: Path) -> None:
    origins = [i.origin if isinstance(i, RawInput) else i.input for i in iter_paths([folder])]
    assert not any("/." in o for o in origins)


def test_gzip_of_html_is_unpacked(folder: Path) -> None:
    item = by_name(list(iter_paths([folder])))["d.html.gz"]
    assert isinstance(item, RawInput)
    assert item.fmt == "html"
    assert item.data == HTML
    assert item.origin == str(folder / "sub" / "deeper" / "d.html.gz")


def test_truncated_and_fake_gzip(folder: Path) -> None:
    found = by_name(list(iter_paths([folder])))
    for name in ("cut.txt.gz", "notgzip.html.gz"):
        item = found[name]
        assert isinstance(item, ItemError), name
        assert item.reason.startswith("damaged gzip file: "), item.reason


def test_empty_and_binary_files(folder: Path) -> None:
    found = by_name(list(iter_paths([folder])))
    assert found["empty.txt"] == ItemError(str(folder / "empty.txt"), "empty file")
    assert found["blank.txt"] == ItemError(str(folder / "blank.txt"), "empty file")
    for name in ("photo.png", "blob"):
        item = found[name]
        assert isinstance(item, ItemError), name
        assert "unsupported" in item.reason


def test_missing_path_does_not_stop_the_walk(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_bytes(TEXT)
    items = list(iter_paths([tmp_path / "nope.txt", good]))
    assert items[0] == ItemError(str(tmp_path / "nope.txt"), "file or folder not found")
    assert isinstance(items[1], RawInput)


def test_explicit_hidden_file_is_read(tmp_path: Path) -> None:
    hidden = tmp_path / ".note.txt"
    hidden.write_bytes(TEXT)
    (item,) = iter_paths([hidden])
    assert isinstance(item, RawInput)


def test_broken_link_and_special_file(tmp_path: Path) -> None:
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    found = by_name(list(iter_paths([tmp_path])))
    assert found["dangling.txt"] == ItemError(
        str(tmp_path / "dangling.txt"), "broken link: the file it points to does not exist"
    )
    assert found["pipe.txt"] == ItemError(str(tmp_path / "pipe.txt"), "not a regular file")


def test_folder_link_loop_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(TEXT)
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    items = list(iter_paths([tmp_path]))
    assert [i.origin for i in items if isinstance(i, RawInput)] == [str(tmp_path / "a.txt")]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_bytes(TEXT)
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":  # chmod 0 does not stop root, so refuse here
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    (tmp_path / "fine.txt").write_bytes(TEXT)
    fine, locked_item = iter_paths([tmp_path])
    assert locked_item == ItemError(str(locked), "cannot read file: permission denied")
    assert isinstance(fine, RawInput)
