"""Loopback fakes of the translation APIs hoasen talks to (LibreTranslate, DeepL, an
OpenAI-compatible server), following each one's documented requests, replies and errors. Each
runs a real HTTP server on 127.0.0.1 in a thread and records what it received, so tests can
check the request shape (auth header, glossary_id, q as a list...).

Their "translation" is a visible stand-in: "[en] 你好" for LibreTranslate, glossary entries
applied then "EN:" in front for DeepL and the chat fake.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None
    query: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Answer:
    """What the fake answers."""

    status: int = 200
    body: Any = None  # JSON-able
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeServer:
    """`with FakeServer(handler) as srv: srv.url` — every request goes to `handler`."""

    def __init__(self, handler: Callable[[Request], Answer]) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.failures: list[Answer] = []  # answered first, one per request, before the handler
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def paths(self, method: str | None = None) -> list[str]:
        """Paths requested so far (of one method)."""
        return [r.path for r in self.requests if method is None or r.method == method]

    def _answer(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
            if self.failures:
                return self.failures.pop(0)
        return self.handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    parse_qs(parts.query),
                )
                answer = server._answer(request)
                if answer.delay:
                    time.sleep(answer.delay)
                data = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = _handle
            do_POST = _handle
            do_DELETE = _handle

        return Handler


# ----------------------------------------------------------------------------- LibreTranslate

LIBRE_LANGUAGES = [
    {"code": "en", "name": "English", "targets": ["vi", "zh-Hans", "ja"]},
    {"code": "vi", "name": "Vietnamese", "targets": ["en"]},
    {"code": "zh-Hans", "name": "Chinese", "targets": ["en"]},
    {"code": "ja", "name": "Japanese", "targets": ["en"]},
]


def libretranslate(api_key: str = "") -> Callable[[Request], Answer]:
    """LibreTranslate's /languages and /translate (q as a string or a list)."""
    codes = {lang["code"]: set(lang["targets"]) for lang in LIBRE_LANGUAGES}

    def handle(req: Request) -> Answer:
        if req.method == "GET" and req.path == "/languages":
            return Answer(body=LIBRE_LANGUAGES)
        if req.method != "POST" or req.path != "/translate":
            return Answer(404, {"error": "Not Found"})
        body = req.body or {}
        if api_key and body.get("api_key") != api_key:
            return Answer(403, {"error": "Invalid API key"})
        q, source, target = body.get("q"), body.get("source"), body.get("target")
        if q is None:
            return Answer(400, {"error": "Invalid request: missing q parameter"})
        if source not in codes:
            return Answer(400, {"error": f"{source} is not supported"})
        if target not in codes[source]:
            return Answer(400, {"error": f"{target} is not supported"})
        if isinstance(q, list):
            return Answer(body={"translatedText": [f"[{target}] {t}" for t in q]})
        return Answer(body={"translatedText": f"[{target}] {q}"})

    return handle


# -------------------------------------------------------------------------------------- DeepL


@dataclass
class DeepLState:
    """What the DeepL fake holds: its glossaries and whether the quota is used up."""

    key: str = "good-key:fx"
    quota_exceeded: bool = False
    glossaries: dict[str, dict[str, Any]] = field(default_factory=dict)


def deepl(state: DeepLState) -> Callable[[Request], Answer]:
    """DeepL v2 /v2/translate and v3 /v3/glossaries."""

    def handle(req: Request) -> Answer:
        if req.headers.get("authorization") != f"DeepL-Auth-Key {state.key}":
            return Answer(403, {"message": "Forbidden"})
        if state.quota_exceeded:
            return Answer(456, {"message": "Quota Exceeded"})
        body = req.body or {}
        if req.path == "/v3/glossaries" and req.method == "GET":
            return Answer(body={"glossaries": [_public(g) for g in state.glossaries.values()]})
        if req.path == "/v3/glossaries" and req.method == "POST":
            gid = str(uuid.uuid4())
            dictionaries = body.get("dictionaries") or []
            for d in dictionaries:
                if d.get("entries_format") != "tsv":
                    return Answer(400, {"message": "Bad request: entries_format"})
            state.glossaries[gid] = {
                "glossary_id": gid,
                "name": body["name"],
                "dicts": dictionaries,
            }
            return Answer(201, _public(state.glossaries[gid]))
        if req.path == "/v2/translate" and req.method == "POST":
            texts, target = body.get("text"), str(body.get("target_lang", ""))
            if not isinstance(texts, list) or not target:
                return Answer(
                    400, {"message": "Bad request. Reason: Parameter 'text' not specified"}
                )
            if target in ("EN", "PT"):
                return Answer(400, {"message": "Value for 'target_lang' not supported."})
            entries: list[tuple[str, str]] = []
            if body.get("glossary_id"):
                glossary = state.glossaries.get(body["glossary_id"])
                if glossary is None or not body.get("source_lang"):
                    return Answer(400, {"message": "Invalid glossary_id"})
                for d in glossary["dicts"]:
                    entries += [tuple(line.split("\t")) for line in d["entries"].splitlines()]
            out = []
            for t in texts:
                for src, tgt in entries:
                    t = t.replace(src, tgt)
                out.append(
                    {
                        "detected_source_language": body.get("source_lang") or "ZH",
                        "text": f"{target}: {t}",
                    }
                )
            return Answer(body={"translations": out})
        return Answer(404, {"message": "Not found"})

    return handle


def _public(g: dict[str, Any]) -> dict[str, Any]:
    return {
        "glossary_id": g["glossary_id"],
        "name": g["name"],
        "dictionaries": [
            {
                "source_lang": d["source_lang"],
                "target_lang": d["target_lang"],
                "entry_count": len(d["entries"].splitlines()),
            }
            for d in g["dicts"]
        ],
        "creation_time": "2026-01-01T00:00:00.000Z",
    }


# ------------------------------------------------------------------ OpenAI chat completions

_LINE = re.compile(r"^\[(\d+)\] (.*)$")
_TERM = re.compile(r"^- (.+?) → (.+?)(?: \(never: .*\))?$")


def chat(
    style: str = "brackets", api_key: str = "", model: str = "test-model"
) -> Callable[[Request], Answer]:
    """POST /v1/chat/completions. The reply applies the glossary lines of the system prompt and
    answers in a numbering `style`: brackets "[1] x", dots "1. x", think (a thought block then
    "1) x"), plain (one line each, no numbers) or short (one line missing)."""

    def handle(req: Request) -> Answer:
        if req.path != "/v1/chat/completions" or req.method != "POST":
            return Answer(404, {"error": {"message": "not found"}})
        if api_key and req.headers.get("authorization") != f"Bearer {api_key}":
            return Answer(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                    }
                },
            )
        body = req.body or {}
        if body.get("model") != model:
            return Answer(404, {"error": {"message": f"model '{body.get('model')}' not found"}})
        system = next(m["content"] for m in body["messages"] if m["role"] == "system")
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        terms = [m.groups() for line in system.splitlines() if (m := _TERM.match(line))]
        items = []
        for line in user.split("\n"):
            m = _LINE.match(line)
            if m:
                items.append([m.group(1), m.group(2)])
            elif items:
                items[-1][1] += "\n" + line
        outs = []
        for number, text in items:
            for src, tgt in terms:
                text = text.replace(src, tgt)
            outs.append((number, "EN: " + text.replace("\n", " / ")))
        if style == "dots":
            content = "\n".join(f"{n}. {t}" for n, t in outs)
        elif style == "think":
            content = "<think>\nLet me translate.\n</think>\n" + "\n".join(
                f"{n}) {t}" for n, t in outs
            )
        elif style == "plain":
            content = "\n".join(t for _, t in outs)
        elif style == "short" and len(outs) > 1:
            content = "\n".join(f"[{n}] {t}" for n, t in outs[:-1])
        else:
            content = "\n".join(f"[{n}] {t}" for n, t in outs)
        return Answer(
            body={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    return handle
