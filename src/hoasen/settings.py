"""One typed settings object, read from defaults, then `hoasen.toml`, then `HOASEN_*` env vars.

Every setting has a name, a type, a default and a help text; `docs/settings.md` lists them all
(a test checks the list is complete).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hoasen.errors import ConfigError

DEFAULT_LANGUAGES = ("vi", "en", "zh", "ja", "ko", "fr", "de", "ru", "es", "sv", "th", "id")


def _setting(default: Any, help: str, secret: bool = False) -> Any:
    """Declare a setting with its help text (kept in the dataclass field metadata). A secret
    (an API key) is left out of the repr and masked by `Settings.redacted()`."""
    meta = {"help": help, "secret": secret}
    if isinstance(default, list | tuple):
        value = tuple(default)
        return field(default_factory=lambda: value, metadata=meta, repr=not secret)
    return field(default=default, metadata=meta, repr=not secret)


@dataclass(frozen=True)
class Settings:
    """All of hoasen's settings. Env var for `foo_bar` is `HOASEN_FOO_BAR`."""

    database_url: str = _setting(
        "sqlite:///hoasen.db", "Database URL: sqlite:///PATH or postgresql://USER@HOST/DB."
    )
    languages: tuple[str, ...] = _setting(
        DEFAULT_LANGUAGES,
        "ISO 639-1 codes the language detector chooses among (comma-separated in env).",
    )
    http_timeout: float = _setting(20.0, "Seconds before an HTTP request is abandoned.")
    http_max_bytes: int = _setting(10_000_000, "Largest response body fetched, in bytes.")
    http_max_redirects: int = _setting(5, "Most redirects followed for one request.")
    http_user_agent: str = _setting(
        "hoasen/0.1 (+https://github.com/hoasen-desk/hoasen; news monitoring)",
        "User-Agent sent with every request; robots.txt rules are matched against it.",
    )
    http_allow_private: bool = _setting(
        False,
        "Allow fetching private, loopback and link-local addresses (off: refused as unsafe).",
    )
    http_respect_robots: bool = _setting(True, "Obey robots.txt of every fetched site.")
    http_host_delay: float = _setting(
        1.0, "Seconds between two requests to the same host (politeness)."
    )
    http_max_crawl_delay: float = _setting(
        60.0,
        "A site's robots.txt Crawl-delay is honoured (when longer than http_host_delay) up to "
        "this many seconds; 0 ignores Crawl-delay.",
    )
    http_concurrency: int = _setting(32, "Most requests in flight at once while polling.")
    http_per_host: int = _setting(2, "Most requests in flight at once to one host.")
    feed_max_entries: int = _setting(100, "Most entries followed per feed and poll.")
    default_poll_minutes: int = _setting(60, "Poll interval for new sources, in minutes.")
    dedupe_threshold: float = _setting(
        0.55, "Estimated Jaccard similarity above which an article is a near duplicate."
    )
    boilerplate_min_docs: int = _setting(
        4, "A line seen in this many articles of one source is learned as its boilerplate."
    )
    search_limit: int = _setting(20, "Default number of search results.")
    office_name: str = _setting(
        "Foreign Information Office", "The office's name, printed at the head of every report."
    )
    exchange_authority: str = _setting(
        "hoasen.local",
        "Host name in the guids of documents sent to partners (urn:newsml:HOST:DATE:ID); "
        "keep it stable, partners recognise updates by it.",
    )
    office_country: str = _setting(
        "VN", "The office's country (ISO code): sources from elsewhere count as foreign."
    )
    office_timezone: str = _setting(
        "Asia/Ho_Chi_Minh",
        "Time zone of report periods: a day, week or month starts at midnight here.",
    )
    report_number_pattern: str = _setting(
        "{seq}/BC-TTTT-{code}",
        "Report numbers: {seq} counts per kind and year, {year}, {code} the kind's code "
        "(N daily, T weekly, TH monthly, CD thematic, K custom).",
    )
    report_dir: str = _setting("reports", "Folder where `hoasen report` writes report files.")
    translation_engine: str = _setting(
        "",
        "Machine translation of foreign titles in reports: an engine name (local, "
        "libretranslate, deepl, openai) or auto (the translate_engines choice per pair); "
        "empty: none configured.",
    )
    translate_engines: tuple[str, ...] = _setting(
        (),
        "Translation engine per language pair: SOURCE-TARGET=ENGINE items such as zh-en=local, "
        "vi-zh=deepl, *=libretranslate (* is any language; use > between codes with a region, "
        "zh-Hant>en=local); engines: local, libretranslate, deepl, openai. A pair no engine "
        "has directly goes through English. Empty: none configured.",
    )
    models_dir: str = _setting(
        "models",
        "Folder of local translation models the operator copies in (Argos Translate "
        ".argosmodel packages, CTranslate2 conversions of OPUS-MT, NLLB-200, M2M-100); nothing "
        "is ever downloaded. See docs/translation.md.",
    )
    translate_threads: int = _setting(
        0, "CPU threads one local translation uses (0: every core, at most 4)."
    )
    translate_timeout: float = _setting(
        120.0,
        "Seconds before a request to a translation API is abandoned (a chat model on a CPU "
        "can take a while for a batch).",
    )
    translate_retries: int = _setting(
        3,
        "Times a translation API request is retried after a 429 or 5xx reply, waiting twice as "
        "long each time (a Retry-After header is respected, up to 30 s).",
    )
    libretranslate_url: str = _setting(
        "", "Base URL of a LibreTranslate server, e.g. http://127.0.0.1:5000 (empty: none)."
    )
    libretranslate_api_key: str = _setting(
        "", "LibreTranslate API key, when the server asks for one. Secret: never shown back.", True
    )
    deepl_api_key: str = _setting(
        "",
        "DeepL API key (empty: DeepL not configured); a key ending in :fx uses the free API. "
        "Secret: never shown back.",
        True,
    )
    deepl_api_url: str = _setting(
        "",
        "DeepL API base URL (empty: https://api-free.deepl.com for :fx keys, "
        "https://api.deepl.com otherwise).",
    )
    openai_base_url: str = _setting(
        "",
        "OpenAI-compatible chat completions server (Ollama, vLLM, llama.cpp), e.g. "
        "http://127.0.0.1:11434/v1 (empty: none).",
    )
    openai_api_key: str = _setting(
        "",
        "Bearer key for the OpenAI-compatible server, if it needs one. Secret: never shown back.",
        True,
    )
    openai_model: str = _setting(
        "", "Model the OpenAI-compatible server translates with, e.g. qwen2.5:7b-instruct."
    )
    smtp_url: str = _setting(
        "",
        "SMTP server for outgoing mail (exchange packages, reports, campaigns): "
        "smtp+starttls://USER:PASSWORD@HOST:587, smtps://USER:PASSWORD@HOST:465 or "
        "smtp://HOST:25 (unencrypted, loopback only); user and password URL-encoded. Empty: no "
        "server, every message is written as an .eml file to mail_outbox_dir instead. Secret: "
        "never shown back.",
        True,
    )
    mail_from: str = _setting(
        "hoasen@localhost",
        "Sender address of outgoing mail, e.g. Press Office <press@example.org>.",
    )
    mail_outbox_dir: str = _setting(
        "outbox",
        "Folder where outgoing mail is written as .eml files when no smtp_url is set (the "
        "embedded default: nothing leaves the machine until SMTP is configured).",
    )
    mail_rate: float = _setting(
        0.0, "Most messages sent per second by a campaign (0: as fast as the server takes them)."
    )
    public_base_url: str = _setting(
        "",
        "Public address of the desk, e.g. https://press.example.org, for links in mail "
        "(unsubscribe, confirm) and feeds; empty: http://web_host:web_port.",
    )
    mail_token_key: str = _setting(
        "",
        "Key that signs the confirm, unsubscribe and preferences links in mailing-list mail "
        "(HMAC-SHA256); changing it invalidates every link already sent. Empty: a key is "
        "generated once and kept in the database, so links stay valid across restarts. "
        "Secret: never shown back.",
        True,
    )
    mail_bounce_secret: str = _setting(
        "",
        "Key of the bounce webhook POST /api/v1/mail/bounces: the sender signs each body with "
        "HMAC-SHA256 and sends X-Hoasen-Signature: sha256=<hex>. Empty: the webhook is off "
        "(every call is refused). Secret: never shown back.",
        True,
    )
    exchange_dir: str = _setting(
        "exchange", "Folder for exchange work: the default outbox of folder transports."
    )
    edition_site_dir: str = _setting(
        "site",
        "Folder `hoasen edition site` and publishing (`hoasen edition publish --site`) write the "
        "static site of published editions to.",
    )
    exchange_secrets: tuple[str, ...] = _setting(
        (),
        "Named secrets of exchange transports and inboxes, NAME=VALUE items (comma-separated "
        "in env): an SFTP password, an HTTP push or inbox HMAC key; plans name them. Secret: "
        "never shown back.",
        True,
    )
    sftp_known_hosts: str = _setting(
        "",
        "known_hosts file that SFTP servers' host keys are checked against (empty: "
        "~/.ssh/known_hosts); an unknown or changed host key is refused.",
    )
    delivery_attempts: int = _setting(
        5, "Times a delivery (package, mail, post) is tried before it is marked failed."
    )
    delivery_backoff: float = _setting(
        30.0,
        "Seconds before the first retry of a failed delivery; each further retry waits twice "
        "as long (at most an hour).",
    )
    queue_url: str = _setting(
        "",
        "Task queue shared by the workers: redis://HOST:6379/0 lets any number of `hoasen "
        "worker` processes on any number of machines share the work. Empty: an embedded SQLite "
        "queue file (queue_file), for workers on this machine. Secret: never shown back.",
        True,
    )
    queue_file: str = _setting(
        "",
        "File of the embedded SQLite queue when queue_url is empty; empty: next to a SQLite "
        "database (NAME.db -> NAME.queue.db), else hoasen-queue.db in the working folder.",
    )
    worker_concurrency: int = _setting(
        1, "Tasks one `hoasen worker` runs at once (threads) unless --concurrency is given."
    )
    scheduler_interval: float = _setting(
        30.0,
        "Seconds between two looks of the scheduler at what is due (sources to poll, reports, "
        "exchange plans, posts, alerts); one worker looks at a time.",
    )
    job_lease: float = _setting(
        300.0,
        "Seconds a running task holds its work without a sign of life before another worker "
        "takes it over (a worker renews it while it runs); a queued task left that long with "
        "no worker is sent again.",
    )
    job_attempts: int = _setting(
        3, "Tries of a failing task (with doubling waits from 30 s) before it is marked failed."
    )
    job_keep_days: int = _setting(
        30, "Days finished task runs are kept for the health page before they are deleted."
    )
    web_host: str = _setting("127.0.0.1", "Address `hoasen serve` listens on.")
    web_port: int = _setting(8000, "Port `hoasen serve` listens on.")
    web_session_hours: int = _setting(
        12, "Hours a web login lasts before the user must sign in again."
    )
    web_upload_max_mb: int = _setting(20, "Largest file accepted by a web or API upload, in MB.")
    web_search_concurrency: int = _setting(
        1,
        "Searches one server process runs at a time; the others wait their turn in order. "
        "Searching is CPU work: more at once only share the same core and all finish later.",
    )
    web_secure_cookies: bool = _setting(
        False,
        "Always mark the session cookie Secure (on behind an HTTPS proxy; it is set anyway "
        "when the request itself is HTTPS).",
    )
    office_language: str = _setting(
        "vi", "The office's own language: story titles and names are shown in it when possible."
    )
    analyze_on_ingest: bool = _setting(
        True, "Run the analysis stages (entities, figures, topics, stories) right after ingest."
    )
    ingest_processes: int = _setting(
        0,
        "Processes that parse pages in a large ingest (more than one batch of 50 items): 0 is "
        "one per CPU core (at most 4: each takes ~0.5-0.9 GB), 1 parses in the ingesting process "
        "itself.",
    )
    analyze_catch_up: int = _setting(
        500,
        "Most older articles each ingest or fetch also analyses when their stages are missing"
        " or stale (after a crash, or new rules); 0 turns the catch-up off.",
    )
    story_window_days: int = _setting(
        7, "A new article joins a story only if the story had an article this many days around it."
    )
    topics_taxonomy: str = _setting(
        "", "TOML file of topics with keyword seeds (empty: the bundled default taxonomy)."
    )
    topics_model: str = _setting(
        "",
        "Folder of a model made by `hoasen topics train` used to tag articles (empty: the "
        "taxonomy's zero-shot model).",
    )

    def secret(self, name: str) -> str:
        """The exchange secret called `name` (from exchange_secrets); ConfigError when unset."""
        for item in self.exchange_secrets:
            key, sep, value = item.partition("=")
            if sep and key.strip() == name:
                return value.strip()
        raise ConfigError(
            f"no exchange secret named {name!r}: add {name}=VALUE to exchange_secrets "
            "(HOASEN_EXCHANGE_SECRETS)"
        )

    def redacted(self) -> dict[str, Any]:
        """Every setting by name, with secrets (API keys) masked: safe to print or log."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = REDACTED if f.metadata.get("secret") and value else value
        return out


REDACTED = "********"


def secret_settings() -> list[str]:
    """Names of the settings that hold secrets and are never shown back."""
    return [f.name for f in fields(Settings) if f.metadata.get("secret")]


def setting_docs() -> list[tuple[str, str, Any]]:
    """(name, help, default) for every setting, in declaration order."""
    return [(f.name, f.metadata["help"], _default(f)) for f in fields(Settings)]


def _default(f: Any) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def _coerce(name: str, raw: Any, example: Any) -> Any:
    """Turn a TOML or env value into the type of the setting's default."""
    try:
        if isinstance(example, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"expected true or false, got {raw!r}")
        if isinstance(example, int):
            return int(raw)
        if isinstance(example, float):
            return float(raw)
        if isinstance(example, tuple):
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
        return str(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {name}: {exc}") from exc


def load_settings(
    config_path: Path | None = None,
    env: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings: defaults < hoasen.toml < HOASEN_* environment < explicit overrides."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    path = config_path or Path(env.get("HOASEN_CONFIG", "hoasen.toml"))
    known = {f.name: _default(f) for f in fields(Settings)}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        section = data.get("hoasen", data)
        for key, raw in section.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            values[key] = _coerce(key, raw, known[key])
    for name, example in known.items():
        raw_env = env.get(f"HOASEN_{name.upper()}")
        if raw_env is not None:
            values[name] = _coerce(name, raw_env, example)
    for name, value in overrides.items():
        if value is None:
            continue
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = value
    return replace(Settings(), **values)
