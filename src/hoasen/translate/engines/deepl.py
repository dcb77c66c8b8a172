"""DeepL (https://developers.deepl.com): v2 /v2/translate, and v3 glossaries where DeepL
supports a glossary for the pair.

The key goes in `Authorization: DeepL-Auth-Key KEY`; a key ending in ":fx" belongs to the free
API (api-free.deepl.com). Target codes are DeepL's own (EN-US, PT-PT, ZH-HANS, ZH-HANT). A
glossary is created once per content (its name carries a hash of the entries, so the same
termbase reuses the same glossary, in this process or the next) and passed as `glossary_id`.
Vietnamese, Thai and Hebrew have no DeepL glossaries: nothing is sent, and the names are
enforced around the engine as for every engine. Errors: 403 bad key, 456 quota exceeded, 429
too many requests, 413 request too large, 5xx temporary.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from hoasen.errors import UsageError
from hoasen.translate.engines.base import EngineError, batches, translate_nonblank
from hoasen.translate.engines.http import ApiClient, RetryPolicy, common_error, error_text
from hoasen.translate.types import Glossary, base_lang

if TYPE_CHECKING:
    from hoasen.settings import Settings

log = logging.getLogger(__name__)

LABEL = "DeepL"
FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"
BATCH = 50  # DeepL takes at most 50 texts per request
BATCH_CHARS = 30_000  # and 128 KiB per request (CJK is 3 bytes a character)


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Languages DeepL translates (source side; targets add regional variants).
LANGUAGES = _codes(
    "ar bg cs da de el en es et fi fr he hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv th tr uk "
    "vi zh"
)
# Languages with glossary support: any pair of two of these. Vietnamese, Thai, Hebrew: none.
GLOSSARY_LANGUAGES = _codes(
    "ar bg cs da de el en es et fi fr hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv tr uk zh"
)
_TARGET_VARIANTS = {
    "en": "EN-US",
    "en-us": "EN-US",
    "en-gb": "EN-GB",
    "pt": "PT-PT",
    "pt-pt": "PT-PT",
    "pt-br": "PT-BR",
    "zh": "ZH-HANS",
    "zh-hans": "ZH-HANS",
    "zh-cn": "ZH-HANS",
    "zh-hant": "ZH-HANT",
    "zh-tw": "ZH-HANT",
    "zh-hk": "ZH-HANT",
    "es-419": "ES-419",
}


def target_code(lang: str) -> str:
    """DeepL's target_lang for a BCP 47 code: en -> EN-US, zh-Hant -> ZH-HANT, vi -> VI."""
    key = lang.strip().lower().replace("_", "-")
    return _TARGET_VARIANTS.get(key) or base_lang(lang).upper()


def source_code(lang: str) -> str:
    """DeepL's source_lang: the base language in capitals (ZH for either script)."""
    return base_lang(lang).upper()


def glossary_supported(source: str, target: str) -> bool:
    """Whether DeepL has glossaries for the pair (both languages glossary languages)."""
    s, t = base_lang(source), base_lang(target)
    return s != t and s in GLOSSARY_LANGUAGES and t in GLOSSARY_LANGUAGES


def glossary_tsv(glossary: Glossary) -> str:
    """The glossary as DeepL TSV entries: one "source<TAB>target" per line, each source once."""
    seen: set[str] = set()
    lines = []
    for src, tgt in glossary.pairs():
        src, tgt = src.strip(), tgt.strip()
        if not src or not tgt or src in seen or any(c in src + tgt for c in "\t\r\n"):
            continue
        seen.add(src)
        lines.append(f"{src}\t{tgt}")
    return "\n".join(lines)


class DeepLEngine:
    """Machine translation through the DeepL API."""

    name = "deepl"

    def __init__(
        self,
        api_key: str,
        *,
        url: str = "",
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        user_agent: str = "hoasen",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key.strip():
            raise UsageError("the deepl engine needs deepl_api_key (HOASEN_DEEPL_API_KEY=...)")
        key = api_key.strip()
        base = url.strip() or (FREE_URL if key.endswith(":fx") else PRO_URL)
        self.client = ApiClient(
            self.name,
            f"DeepL ({base.rstrip('/')})",
            base,
            explain=self._explain,
            headers={
                "Authorization": f"DeepL-Auth-Key {key}",
                "User-Agent": user_agent,
                "Accept": "application/json",
            },
            timeout=timeout,
            retry=retry,
            transport=transport,
        )
        self._glossaries: dict[str, str] = {}  # name (with content hash) -> glossary_id
        self._listed = False

    @classmethod
    def from_settings(cls, settings: Settings, retry: RetryPolicy | None = None) -> DeepLEngine:
        return cls(
            settings.deepl_api_key,
            url=settings.deepl_api_url,
            timeout=settings.translate_timeout,
            retry=retry or RetryPolicy(retries=settings.translate_retries),
            user_agent=settings.http_user_agent,
        )

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def _explain(self, response: httpx.Response, tries: int) -> EngineError:
        status = response.status_code
        label = self.client.label
        why = error_text(response)
        if status == 456:
            return EngineError(
                f"{label}: the account's character quota is used up (456 Quota exceeded); wait "
                "for the next billing period or raise the plan's limit",
                kind="quota",
                engine=self.name,
                status=status,
            )
        if status == 403:
            return EngineError(
                f"{label} refused the API key (403 Forbidden): check deepl_api_key (keys ending "
                "in :fx belong to the free API at api-free.deepl.com, others to api.deepl.com)",
                kind="auth",
                engine=self.name,
                status=status,
            )
        if status == 413:
            return EngineError(
                f"{label}: the request is too large (413); send shorter segments",
                kind="request",
                engine=self.name,
                status=status,
            )
        if status == 400 and "lang" in why.lower():
            return EngineError(
                f"{label} does not support this language pair: {why}",
                kind="pair",
                engine=self.name,
                status=status,
            )
        return common_error(label, self.name, response, tries, key_setting="deepl_api_key")

    def pairs(self) -> set[tuple[str, str]]:
        return {(s, t) for s in LANGUAGES for t in LANGUAGES if s != t}

    # -------------------------------------------------------------------------- glossaries

    def glossary_id(self, glossary: Glossary | None, source: str, target: str) -> str | None:
        """The id of a DeepL glossary with these entries (reused, or created once); None when
        there is no glossary or DeepL has none for the pair."""
        if glossary is None or not len(glossary) or not glossary_supported(source, target):
            return None
        s, t = base_lang(source), base_lang(target)
        entries = glossary_tsv(glossary)
        if not entries:
            return None
        digest = hashlib.sha256(f"{s}\n{t}\n{entries}".encode()).hexdigest()[:20]
        name = f"hoasen-{s}-{t}-{digest}"
        if name in self._glossaries:
            return self._glossaries[name]
        if not self._listed:
            self._list_glossaries()
            if name in self._glossaries:
                return self._glossaries[name]
        body = {
            "name": name,
            "dictionaries": [
                {"source_lang": s, "target_lang": t, "entries": entries, "entries_format": "tsv"}
            ],
        }
        try:
            data = self.client.json(self.client.request("POST", "/v3/glossaries", json=body))
        except EngineError as exc:
            if exc.kind in ("request", "pair"):
                log.warning("DeepL glossary not created, translating without it: %s", exc)
                return None
            raise
        gid = data.get("glossary_id") if isinstance(data, dict) else None
        if not gid:
            raise EngineError(
                f"{self.client.label} created a glossary without an id", engine=self.name
            )
        self._glossaries[name] = str(gid)
        return str(gid)

    def _list_glossaries(self) -> None:
        data = self.client.json(self.client.request("GET", "/v3/glossaries"))
        for item in data.get("glossaries", []) if isinstance(data, dict) else []:
            if isinstance(item, dict) and str(item.get("name", "")).startswith("hoasen-"):
                self._glossaries.setdefault(str(item["name"]), str(item.get("glossary_id")))
        self._listed = True

    # --------------------------------------------------------------------------- translate

    def translate(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        glossary: Glossary | None = None,
    ) -> list[str]:
        """One translation per segment; the glossary goes to DeepL when it supports the pair."""
        return translate_nonblank(
            texts, lambda b: self._translate(b, source, target, glossary), self.name
        )

    def _translate(
        self, texts: list[str], source: str, target: str, glossary: Glossary | None
    ) -> list[str]:
        gid = self.glossary_id(glossary, source, target)
        out: list[str] = []
        for batch in batches(texts, BATCH, BATCH_CHARS):
            body: dict[str, Any] = {
                "text": batch,
                "source_lang": source_code(source),
                "target_lang": target_code(target),
            }
            if gid:
                body["glossary_id"] = gid
            data = self.client.json(self.client.request("POST", "/v2/translate", json=body))
            items = data.get("translations") if isinstance(data, dict) else None
            if not isinstance(items, list) or len(items) != len(batch):
                raise EngineError(
                    f"{self.client.label} answered without one translation per segment",
                    engine=self.name,
                )
            out += [str(i.get("text", "")) if isinstance(i, dict) else "" for i in items]
        return out
