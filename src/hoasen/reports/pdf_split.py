"""A long report's PDF in two processes: a second Python process lays out and draws the appendix
(most pages of a monthly report) while this one does the rest, and pikepdf joins the two PDFs.

Why: WeasyPrint runs on one core, and the appendix of a monthly report (~8,500 entries) takes
about half of its layout and drawing time. The appendix starts a page of its own (print CSS), so
the two parts are exactly the pages one rendering makes. Page numbers run on across the parts:
the footer counters of each part are drawn by `PartNumbers`, which learns the other part's page
count once both parts are laid out (WeasyPrint makes the footers after a part's whole layout),
so nothing is laid out twice. Any failure of the second process (it cannot start, dies, errs or
stalls) is a `SplitFailed`, and the caller renders in one process instead.

Run as `python -m hoasen.reports.pdf_split`, this module is that second process: it reads its
job from stdin and answers on stdout, in pickled frames (between this program's own processes).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pikepdf
from weasyprint.css.counters import CounterStyle

from hoasen.reports.html import AppendixBlock

LOG = logging.getLogger(__name__)

SPLIT_MIN_ARTICLES = 3000  # below that (a weekly report), the gain is small for a bigger file
TIMEOUT_S = 300.0  # longest wait for the second process's next answer
PAGE_STYLE, PAGES_STYLE = "hoasen-part-page", "hoasen-part-pages"
PART_CSS = (
    f'@page {{ @bottom-right {{ content: counter(page, {PAGE_STYLE}) " / " '
    f"counter(pages, {PAGES_STYLE}) !important; }} }}"  # a user sheet: !important to win
)
APPENDIX_START = '<section id="appendix">'
CHILD_ARGS = ("-m", "hoasen.reports.pdf_split")  # the second process: this module
_FRAME = struct.Struct(">Q")


class SplitFailed(RuntimeError):
    """The two-process rendering could not be done: render the PDF in one process."""


class PartNumbers(CounterStyle):
    """WeasyPrint's counter styles, plus the two that draw a part's page numbers: its own page
    number plus `offset()` (the pages before this part), and `total()` of its page count (all
    the pages). Both are called first when the part's footers are made, after its layout."""

    def __init__(self, offset: Callable[[], int], total: Callable[[int], int]) -> None:
        super().__init__()
        self._offset = offset
        self._total = total

    def render_value(
        self,
        counter_value: int,
        counter_name: str | None = None,
        counter: Any = None,
        previous_types: Any = None,
    ) -> str:
        """The counter as text; WeasyPrint's own rendering for every other counter style."""
        if counter_name == PAGE_STYLE:
            return str(self._offset() + counter_value)
        if counter_name == PAGES_STYLE:
            return str(self._total(counter_value))
        return str(super().render_value(counter_value, counter_name, counter, previous_types))


def split_page(page: str) -> tuple[str, str] | None:
    """The print page as two pages: everything but the appendix, and the appendix alone (with
    the same head, so the same styles); None when the page has no appendix section."""
    at = page.find(APPENDIX_START)
    body_open = page.find("<body>")
    end = page.rfind("</body>")
    if at < 0 or page.count(APPENDIX_START) != 1 or not 0 <= body_open < at < end:
        return None
    return page[:at] + page[end:], page[: body_open + len("<body>")] + page[at:]


def css_string(text: str) -> str:
    """`text` as a CSS string literal (anything but plain characters escaped)."""
    safe = " /-_.,:()"
    return '"' + "".join(c if c.isalnum() or c in safe else f"\\{ord(c):x} " for c in text) + '"'


def appendix_css(number: str) -> str:
    """The appendix part's own rules: its footers show the report number, which the other part
    sets from the report's header."""
    return PART_CSS + f" @page {{ @bottom-left {{ content: {css_string(number)} !important; }} }}"


def join(body: bytes, appendix: bytes) -> bytes:
    """The two parts as one PDF: the body's pages, metadata, bookmarks and anchors, then the
    appendix's pages with their links, bookmark (top-level in either rendering, see the print
    CSS) and anchor. Written with compressed object streams, as WeasyPrint writes."""
    with pikepdf.open(io.BytesIO(body)) as pdf, pikepdf.open(io.BytesIO(appendix)) as part:
        first = len(pdf.pages)
        pdf.pages.extend(part.pages)

        def moved(dest: Any) -> pikepdf.Array:
            """A destination in the appendix part, pointing at the same place in `pdf`."""
            page = part.pages.index(pikepdf.Page(dest[0]))
            return pikepdf.Array([pdf.pages[first + page].obj, *list(dest)[1:]])

        with pdf.open_outline() as outline, part.open_outline() as part_outline:
            for item in part_outline.root:
                outline.root.append(pikepdf.OutlineItem(item.title, moved(item.destination)))
        if "/Names" in part.Root and "/Dests" in part.Root.Names:
            if "/Names" not in pdf.Root:
                pdf.Root.Names = pikepdf.Dictionary()
            if "/Dests" not in pdf.Root.Names:
                pdf.Root.Names.Dests = pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array()))
            anchors = pikepdf.NameTree(pdf.Root.Names.Dests)
            for name, dest in pikepdf.NameTree(part.Root.Names.Dests).items():
                anchors[name] = moved(dest)
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _write_frame(out: IO[bytes], message: tuple[str, Any]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)) + data)
    out.flush()


def _read_frame(inp: IO[bytes]) -> tuple[str, Any] | None:
    """The next message, or None at the end of the stream."""
    head = inp.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    size = _FRAME.unpack(head)[0]
    data = inp.read(size)
    if len(data) < size:
        return None
    message: tuple[str, Any] = pickle.loads(data)
    return message


class AppendixWorker:
    """The second process, seen from this one: started early (its imports overlap the HTML
    rendering), then given the appendix page; `render` renders the rest here meanwhile."""

    def __init__(self, proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        self.proc = proc
        self.stderr = stderr
        self.messages: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self.appendix_pages: int | None = None
        self.answered = False  # the second process sent its PDF
        self.sender: threading.Thread | None = None
        self.reader = threading.Thread(target=self._read_all, name="pdf-appendix", daemon=True)
        self.reader.start()

    @classmethod
    def start_for(cls, doc: Mapping[str, Any]) -> AppendixWorker | None:
        """A started second process when `doc`'s appendix is long enough to gain from one and
        this machine has a second CPU; None otherwise or when no process can be started."""
        if len(doc.get("articles") or []) < SPLIT_MIN_ARTICLES or _cpus() < 2:
            return None
        if not sys.executable:
            return None
        package_root = str(Path(__file__).resolve().parents[2])  # hoasen's folder's parent
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the worker keeps it, `close` closes it
        try:
            proc = subprocess.Popen(
                [sys.executable, *CHILD_ARGS],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
            )
        except OSError as exc:
            stderr.close()
            LOG.warning("PDF: no second process (%s); rendering in one", exc)
            return None
        return cls(proc, stderr)

    def render(self, page: str, blocks: Sequence[AppendixBlock], number: str) -> bytes:
        """The whole PDF: the appendix from the second process, the rest laid out here at the
        same time, joined."""
        from hoasen.reports.pdf import render_document

        parts = split_page(page)
        if parts is None:
            raise SplitFailed("the page has no appendix section")
        body, appendix = parts
        job = {"page": appendix, "blocks": list(blocks), "css": appendix_css(number)}
        self.sender = threading.Thread(
            target=self._send_quietly, args=(("job", job),), name="pdf-appendix-job", daemon=True
        )
        self.sender.start()
        document = render_document(body, PART_CSS, PartNumbers(lambda: 0, self._total))
        self._total(len(document.pages))  # when no footer asked (the other part waits for it)
        data = document.write_pdf()
        kind, appendix_pdf = self._receive()
        if kind != "pdf":
            raise SplitFailed(f"unexpected answer {kind!r} from the second process")
        self.answered = True
        try:
            return join(bytes(data), appendix_pdf)
        except (pikepdf.PdfError, ValueError, KeyError) as exc:
            raise SplitFailed(f"joining the parts failed: {exc!r}") from exc

    def _total(self, local: int) -> int:
        """All the pages: this part's `local` and the appendix's, told by the second process
        in exchange for this part's count (its page numbers start after these)."""
        if self.appendix_pages is None:
            if self.sender is not None:
                self.sender.join(TIMEOUT_S)
                if self.sender.is_alive():
                    raise SplitFailed("the second process does not read its job")
            self._send(("offset", local))
            kind, value = self._receive()
            if kind != "pages":
                raise SplitFailed(f"unexpected answer {kind!r} from the second process")
            self.appendix_pages = int(value)
        return local + self.appendix_pages

    def _send(self, message: tuple[str, Any]) -> None:
        stdin = self.proc.stdin
        if stdin is None:
            raise SplitFailed("no pipe to the second process")
        try:
            _write_frame(stdin, message)
        except (OSError, ValueError) as exc:
            raise SplitFailed(f"the second process stopped reading ({exc}): {self._why()}") from exc

    def _send_quietly(self, message: tuple[str, Any]) -> None:
        """Send `message` from a thread: a failure shows as the second process's missing
        answer."""
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                _write_frame(self.proc.stdin, message)

    def _receive(self) -> tuple[str, Any]:
        try:
            message = self.messages.get(timeout=TIMEOUT_S)
        except queue.Empty:
            raise SplitFailed(f"no answer from the second process in {TIMEOUT_S:.0f} s") from None
        if message is None:
            raise SplitFailed(f"the second process ended early: {self._stderr_tail()}")
        if message[0] == "error":
            raise SplitFailed(f"the second process failed: {message[1]}")
        return message

    def _read_all(self) -> None:
        """Queue every message of the second process, then None at its end."""
        stdout = self.proc.stdout
        try:
            while stdout is not None and (message := _read_frame(stdout)) is not None:
                self.messages.put(message)
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            pass
        self.messages.put(None)

    def _why(self) -> str:
        """What the second process said before it stopped: its error, else its stderr."""
        self.reader.join(5)
        while True:
            try:
                message = self.messages.get_nowait()
            except queue.Empty:
                return self._stderr_tail()
            if message is not None and message[0] == "error":
                return str(message[1])

    def _stderr_tail(self) -> str:
        try:
            self.proc.wait(timeout=5)
            self.stderr.seek(0)
            text = self.stderr.read().decode("utf-8", "replace").strip()
        except (OSError, subprocess.TimeoutExpired):
            text = ""
        return f"exit status {self.proc.returncode}" + (f": {text[-2000:]}" if text else "")

    def close(self) -> None:
        """Stop the second process if it still runs (after its answer, give it a moment to
        end by itself) and release its pipes."""
        try:
            self.proc.wait(timeout=2 if self.answered else 0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        self.proc.wait()
        self.reader.join(5)
        self.stderr.close()


class _ParentLink:
    """The second process's side of the exchange: this part's page numbers start after the
    other part's pages (told once, when the first footer asks) and it tells its own count."""

    def __init__(self, inp: IO[bytes], out: IO[bytes]) -> None:
        self.inp, self.out = inp, out
        self.before: int | None = None
        self.told = False

    def offset(self) -> int:
        if self.before is None:
            message = _read_frame(self.inp)
            if message is None or message[0] != "offset":
                raise SplitFailed("no page count from the first process")
            self.before = int(message[1])
        return self.before

    def total(self, local: int) -> int:
        before = self.offset()
        self.tell(local)
        return before + local

    def tell(self, local: int) -> None:
        if not self.told:
            _write_frame(self.out, ("pages", local))
            self.told = True


def main(inp: IO[bytes], out: IO[bytes]) -> int:
    """The second process: render the appendix page it is sent, with its links, as a PDF."""
    try:
        message = _read_frame(inp)
        if message is None or message[0] != "job":
            return 2
        job = message[1]
        from hoasen.reports.pdf import add_appendix_links, render_document

        link = _ParentLink(inp, out)
        document = render_document(job["page"], job["css"], PartNumbers(link.offset, link.total))
        link.tell(len(document.pages))  # when no footer asked
        add_appendix_links(document, job["blocks"])
        _write_frame(out, ("pdf", bytes(document.write_pdf())))
    except Exception:  # any failure goes to the first process, which renders alone
        _write_frame(out, ("error", traceback.format_exc(limit=8)))
        return 1
    return 0


if __name__ == "__main__":
    status = main(sys.stdin.buffer, sys.stdout.buffer)
    sys.stdout.flush()
    os._exit(status)  # at once: tearing down the laid-out document only costs time
