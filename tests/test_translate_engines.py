"""Translation engines against loopback fakes of their documented APIs (requests, replies,
errors and retries), the choice of engine per language pair, the pivot through English, model
discovery and the missing-model error, secrets, and the reports' translation seam."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hoasen.errors import ConfigError, UsageError
from hoasen.reports.translate import translator_for
from hoasen.settings import REDACTED, Settings, load_settings, secret_settings
from hoasen.translate.engines import (
    EngineError,
    Engines,
    MissingModelError,
    Pivot,
    available_engines,
    engine_for,
    list_models,
    parse_rules,
)
from hoasen.translate.engines.deepl import DeepLEngine, glossary_supported, target_code
from hoasen.translate.engines.http import RetryPolicy, parse_retry_after
from hoasen.translate.engines.libretranslate import LibreTranslateEngine
from hoasen.translate.engines.local import LocalEngine
from hoasen.translate.engines.openai import OpenAIEngine, chat_url, parse_reply
from hoasen.translate.types import Glossary, GlossaryEntry
from translate_fakes import Answer, DeepLState, FakeServer, chat, deepl, libretranslate

GLOSSARY = Glossary(
    "zh",
    "en",
    (
        GlossaryEntry(
            "sun-yeli", ("孙业礼",), "Sun Yeli", forbidden=("Ton Nghiep Le",), type="PER"
        ),
        GlossaryEntry("fujian", ("福建省", "福建"), "Fujian", type="LOC"),
    ),
)


def make_settings(tmp_path: Path, **values: Any) -> Settings:
    return load_settings(config_path=tmp_path / "none.toml", env={}, **values)


class Waits:
    """An injected sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


def retry(waits: Waits, retries: int = 3) -> RetryPolicy:
    return RetryPolicy(retries=retries, base_delay=0.5, max_delay=30.0, sleep=waits)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any attempt to open a connection is recorded and refused."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"network attempt to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


# ---------------------------------------------------------------------------- LibreTranslate


def test_libretranslate_sends_q_as_a_list_and_maps_codes(waits: Waits) -> None:
    with FakeServer(libretranslate(api_key="k1")) as srv:
        engine = LibreTranslateEngine(srv.url, "k1", retry=retry(waits))
        out = engine.translate(["你好", "", "谢谢"], "zh-Hans", "en")
        assert out == ["[en] 你好", "", "[en] 谢谢"]
        post = next(r for r in srv.requests if r.method == "POST")
        assert post.body == {
            "q": ["你好", "谢谢"],
            "source": "zh-Hans",
            "target": "en",
            "format": "text",
            "api_key": "k1",
        }
        assert ("zh", "en") in engine.pairs() and ("en", "vi") in engine.pairs()
        assert ("vi", "zh") not in engine.pairs()
        assert engine.translate(["Hello"], "en", "zh") == ["[zh-Hans] Hello"]  # zh -> zh-Hans
        assert srv.paths("GET") == ["/languages"]  # fetched once


def test_libretranslate_errors_in_plain_words(waits: Waits) -> None:
    with FakeServer(libretranslate(api_key="right")) as srv:
        bad_key = LibreTranslateEngine(srv.url, "wrong", retry=retry(waits))
        with pytest.raises(EngineError, match=r"403.*Invalid API key") as exc:
            bad_key.translate(["你好"], "zh", "en")
        assert exc.value.kind == "auth"
        assert "wrong" not in str(exc.value)  # the key is never shown back
        engine = LibreTranslateEngine(srv.url, "right", retry=retry(waits))
        with pytest.raises(EngineError, match="does not support") as exc:
            engine.translate(["xin chào"], "vi", "ja")
        assert exc.value.kind == "pair"
        srv.failures += [Answer(500, {"error": "Cannot translate text: boom"})] * 4
        with pytest.raises(EngineError, match=r"server error \(500\) after 4 tries.*boom") as exc:
            engine.translate(["你好"], "zh", "en")
        assert exc.value.kind == "server"
        assert waits.delays == [0.5, 1.0, 2.0]  # exponential backoff


def test_429_then_success_respects_retry_after(waits: Waits) -> None:
    with FakeServer(libretranslate()) as srv:
        engine = LibreTranslateEngine(srv.url, retry=retry(waits))
        engine.languages()
        srv.failures += [
            Answer(429, {"error": "Slowdown: 30 per 1 minute"}, {"Retry-After": "2"}),
            Answer(503, {"error": "busy"}),
        ]
        assert engine.translate(["你好"], "zh", "en") == ["[en] 你好"]
        assert waits.delays == [2.0, 1.0]  # Retry-After first, then backoff for the 2nd retry
        assert len(srv.paths("POST")) == 3


def test_429_forever_gives_up_with_a_clear_message(waits: Waits) -> None:
    with FakeServer(libretranslate()) as srv:
        engine = LibreTranslateEngine(srv.url, retry=retry(waits, retries=2))
        engine.languages()
        srv.failures += [Answer(429, {"error": "Too many requests"}, {"Retry-After": "600"})] * 10
        with pytest.raises(EngineError, match=r"rate limiting requests \(429\).*3 tries") as exc:
            engine.translate(["你好"], "zh", "en")
        assert exc.value.kind == "rate_limit" and exc.value.retryable
        assert waits.delays == [30.0, 30.0]  # Retry-After capped
        assert len(srv.paths("POST")) == 3


def test_timeout_is_an_engine_error(waits: Waits) -> None:
    with FakeServer(libretranslate()) as srv:
        engine = LibreTranslateEngine(srv.url, timeout=0.2, retry=retry(waits))
        srv.failures.append(Answer(200, [], delay=1.0))
        with pytest.raises(EngineError, match=r"did not answer within 0.2 s") as exc:
            engine.languages()
        assert exc.value.kind == "timeout"


def test_unreachable_server(waits: Waits) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    engine = LibreTranslateEngine(f"http://127.0.0.1:{port}", retry=retry(waits))
    with pytest.raises(EngineError, match="cannot reach LibreTranslate") as exc:
        engine.translate(["你好"], "zh", "en")
    assert exc.value.kind == "connection"


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("soon") is None
    assert RetryPolicy(base_delay=1, max_delay=5).delay(4) == 5.0


# ------------------------------------------------------------------------------------- DeepL


def test_deepl_auth_header_codes_and_glossary_reuse(waits: Waits) -> None:
    state = DeepLState()
    with FakeServer(deepl(state)) as srv:
        engine = DeepLEngine(state.key, url=srv.url, retry=retry(waits))
        out = engine.translate(["孙业礼访问福建省。", "  "], "zh-Hans", "en", GLOSSARY)
        assert out == ["EN-US: Sun Yeli访问Fujian。", ""]
        creates = [r for r in srv.requests if r.method == "POST" and r.path == "/v3/glossaries"]
        assert len(creates) == 1
        (dictionary,) = creates[0].body["dictionaries"]
        assert dictionary["source_lang"] == "zh" and dictionary["target_lang"] == "en"
        assert dictionary["entries_format"] == "tsv"
        assert "孙业礼\tSun Yeli" in dictionary["entries"].splitlines()
        translate = next(r for r in srv.requests if r.path == "/v2/translate")
        assert translate.headers["authorization"] == "DeepL-Auth-Key good-key:fx"
        assert translate.body["source_lang"] == "ZH" and translate.body["target_lang"] == "EN-US"
        assert translate.body["glossary_id"] in state.glossaries
        assert translate.body["text"] == ["孙业礼访问福建省。"]
        # the same glossary again: reused, in this engine and in a new one (by its content hash)
        engine.translate(["福建"], "zh", "en", GLOSSARY)
        DeepLEngine(state.key, url=srv.url, retry=retry(waits)).translate(
            ["福建"], "zh", "en", GLOSSARY
        )
        assert len([r for r in srv.requests if r.method == "POST" and "glossaries" in r.path]) == 1
        assert len(state.glossaries) == 1


def test_deepl_sends_no_glossary_for_vietnamese(waits: Waits) -> None:
    state = DeepLState()
    vi = Glossary("zh", "vi", (GlossaryEntry("sun", ("孙业礼",), "Tôn Nghiệp Lễ"),))
    with FakeServer(deepl(state)) as srv:
        engine = DeepLEngine(state.key, url=srv.url, retry=retry(waits))
        assert engine.translate(["孙业礼"], "zh", "vi", vi) == ["VI: 孙业礼"]
        assert srv.paths() == ["/v2/translate"]
        assert "glossary_id" not in srv.requests[0].body
    assert not glossary_supported("zh", "vi") and glossary_supported("zh-Hant", "en")
    assert target_code("zh-Hant") == "ZH-HANT" and target_code("en") == "EN-US"
    assert target_code("pt") == "PT-PT" and target_code("vi") == "VI"


def test_deepl_free_and_pro_urls() -> None:
    assert DeepLEngine("abc:fx").base_url == "https://api-free.deepl.com"
    assert DeepLEngine("abc").base_url == "https://api.deepl.com"
    with pytest.raises(UsageError, match="deepl_api_key"):
        DeepLEngine(" ")


def test_deepl_errors(waits: Waits) -> None:
    state = DeepLState()
    with FakeServer(deepl(state)) as srv:
        bad = DeepLEngine("stolen-key", url=srv.url, retry=retry(waits))
        with pytest.raises(EngineError, match=r"refused the API key \(403") as exc:
            bad.translate(["你好"], "zh", "en")
        assert exc.value.kind == "auth" and "stolen-key" not in str(exc.value)
        state.quota_exceeded = True
        engine = DeepLEngine(state.key, url=srv.url, retry=retry(waits))
        with pytest.raises(EngineError, match=r"quota is used up \(456") as exc:
            engine.translate(["你好"], "zh", "en")
        assert exc.value.kind == "quota" and not exc.value.retryable
        assert waits.delays == []  # 456 and 403 are not retried
        state.quota_exceeded = False
        srv.failures += [Answer(429, {"message": "Too many requests"})] * 2
        assert engine.translate(["你好"], "zh", "en") == ["EN-US: 你好"]
        assert waits.delays == [0.5, 1.0]


# ------------------------------------------------------------------------ OpenAI-compatible


@pytest.mark.parametrize("style", ["brackets", "dots", "think", "plain"])
def test_openai_batch_and_glossary_in_prompt(style: str, waits: Waits) -> None:
    with FakeServer(chat(style, api_key="sk-test")) as srv:
        engine = OpenAIEngine(srv.url + "/v1", "test-model", "sk-test", retry=retry(waits))
        out = engine.translate(["孙业礼来了。", "", "你好"], "zh", "en", GLOSSARY)
        assert out == ["EN: Sun Yeli来了。", "", "EN: 你好"]
        (req,) = srv.requests
        assert req.path == "/v1/chat/completions"
        assert req.headers["authorization"] == "Bearer sk-test"
        assert req.body["model"] == "test-model" and req.body["temperature"] == 0
        system = req.body["messages"][0]["content"]
        assert "from Chinese into English" in system
        assert "- 孙业礼 → Sun Yeli (never: Ton Nghiep Le)" in system
        assert "福建" not in system  # only the entries found in the batch
        assert req.body["messages"][1]["content"] == "[1] 孙业礼来了。\n[2] 你好"


def test_openai_falls_back_to_one_segment_at_a_time(waits: Waits) -> None:
    with FakeServer(chat("short")) as srv:
        engine = OpenAIEngine(srv.url, "test-model", retry=retry(waits))  # no /v1 in the URL
        assert engine.translate(["一", "二", "三\n四"], "zh", "en") == [
            "EN: 一",
            "EN: 二",
            "EN: 三 / 四",
        ]
        assert (
            len(srv.requests) == 4
        )  # the batch, then each of its two segments, then the 2-line one
        assert "authorization" not in srv.requests[0].headers


def test_openai_errors(waits: Waits) -> None:
    with FakeServer(chat(api_key="sk-right")) as srv:
        with pytest.raises(EngineError, match=r"refused the API key \(401\)") as exc:
            OpenAIEngine(srv.url, "test-model", "sk-wrong", retry=retry(waits)).translate(
                ["你好"], "zh", "en"
            )
        assert exc.value.kind == "auth" and "sk-wrong" not in str(exc.value)
        engine = OpenAIEngine(srv.url, "no-such-model", "sk-right", retry=retry(waits))
        with pytest.raises(EngineError, match="no model 'no-such-model'") as exc:
            engine.translate(["你好"], "zh", "en")
        good = OpenAIEngine(srv.url, "test-model", "sk-right", retry=retry(waits, 1))
        srv.failures += [Answer(500, {"error": {"message": "CUDA out of memory"}})] * 2
        with pytest.raises(EngineError, match=r"server error \(500\) after 2 tries.*CUDA") as exc:
            good.translate(["你好"], "zh", "en")
        srv.failures.append(Answer(200, {}, delay=1.0))
        slow = OpenAIEngine(srv.url, "test-model", "sk-right", timeout=0.2, retry=retry(waits))
        with pytest.raises(EngineError, match="did not answer within") as exc:
            slow.translate(["你好"], "zh", "en")
        assert exc.value.kind == "timeout"
    with pytest.raises(UsageError, match="openai_model"):
        OpenAIEngine("http://127.0.0.1:11434/v1", "")


def test_parse_reply_and_chat_url() -> None:
    assert parse_reply("**1.** one\n**2.** two", 2) == ["one", "two"]
    assert parse_reply("1、一\n2、二", 2) == ["一", "二"]
    assert parse_reply("[1] one\ncontinued\n[2] two", 2) == ["one continued", "two"]
    assert parse_reply("```\n[1] a\n[2] b\n```", 2) == ["a", "b"]
    assert parse_reply("[1] a\n[3] b", 2) is None
    assert parse_reply("[1] 2025 was good", 1) == ["2025 was good"]
    assert chat_url("http://h:11434/v1/") == ("http://h:11434/v1", "/chat/completions")
    assert chat_url("http://h:8080") == ("http://h:8080", "/v1/chat/completions")


# ------------------------------------------------------------------- choice, pivot, registry


class FakeEngine:
    """An in-memory engine with fixed pairs: "[name:s>t] text"."""

    def __init__(self, name: str, pairs: set[tuple[str, str]] | None) -> None:
        self.name = name
        self._pairs = pairs
        self.calls: list[tuple[list[str], str, str]] = []

    def pairs(self) -> set[tuple[str, str]] | None:
        return self._pairs

    def translate(
        self, texts: Sequence[str], source: str, target: str, glossary: Glossary | None = None
    ) -> list[str]:
        self.calls.append((list(texts), source, target))
        return [f"[{self.name}:{source}>{target}] {t}" for t in texts]


def fake_engines(settings: Settings) -> tuple[Engines, dict[str, FakeEngine]]:
    made = {
        "local": FakeEngine("local", {("zh", "en"), ("en", "vi")}),
        "deepl": FakeEngine("deepl", {("vi", "zh"), ("zh", "en"), ("en", "ja")}),
        "libretranslate": FakeEngine("libretranslate", {("en", "vi"), ("vi", "en")}),
        "openai": FakeEngine("openai", None),
    }
    return Engines(settings, factory=lambda s, name: made[name]), made


def test_engine_choice_per_pair(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        translate_engines=("zh-en=local", "vi-zh=deepl", "*-ja=openai", "*=libretranslate"),
    )
    engines, made = fake_engines(settings)
    assert engines.name_for("zh-Hans", "en") == "local"
    assert engines.name_for("vi", "zh-Hant") == "deepl"
    assert engines.name_for("ko", "ja") == "openai"
    assert engines.name_for("en", "vi") == "libretranslate"
    assert engines.for_pair("zh", "en") is made["local"]
    assert engines.for_pair("zh", "en", name="deepl") is made["deepl"]
    assert engines.for_pair("vi", "zh").translate(["x"], "vi", "zh") == ["[deepl:vi>zh] x"]


def test_pivot_through_english(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, translate_engines=("zh-en=local", "*=libretranslate"))
    engines, _ = fake_engines(settings)
    engine = engines.for_pair("zh", "vi")  # libretranslate has no zh-vi: zh-en local, en-vi libre
    assert isinstance(engine, Pivot)
    assert engine.name == "local+libretranslate via en"
    assert engine.translate(["你好"], "zh", "vi", GLOSSARY) == [
        "[libretranslate:en>vi] [local:zh>en] 你好"
    ]
    local = engines.for_pair("zh", "vi", name="local")  # one engine for both legs
    assert isinstance(local, Pivot) and local.name == "local via en"
    assert local.pairs() == {("zh", "vi")}
    with pytest.raises(EngineError, match="does not translate vi→ja") as exc:
        engines.for_pair("vi", "ja", name="libretranslate")
    assert exc.value.kind == "pair"


def test_nothing_configured_says_how(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"translate_engines.*HOASEN_TRANSLATE_ENGINES"):
        engine_for(make_settings(tmp_path), "zh", "en")
    with pytest.raises(UsageError, match="unknown translation engine 'google'"):
        engine_for(make_settings(tmp_path), "zh", "en", name="google")
    with pytest.raises(UsageError, match="libretranslate_url"):
        engine_for(make_settings(tmp_path), "zh", "en", name="libretranslate")


def test_rules_parse_and_reject() -> None:
    rules = parse_rules(["zh-Hant>en=local", "*=Libre", " ", "vi-*=deepl"])
    assert [(r.source, r.target, r.engine) for r in rules] == [
        ("zh-hant", "en", "local"),
        ("*", "*", "libretranslate"),
        ("vi", "*", "deepl"),
    ]
    for bad in ["zh-en", "zh-Hant-en=local", "zh-en=google"]:
        with pytest.raises(ConfigError, match="translate_engines"):
            parse_rules([bad])


def test_rules_from_environment(tmp_path: Path) -> None:
    settings = load_settings(
        config_path=tmp_path / "none.toml",
        env={"HOASEN_TRANSLATE_ENGINES": "zh-en=local,*=deepl", "HOASEN_MODELS_DIR": "/srv/m"},
    )
    assert settings.translate_engines == ("zh-en=local", "*=deepl")
    assert settings.models_dir == "/srv/m"


def test_available_engines(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, models_dir=str(tmp_path / "models"), deepl_api_key="k:fx")
    status = {s.name: s for s in available_engines(settings)}
    assert not status["local"].configured and "no model" in status["local"].detail
    assert status["deepl"].configured and status["deepl"].detail == "free API key set"
    assert not status["openai"].configured and "k:fx" not in json.dumps(
        [s.as_json() for s in status.values()]
    )


# --------------------------------------------------------------------------------- secrets


def test_api_keys_are_never_shown_back(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, deepl_api_key="secret-deepl:fx", openai_api_key="sk-secret", openai_model="m"
    )
    assert set(secret_settings()) == {
        "libretranslate_api_key",
        "deepl_api_key",
        "openai_api_key",
        "smtp_url",
        "mail_token_key",
        "mail_bounce_secret",
        "exchange_secrets",
        "queue_url",
    }
    assert "secret-deepl" not in repr(settings) and "sk-secret" not in repr(settings)
    shown = settings.redacted()
    assert shown["deepl_api_key"] == REDACTED and shown["openai_api_key"] == REDACTED
    assert shown["libretranslate_api_key"] == ""  # unset stays visibly unset
    assert shown["openai_model"] == "m"


# ------------------------------------------------------------------- local models on disk


def _argos(path: Path, source: str, target: str, tokenizer: str = "sentencepiece.model") -> Path:
    top = f"translate-{source}_{target}-1_9/"
    with zipfile.ZipFile(path, "w") as z:
        meta = {"package_version": "1.9", "from_code": source, "to_code": target}
        z.writestr(top + "metadata.json", json.dumps(meta))
        z.writestr(top + "model/model.bin", b"")
        z.writestr(top + "model/config.json", "{}")
        z.writestr(top + tokenizer, b"")
    return path


def _ct2(folder: Path, vocab: list[str], *files: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"")
    (folder / "config.json").write_text("{}")
    (folder / "shared_vocabulary.json").write_text(json.dumps(vocab))
    for name in files:
        (folder / name).write_bytes(b"")
    return folder


def test_list_models_finds_every_layout(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    _argos(models / "translate-en_vi-1_9.argosmodel", "en", "vi")
    _argos(models / "old-bpe.argosmodel", "ja", "en", tokenizer="bpe.model")
    _ct2(models / "opus-mt-vi-en", ["<unk>", "▁a"], "source.spm", "target.spm")
    _ct2(
        models / "nllb-200-distilled-600M",
        ["<s>", "</s>", "vie_Latn", "zho_Hans", "eng_Latn", "kor_Hang"],
        "sentencepiece.bpe.model",
    )
    _ct2(models / "m2m", ["__zh__", "__ja__", "__vi__"], "sentencepiece.bpe.model")
    multi = _ct2(models / "vendor" / "zh-multi", ["<unk>"], "source.spm", "target.spm")
    (multi / "hoasen-model.toml").write_text(
        'kind = "opus-mt"\nsource = "zh"\ntarget = "en"\n'
        'target_tokens = { vi = ">>vie<<" }\nversion = "2024"\n'
    )
    (models / "README.txt").write_text("not a model")
    found = {m.name: m for m in list_models(models)}
    assert set(found) == {
        "translate-en_vi-1_9.argosmodel",
        "old-bpe.argosmodel",
        "opus-mt-vi-en",
        "nllb-200-distilled-600M",
        "m2m",
        "zh-multi",
    }
    assert found["translate-en_vi-1_9.argosmodel"].pairs == {("en", "vi")}
    assert "BPE" in found["old-bpe.argosmodel"].problem
    assert found["opus-mt-vi-en"].kind == "opus-mt" and found["opus-mt-vi-en"].pairs == {
        ("vi", "en")
    }
    nllb = found["nllb-200-distilled-600M"]
    assert nllb.kind == "nllb" and ("vi", "zh") in nllb.pairs and ("ko", "en") in nllb.pairs
    assert found["m2m"].kind == "m2m100" and ("zh", "vi") in found["m2m"].pairs
    assert found["zh-multi"].pairs == {("zh", "en"), ("zh", "vi")}
    assert found["zh-multi"].version == "2024"
    listed = list_models(models)
    assert [m.multilingual for m in listed] == sorted(m.multilingual for m in listed)
    assert list_models(tmp_path / "nowhere") == []
    as_json = found["nllb-200-distilled-600M"].as_json()
    assert as_json["multilingual"] and "vi" in as_json["languages"]


def test_missing_model_names_the_file_and_never_downloads(
    tmp_path: Path, no_network: list[Any]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    _argos(models / "translate-zh_en-1_9.argosmodel", "zh", "en")
    _argos(models / "broken-ja.argosmodel", "ja", "en", tokenizer="bpe.model")
    settings = make_settings(tmp_path, models_dir=str(models), translate_engines=("*=local",))
    with pytest.raises(MissingModelError) as exc:
        engine_for(settings, "vi", "zh")
    message = str(exc.value)
    assert "translate-vi_zh-1_9.argosmodel" in message and str(models) in message
    assert "opus-mt-vi-zh" in message and "Installed pairs: zh→en" in message
    assert exc.value.models_dir == models and exc.value.exit_code == 2
    with pytest.raises(
        MissingModelError, match=r"broken-ja\.argosmodel is there but cannot be used"
    ):
        LocalEngine(models).translate(["こんにちは"], "ja", "en")
    with pytest.raises(MissingModelError, match="does not exist yet"):
        LocalEngine(tmp_path / "absent").translate(["你好"], "zh", "en")
    assert no_network == []


def test_reports_seam_uses_desk_engines(tmp_path: Path, waits: Waits) -> None:
    with FakeServer(libretranslate()) as srv:
        settings = make_settings(
            tmp_path,
            translation_engine="libretranslate",
            libretranslate_url=srv.url,
            translate_retries=0,
        )
        translator = translator_for(settings)
        assert translator is not None and translator.name == "libretranslate"
        assert translator.translate(["Xin chào", "Cảm ơn"], "vi", "en") == [
            "[en] Xin chào",
            "[en] Cảm ơn",
        ]
        assert translator.translate(["Hola"], "es", "en") == [None]  # no pair: None, no crash
        srv.failures += [Answer(500, {"error": "down"})] * 2  # the batch, then title "a"
        assert translator.translate(["a", "b"], "vi", "en") == [None, "[en] b"]
    auto = translator_for(make_settings(tmp_path, translation_engine="auto"))
    assert auto is not None and auto.translate(["x"], "zh", "en") == [None]  # nothing configured
    with pytest.raises(UsageError, match=r"unknown translation engine 'nope'.*local"):
        translator_for(make_settings(tmp_path, translation_engine="nope"))
    assert translator_for(make_settings(tmp_path)) is None


def test_importing_the_engines_loads_no_model_library() -> None:
    code = (
        "import sys, hoasen.translate.engines, hoasen.reports.translate; "
        "print(sorted(m for m in ('ctranslate2', 'sentencepiece') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


class RecordingTranslator:
    """Stands in for ctranslate2.Translator: echoes each source (target prefix first, source
    language token and </s> dropped) and records the call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def translate_batch(self, tokens: list[list[str]], **options: Any) -> list[Any]:
        self.calls.append({"tokens": tokens, **options})
        prefixes = options.get("target_prefix") or [[] for _ in tokens]
        out = []
        for source, prefix in zip(tokens, prefixes, strict=True):
            body = [t for t in source if t != "</s>" and not t.endswith(("_Latn", "_Hans", "__"))]
            out.append(type("Result", (), {"hypotheses": [[*prefix, *body, "</s>"]]})())
        return out


def test_local_engine_tokens_prefixes_and_reassembly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sentencepiece

    from hoasen.translate.engines import local

    corpus = ["xin chào các bạn", "你好 世界", "hello world again", "cảm ơn nhiều"] * 20
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_prefix=str(tmp_path / "sp"),
        vocab_size=40,
        hard_vocab_limit=False,
        character_coverage=1.0,
        minloglevel=2,
    )
    sp = sentencepiece.SentencePieceProcessor(model_file=str(tmp_path / "sp.model"))
    models = tmp_path / "models"
    _ct2(models / "nllb", ["<s>", "</s>", "vie_Latn", "zho_Hans", "eng_Latn"], "x")
    _ct2(models / "m2m", ["__zh__", "__vi__", "__en__"], "sentencepiece.bpe.model")
    translator = RecordingTranslator()

    def fake_open(self: LocalEngine, model: Any) -> Any:
        return local._Loaded(model, translator, sp, sp, add_eos=True, eos="</s>")

    monkeypatch.setattr(LocalEngine, "_open", fake_open)
    engine = LocalEngine(models)
    assert engine.model_for("vi", "zh").name == "m2m"  # nllb lacks its sentencepiece.bpe.model
    out = engine.translate(
        ["Xin chào. Cảm ơn! Xin chào.", "", "Xin chào.\n\nCảm ơn"], "vi", "zh-Hans"
    )
    assert out == ["Xin chào.Cảm ơn!Xin chào.", "", "Xin chào.\n\nCảm ơn"]  # zh: no spaces
    (call,) = translator.calls
    assert len(call["tokens"]) == 3  # "Xin chào." once, "Cảm ơn!", "Cảm ơn"
    assert all(t[0] == "__vi__" and t[-1] == "</s>" for t in call["tokens"])
    assert call["target_prefix"] == [["__zh__"]] * 3
    assert call["replace_unknowns"] and call["max_batch_size"] == engine.batch_size

    loaded = local._Loaded(engine.model_for("vi", "zh"), translator, sp, sp, True, "</s>")
    nllb = local.LocalModel("n", models / "nllb", "nllb", frozenset({("vi", "zh")}))
    loaded.model = nllb
    tokens, prefix = loaded.encode("xin chào", "vi", "zh-Hant")
    assert tokens[0] == "vie_Latn" and tokens[-1] == "</s>" and prefix == ["zho_Hant"]
    assert loaded.decode(["zho_Hant", "▁xin", "▁chào", "</s>"], prefix) == "xin chào"
    opus = local.LocalModel(
        "o",
        models,
        "opus-mt",
        frozenset({("zh", "vi")}),
        options={"target_tokens": {"vi": ">>vie<<"}},
    )
    loaded.model, loaded.add_eos = opus, False  # config.json says the model adds </s> itself
    tokens, prefix = loaded.encode("你好", "zh", "vi")
    assert tokens[0] == ">>vie<<" and tokens[-1] != "</s>" and prefix == []
