"""LibreTranslate (self-hosted, https://libretranslate.com/docs): POST /translate with `q` as a
list, GET /languages for the pairs. It has no glossary: names are enforced around it.

Errors are JSON `{"error": "..."}`: 400 bad request or unsupported language, 403 bad or missing
API key, 429 too many requests (slowed down by the server's limits), 500 translation failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from hoasen.errors import UsageError
from hoasen.translate.engines.base import (
    EngineError,
    batches,
    pair_label,
    translate_nonblank,
)
from hoasen.translate.engines.http import ApiClient, RetryPolicy, common_error, error_text
from hoasen.translate.types import Glossary, base_lang

if TYPE_CHECKING:
    from hoasen.settings import Settings

LABEL = "LibreTranslate"
BATCH = 32  # segments per request
BATCH_CHARS = 5000  # a server's char_limit is often about this


class LibreTranslateEngine:
    """Machine translation through a LibreTranslate server."""

    name = "libretranslate"

    def __init__(
        self,
        url: str,
        api_key: str = "",
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        user_agent: str = "hoasen",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.strip():
            raise UsageError(
                "the libretranslate engine needs libretranslate_url "
                "(HOASEN_LIBRETRANSLATE_URL=http://127.0.0.1:5000)"
            )
        self.api_key = api_key
        self.client = ApiClient(
            self.name,
            f"LibreTranslate at {url.rstrip('/')}",
            url,
            explain=self._explain,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            timeout=timeout,
            retry=retry,
            transport=transport,
        )
        self._languages: dict[str, set[str]] | None = None  # code -> target codes

    @classmethod
    def from_settings(
        cls, settings: Settings, retry: RetryPolicy | None = None
    ) -> LibreTranslateEngine:
        return cls(
            settings.libretranslate_url,
            settings.libretranslate_api_key,
            timeout=settings.translate_timeout,
            retry=retry or RetryPolicy(retries=settings.translate_retries),
            user_agent=settings.http_user_agent,
        )

    def _explain(self, response: httpx.Response, tries: int) -> EngineError:
        status = response.status_code
        if status == 403:
            hint = (
                "set libretranslate_api_key" if not self.api_key else "check libretranslate_api_key"
            )
            return EngineError(
                f"{self.client.label} refused the request (403): {error_text(response)}; {hint}",
                kind="auth",
                engine=self.name,
                status=status,
            )
        why = error_text(response).lower()
        if status == 400 and ("not supported" in why or "language" in why):
            return EngineError(
                f"{self.client.label} does not support this language pair: {error_text(response)}",
                kind="pair",
                engine=self.name,
                status=status,
            )
        return common_error(
            self.client.label, self.name, response, tries, key_setting="libretranslate_api_key"
        )

    def languages(self) -> dict[str, set[str]]:
        """The server's languages and, for each, the languages it translates into (cached)."""
        if self._languages is None:
            data = self.client.json(self.client.request("GET", "/languages"))
            if not isinstance(data, list):
                raise EngineError(
                    f"{self.client.label} answered /languages with something unexpected",
                    engine=self.name,
                )
            langs: dict[str, set[str]] = {}
            for item in data:
                if isinstance(item, dict) and item.get("code"):
                    langs[str(item["code"])] = {str(t) for t in item.get("targets") or []}
            all_codes = set(langs)
            for code, targets in langs.items():
                if not targets:  # old servers list no targets: every language
                    langs[code] = all_codes - {code}
            self._languages = langs
        return self._languages

    def pairs(self) -> set[tuple[str, str]]:
        return {
            (base_lang(s), base_lang(t))
            for s, targets in self.languages().items()
            for t in targets
            if base_lang(s) != base_lang(t)
        }

    def _code(self, lang: str) -> str:
        """The server's code for a language: zh-Hant may be "zt" or "zh-Hant", zh may be "zh"
        or "zh-Hans"."""
        try:
            codes = set(self.languages())
        except EngineError:
            return base_lang(lang)
        lowered = {c.lower(): c for c in codes}
        key = lang.strip().lower().replace("_", "-")
        if key in lowered:
            return lowered[key]
        if key in ("zh-hant", "zh-tw", "zh-hk") and "zt" in lowered:
            return lowered["zt"]
        base = base_lang(lang)
        if base in lowered:
            return lowered[base]
        if base == "zh" and "zh-hans" in lowered:
            return lowered["zh-hans"]
        return base

    def translate(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        glossary: Glossary | None = None,
    ) -> list[str]:
        """One translation per segment (LibreTranslate has no glossary; it is not sent)."""
        return translate_nonblank(texts, lambda b: self._translate(b, source, target), self.name)

    def _translate(self, texts: list[str], source: str, target: str) -> list[str]:
        src, tgt = self._code(source), self._code(target)
        out: list[str] = []
        for batch in batches(texts, BATCH, BATCH_CHARS):
            body: dict[str, Any] = {"q": batch, "source": src, "target": tgt, "format": "text"}
            if self.api_key:
                body["api_key"] = self.api_key
            data = self.client.json(self.client.request("POST", "/translate", json=body))
            done = data.get("translatedText") if isinstance(data, dict) else None
            if isinstance(done, str) and len(batch) == 1:
                done = [done]
            if not isinstance(done, list) or len(done) != len(batch):
                raise EngineError(
                    f"{self.client.label} answered {pair_label(src, tgt)} without one "
                    f"translatedText per segment",
                    engine=self.name,
                )
            out += [str(t) for t in done]
        return out
