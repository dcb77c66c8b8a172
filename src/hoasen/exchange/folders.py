"""Watched folders of inbound exchange plans: read the new partner documents, receive them
through the inbox (ingest + ledger), and move each file to `processed/` or `refused/` (with
`NAME.reason.txt`) so nothing is read twice or lost; files still being written wait."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hoasen.errors import UsageError
from hoasen.exchange.receive import SETTLE_SECONDS, ExchangeInbox, InboundPlan, ReceivedDocument
from hoasen.models import IngestReport
from hoasen.store.partners import PartnerRow

log = logging.getLogger(__name__)

FOLDER_BATCH = 50  # most files of a folder held in memory and ingested at once
DOCUMENT_SUFFIXES = (".json", ".xml", ".atom", ".rss")
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart", ".swp", "~")
PROCESSED_DIR, REFUSED_DIR = "processed", "refused"
REASON_SUFFIX = ".reason.txt"


@dataclass
class FolderFile:
    """One file of a watched folder: received, refused, or left to wait."""

    name: str
    status: str  # received / refused / waiting
    moved_to: str = ""
    reason: str = ""
    ledger_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """`{"name", "status", "moved_to", "reason", "ledger_id"}`."""
        return dict(self.__dict__)


@dataclass
class FolderPoll:
    """One poll of one plan's watched folder."""

    plan: InboundPlan
    partner: str
    folder: Path
    files: list[FolderFile] = field(default_factory=list)
    ingest: IngestReport = field(default_factory=IngestReport)
    error: str = ""

    def count(self, status: str) -> int:
        """How many files ended with this status."""
        return sum(1 for f in self.files if f.status == status)

    def as_json(self) -> dict[str, Any]:
        """The poll's outcome for `hoasen exchange receive --json`."""
        return {
            "plan": self.plan.name,
            "partner": self.partner,
            "folder": str(self.folder),
            "received": self.count("received"),
            "refused": self.count("refused"),
            "waiting": self.count("waiting"),
            "ingested": self.ingest.ingested,
            "duplicates": self.ingest.duplicates,
            "error": self.error,
            "files": [f.as_json() for f in self.files],
        }


def is_partial(path: Path) -> bool:
    """True for names of files still being written (`.part`, `.tmp`...) or editors' backups."""
    return path.name.lower().endswith(PARTIAL_SUFFIXES)


def _unique(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/STEM.N.SUFFIX` when that is taken."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists() or target.is_symlink():
        target = folder / f"{stem}.{n}{suffix}"
        n += 1
    return target


class FolderWatcher:
    """The watched folders of one inbox's inbound plans."""

    def __init__(self, inbox: ExchangeInbox) -> None:
        self.inbox = inbox

    def folder_of(self, plan: InboundPlan) -> Path:
        """A folder plan's watched folder: `transport_config.path` (relative paths under
        `exchange_dir`), by default `exchange_dir/inbox/PARTNER-SLUG`."""
        base = Path(self.inbox.desk.settings.exchange_dir).expanduser()
        path = plan.config.get("path")
        if isinstance(path, str) and path.strip():
            folder = Path(path.strip()).expanduser()
            return folder if folder.is_absolute() else base / folder
        return base / "inbox" / self.inbox.partner(plan.partner_id).slug

    def poll_folders(
        self, plan_name: str | None = None, operator: str = "", settle: float = SETTLE_SECONDS
    ) -> list[FolderPoll]:
        """Poll every active inbound folder plan (or the one named, active or not)."""
        if plan_name is None:
            plans = self.inbox.plans(transport="folder")
        else:
            plan = self.inbox.plan(plan_name)
            if plan.transport != "folder":
                raise UsageError(
                    f"plan {plan_name!r} receives by {plan.transport}, not from a watched folder"
                )
            plans = [plan]
        return [self.poll_folder(p, operator=operator, settle=settle) for p in plans]

    def poll_folder(
        self, plan: InboundPlan, operator: str = "", settle: float = SETTLE_SECONDS
    ) -> FolderPoll:
        """Receive the new files of one plan's watched folder and move each away.

        Files modified less than `settle` seconds ago and `.part`/`.tmp` names are left for
        the next poll; dot files (rsync's temporaries) and subfolders are not looked at.
        Anything else is read and moved: to `processed/` when it was received, to `refused/`
        (with `NAME.reason.txt`) when it was refused, unreadable, too large, not a document,
        or a symbolic link (never followed).
        """
        partner = self.inbox.partner(plan.partner_id)
        folder = self.folder_of(plan)
        poll = FolderPoll(plan, partner.slug, folder)
        if not folder.is_dir():
            poll.error = f"the watched folder {folder} does not exist"
            log.warning("plan %s: %s", plan.name, poll.error)
            return poll
        limit = self.inbox.desk.settings.web_upload_max_mb * 1_000_000
        now = time.time()
        ready: list[tuple[float, str, Path]] = []
        for path in folder.iterdir():
            if path.name.startswith(".") or (path.is_dir() and not path.is_symlink()):
                continue  # dot files (rsync's temporaries, .DS_Store) and our own subfolders
            if is_partial(path):
                poll.files.append(FolderFile(path.name, "waiting", reason="being written"))
                continue
            try:
                mtime = path.lstat().st_mtime
            except OSError:
                continue  # gone meanwhile
            if now - mtime < settle:
                poll.files.append(FolderFile(path.name, "waiting", reason="recently modified"))
                continue
            ready.append((mtime, path.name, path))
        ready.sort()
        batch: list[tuple[str, bytes]] = []
        for number, (_, _, path) in enumerate(ready, start=1):
            reason, data = self._check_file(path, limit)
            if reason:
                doc = self.inbox.refuse(partner, str(path), data, reason, "folder", operator, plan)
                poll.files.append(self._move(path, folder, doc, reason))
            else:
                batch.append((str(path), data))
            held = sum(len(d) for _, d in batch)
            if batch and (len(batch) >= FOLDER_BATCH or held >= limit or number == len(ready)):
                self._receive_batch(poll, partner, batch, operator)
                batch = []
        return poll

    def _check_file(self, path: Path, limit: int) -> tuple[str, bytes]:
        """(reason to refuse the file, or "", its bytes when it is to be read)."""
        if path.is_symlink():
            return "a symbolic link: links are never followed", b""
        if not path.is_file():
            return "not a regular file", b""
        if path.suffix.lower() not in DOCUMENT_SUFFIXES:
            return f"not an exchange document (expected {', '.join(DOCUMENT_SUFFIXES)})", b""
        try:
            size = path.stat().st_size
            if size > limit:
                return f"too large: {size} bytes, at most {limit // 1_000_000} MB", b""
            return "", path.read_bytes()
        except OSError as exc:
            return f"cannot read: {exc.strerror or exc}", b""

    def _receive_batch(
        self, poll: FolderPoll, partner: PartnerRow, batch: list[tuple[str, bytes]], operator: str
    ) -> None:
        report = self.inbox.receive(partner, batch, "folder", operator, poll.plan)
        poll.ingest.merge(report.ingest)
        for (origin, _), doc in zip(batch, report.documents, strict=True):
            poll.files.append(self._move(Path(origin), poll.folder, doc, doc.error))

    def _move(self, path: Path, folder: Path, doc: ReceivedDocument, reason: str) -> FolderFile:
        """Move a read file to processed/ or refused/ (with its reason beside it)."""
        refused = doc.status != "received"
        target_dir = folder / (REFUSED_DIR if refused else PROCESSED_DIR)
        entry = FolderFile(path.name, doc.status, reason=reason if refused else "")
        entry.ledger_id = doc.ledger_id
        try:
            target_dir.mkdir(exist_ok=True)
            target = _unique(target_dir, path.name)
            path.rename(target)
            if refused:
                note = target.with_name(target.name + REASON_SUFFIX)
                note.write_text(
                    f"{reason}\n\nledger entry {doc.ledger_id}, {doc.received.isoformat()}\n",
                    encoding="utf-8",
                )
        except OSError as exc:
            entry.reason = f"{entry.reason} (could not move it: {exc.strerror or exc})".strip()
            log.error("plan folder %s: cannot move %s: %s", folder, path.name, exc)
            return entry
        entry.moved_to = str(target.relative_to(folder))
        return entry
