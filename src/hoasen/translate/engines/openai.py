"""An OpenAI-compatible chat completions server as a translation engine: a local Ollama, vLLM
or llama.cpp server (or any service speaking POST /v1/chat/completions).

Segments go numbered ("[1] ...") in one user message; the system prompt says what to do and
lists the glossary entries that occur in the batch as "source → target". The reply is read back
by number, tolerating "1.", "1)", "**1.**", a leading thought block or a code fence; when the
count does not match, each segment is asked for alone. The glossary is still enforced and
checked after the engine (models do not always obey). Errors: 401/403 bad key, 404 unknown
model, 429 rate limited, 5xx server errors, timeouts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from hoasen.errors import UsageError
from hoasen.translate.engines.base import (
    EngineError,
    batches,
    language_name,
    translate_nonblank,
)
from hoasen.translate.engines.http import ApiClient, RetryPolicy, common_error, error_text
from hoasen.translate.types import Glossary

if TYPE_CHECKING:
    from hoasen.settings import Settings

BATCH = 12
BATCH_CHARS = 4000
_NUMBERED = re.compile(
    r"^\s*(?:[-*]\s*)?(?:\[(\d+)\]|\*\*(\d+)[.):]?\*\*|(\d+)\s*[.):：、])\s*(.*)$", re.DOTALL
)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^```[\w-]*\s*$", re.MULTILINE)


def chat_url(base_url: str) -> tuple[str, str]:
    """(base, path) for chat completions: "http://h:11434/v1" and "http://h:11434" both work."""
    base = base_url.strip().rstrip("/")
    if base.endswith("/chat/completions"):
        base = base[: -len("/chat/completions")]
    if base.endswith("/v1"):
        return base, "/chat/completions"
    return base, "/v1/chat/completions"


def system_prompt(source: str, target: str, glossary: Glossary | None, texts: Sequence[str]) -> str:
    """The instructions, with the glossary entries found in `texts`."""
    src, tgt = language_name(source), language_name(target)
    lines = [
        f"You are a professional news translator. Translate from {src} into {tgt}.",
        'The user sends numbered segments, one per line, like "[1] text". Answer with the '
        f"{tgt} translations only: one line per segment, in the same order, each starting with "
        "its number in square brackets. Do not merge, split, skip, explain or comment.",
        "Keep numbers, dates, placeholder tokens (such as ⟦1⟧, {{T1}} or <x1/>) and markup "
        "exactly as they are.",
    ]
    terms = glossary_lines(glossary, texts)
    if terms:
        lines.append("Always translate these names and terms exactly as given (source → target):")
        lines += terms
    return "\n".join(lines)


def glossary_lines(glossary: Glossary | None, texts: Sequence[str]) -> list[str]:
    """'- 孙业礼 → Sun Yeli (never: Sun Yili)' for each entry whose source name occurs in texts."""
    if glossary is None:
        return []
    joined = "\n".join(texts)
    out: list[str] = []
    for entry in glossary.entries:
        found = [s for s in entry.sources if s and s in joined]
        if not found:
            continue
        never = f" (never: {', '.join(entry.forbidden)})" if entry.forbidden else ""
        out.append(f"- {found[0]} → {entry.target}{never}")
    return out


def parse_reply(content: str, count: int) -> list[str] | None:
    """The `count` translations in a reply, or None when they cannot be told apart."""
    text = _FENCE.sub("", _THINK.sub("", content)).strip()
    if count == 1:
        m = _NUMBERED.match(text)
        if m and (m.group(1) or m.group(2) or m.group(3)) == "1":
            text = m.group(4)
        return [text.strip()] if text.strip() else None
    numbered: dict[int, str] = {}
    current: int | None = None
    plain: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _NUMBERED.match(line)
        if m:
            current = int(m.group(1) or m.group(2) or m.group(3))
            numbered[current] = m.group(4).strip()
            plain.append(m.group(4).strip())
        elif current is not None:
            numbered[current] = f"{numbered[current]} {line.strip()}".strip()
        else:
            plain.append(line.strip())
    if sorted(numbered) == list(range(1, count + 1)):
        return [numbered[i] for i in range(1, count + 1)]
    if not numbered and len(plain) == count:
        return plain
    return None


class OpenAIEngine:
    """Machine translation through an OpenAI-compatible chat completions API."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        user_agent: str = "hoasen",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.strip() or not model.strip():
            raise UsageError(
                "the openai engine needs openai_base_url and openai_model "
                "(HOASEN_OPENAI_BASE_URL=http://127.0.0.1:11434/v1 "
                "HOASEN_OPENAI_MODEL=qwen2.5:7b-instruct)"
            )
        self.model = model.strip()
        base, self.path = chat_url(base_url)
        headers = {"User-Agent": user_agent, "Accept": "application/json"}
        if api_key.strip():
            headers["Authorization"] = f"Bearer {api_key.strip()}"
        self.client = ApiClient(
            self.name,
            f"the OpenAI-compatible server at {base}",
            base,
            explain=self._explain,
            headers=headers,
            timeout=timeout,
            retry=retry,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, retry: RetryPolicy | None = None) -> OpenAIEngine:
        return cls(
            settings.openai_base_url,
            settings.openai_model,
            settings.openai_api_key,
            timeout=settings.translate_timeout,
            retry=retry or RetryPolicy(retries=settings.translate_retries),
            user_agent=settings.http_user_agent,
        )

    def _explain(self, response: httpx.Response, tries: int) -> EngineError:
        if response.status_code == 404:
            return EngineError(
                f"{self.client.label} has no model {self.model!r} or no chat completions API "
                f"(404): {error_text(response)}; check openai_model and openai_base_url",
                kind="config",
                engine=self.name,
                status=404,
            )
        return common_error(
            self.client.label, self.name, response, tries, key_setting="openai_api_key"
        )

    def pairs(self) -> None:
        return None  # a general model: any pair may work

    def translate(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        glossary: Glossary | None = None,
    ) -> list[str]:
        """One translation per segment; glossary entries found in a batch go into its prompt."""
        return translate_nonblank(
            texts, lambda b: self._translate(b, source, target, glossary), self.name
        )

    def _translate(
        self, texts: list[str], source: str, target: str, glossary: Glossary | None
    ) -> list[str]:
        out = [""] * len(texts)
        multi = [i for i, t in enumerate(texts) if "\n" in t.strip()]  # asked for alone
        plain = [i for i in range(len(texts)) if i not in set(multi)]
        done: list[str] = []
        for batch in batches([texts[i] for i in plain], BATCH, BATCH_CHARS):
            done += self._batch(batch, source, target, glossary)
        for i, text in zip(plain, done, strict=True):
            out[i] = text
        for i in multi:
            out[i] = self._one(texts[i], source, target, glossary)
        return out

    def _batch(
        self, batch: list[str], source: str, target: str, glossary: Glossary | None
    ) -> list[str]:
        if len(batch) == 1:
            return [self._one(batch[0], source, target, glossary)]
        user = "\n".join(f"[{i}] {t.strip()}" for i, t in enumerate(batch, 1))
        parsed = parse_reply(
            self._chat(system_prompt(source, target, glossary, batch), user), len(batch)
        )
        if parsed is not None:
            return parsed
        return [self._one(t, source, target, glossary) for t in batch]  # ask one by one

    def _one(self, text: str, source: str, target: str, glossary: Glossary | None) -> str:
        prompt = system_prompt(source, target, glossary, [text])
        parsed = parse_reply(self._chat(prompt, f"[1] {text.strip()}"), 1)
        if parsed is None:
            raise EngineError(f"{self.client.label} gave an empty translation", engine=self.name)
        return parsed[0]

    def _chat(self, system: str, user: str) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": 0,
            "stream": False,
        }
        data = self.client.json(self.client.request("POST", self.path, json=body))
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise EngineError(
                f"{self.client.label} answered without choices[0].message.content",
                engine=self.name,
            ) from exc
        return str(content or "")
