"""What every channel adapter shares: the post and receipt, the adapter interface, config checks,
text fitting at a sentence or word boundary, and sending one HTTP request with its failures sorted
into transient (retry), rate-limited (retry after N s) and final (hold for an operator).

An adapter never puts its secret (a token) in an exception message, a receipt, `describe()`, a
dry run or a log line: every message goes through `scrub()`, and transport exceptions (whose text
or request may carry a URL) are never chained to the errors raised here.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from hoasen.delivery.types import DeliveryError
from hoasen.errors import ConfigError, UsageError

ELLIPSIS = "…"
MASK = "********"

# Where a text may be cut: after a sentence end (Latin needs a space after it, CJK does not).
_SENTENCE_END = re.compile(r"(?:[.!?;…](?=\s)|[。！？；…])")
# What is trimmed from the end of a cut text before the ellipsis goes on.
_TRAILING = " \t\r\n,;:.!?-–—(\"'。，；：！？、…"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class Post:
    """One item to publish. `key` is the caller's idempotency key: the same post, the same key.
    `title` shows where a channel has room for one (Telegram in bold, Facebook's first line, the
    Zalo article's title); `image_url` is the Zalo article's cover; `language` goes to Mastodon."""

    text: str
    _: KW_ONLY
    key: str
    link: str | None = None
    title: str | None = None
    image_url: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if not str(self.key or "").strip():
            raise UsageError("a post needs an idempotency key (key=...)")


@dataclass(frozen=True)
class Receipt:
    """What a channel answered: the id of what was published and its public URL when known;
    `details` holds other ids worth keeping (a Zalo article id next to its broadcast id)."""

    remote_id: str
    url: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


class RateLimited(DeliveryError):
    """The channel asked us to slow down (HTTP 429 or its own rate-limit code): transient, with
    the wait the channel asked for in seconds when it said one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, transient=True)
        self.retry_after = retry_after


class TokenRefused(DeliveryError):
    """The channel refused the token (expired, revoked, wrong): final until someone renews it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


def final(message: str) -> DeliveryError:
    """A DeliveryError that retrying cannot fix."""
    return DeliveryError(message, transient=False)


def scrub(text: str, *secrets: str) -> str:
    """`text` with every secret masked (a server may echo a token back)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def brief(text: Any, size: int = 300) -> str:
    """One line of at most `size` characters from an API's message."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= size else line[: size - 1] + ELLIPSIS


def reply_json(response: httpx.Response) -> dict[str, Any]:
    """The reply's JSON object, or {} when it is not one (an HTML error page, nothing)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (seconds or an HTTP date) or an ISO 8601
    timestamp (Mastodon's X-RateLimit-Reset); None when absent or unreadable."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    when: datetime | None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# ----------------------------------------------------------------------------- text fitting


def shorten(text: str, fits: Callable[[str], bool]) -> str:
    """The longest start of `text` that, closed with "…", `fits`; cut after a sentence end or at
    a space when one is near enough (the last half), else between characters (CJK has no
    spaces). `fits("…")` must be true."""
    text = text.strip()
    lo, hi = 0, len(text)
    while lo < hi:  # invariant: fits(close(text[:lo]))
        mid = (lo + hi + 1) // 2
        if fits(_close(text[:mid])):
            lo = mid
        else:
            hi = mid - 1
    for cut in _cuts(text, lo):
        candidate = _close(text[:cut])
        if fits(candidate):
            return candidate
    return _close(text[:lo])


def _cuts(text: str, n: int) -> list[int]:
    """Cut points at or before n, best first: a sentence end, a space, n itself."""
    near = n // 2
    cuts: list[int] = []
    ends = [m.end() for m in _SENTENCE_END.finditer(text[: n + 1]) if m.end() <= n]
    if ends and ends[-1] >= near:
        cuts.append(ends[-1])
    between = n < len(text) and text[n].isspace()  # the cut already falls between words
    space = n if between else max(text.rfind(c, 0, n) for c in " \n\t")
    mid_word = 0 < n < len(text) and _wordish(text[n - 1]) and _wordish(text[n])
    if space >= near or (mid_word and space > 0):
        cuts.append(space)
    cuts.append(n)
    return cuts


def _wordish(char: str) -> bool:
    """A letter or digit of a space-separated script (not CJK, where any boundary is a word's)."""
    return char.isalnum() and not _is_wide(char)


def _is_wide(char: str) -> bool:
    code = ord(char)
    return (
        0x1100 <= code <= 0x11FF
        or 0x2E80 <= code <= 0xA4CF
        or 0xAC00 <= code <= 0xD7A3
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFF60
        or 0xFFE0 <= code <= 0xFFE6
        or 0x20000 <= code <= 0x3FFFD
    )


def _close(head: str) -> str:
    return head.rstrip(_TRAILING) + ELLIPSIS


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units (Telegram counts so: an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------- config checks


class Settings:
    """Reads one channel's config: `Settings(config, "telegram", allowed)`; each getter raises
    UsageError naming the channel and the setting."""

    def __init__(self, config: Mapping[str, Any], kind: str, allowed: Sequence[str]) -> None:
        if not isinstance(config, Mapping):
            raise UsageError(f"{kind} channel: the config must be a table of settings")
        unknown = sorted(str(k) for k in config if k not in allowed)
        if unknown:
            raise UsageError(
                f"{kind} channel: unknown setting {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(allowed)})"
            )
        self.config = config
        self.kind = kind

    def text(self, key: str, default: str | None = None, hint: str = "") -> str:
        """A text setting, stripped; its default when empty, else UsageError."""
        value = self.config.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is not None:
                return default
            raise UsageError(f"{self.kind} channel: {key!r} is required{hint}")
        if not isinstance(value, str):
            raise UsageError(f"{self.kind} channel: {key!r} must be text, not {value!r}")
        return value.strip()

    def number(self, key: str, default: float, low: float, high: float) -> float:
        """A number between low and high (inclusive)."""
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise UsageError(f"{self.kind} channel: {key!r} must be a number, not {value!r}")
        if not low <= value <= high:
            raise UsageError(f"{self.kind} channel: {key!r} must be {low:g} to {high:g}")
        return float(value)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        """A whole number between low and high (inclusive)."""
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{self.kind} channel: {key!r} must be a whole number, not {value!r}")
        if not low <= value <= high:
            raise UsageError(f"{self.kind} channel: {key!r} must be {low} to {high}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """A true/false setting."""
        value = self.config.get(key, default)
        if not isinstance(value, bool):
            raise UsageError(f"{self.kind} channel: {key!r} must be true or false, not {value!r}")
        return value

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        """One of `choices` (case-insensitive)."""
        value = self.text(key, default).lower()
        if value not in choices:
            raise UsageError(f"{self.kind} channel: {key!r} must be one of {', '.join(choices)}")
        return value

    def url(self, key: str, default: str | None = None, hint: str = "") -> str:
        """An https:// base URL without credentials, query or trailing slash (http:// only on
        this machine, for tests and local relays: a token must not cross a network in clear)."""
        url = self.text(key, default, hint).rstrip("/")
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            host = parts.hostname or ""
        except ValueError:
            host = ""
        if scheme not in {"http", "https"} or not host or any(c.isspace() for c in url):
            raise UsageError(f"{self.kind} channel: {key!r} must be an https:// URL: {url!r}")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise UsageError(
                f"{self.kind} channel: {key!r} takes no user, password, query or fragment "
                "(the token goes in the channel's secret)"
            )
        if scheme == "http" and not _loopback(host):
            raise UsageError(
                f"{self.kind} channel: {key!r} must use https:// (http:// only on this machine)"
            )
        return url


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    """host[:port] of a URL, for messages (never the path: Telegram's path holds its token)."""
    return urlsplit(url).netloc.rpartition("@")[2] or url


def render(method: str, url: str, body: Any, headers: Mapping[str, str] | None = None) -> str:
    """One request in words for a dry run: method, URL, headers, then the body as JSON."""
    lines = [f"{method} {url}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines.append(json.dumps(body, ensure_ascii=False, indent=2))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the adapter


class ChannelAdapter(ABC):
    """One social channel. `check` normalises a config, `fit` shortens a post to the channel's
    limit, `send` publishes once and returns a Receipt, `dry_run` says what `send` would send.

    `idempotent` tells the scheduler whether the channel itself recognises a repeated request
    (Mastodon's Idempotency-Key): only then may an ambiguous failure be retried automatically.
    """

    kind: ClassVar[str]
    label: ClassVar[str]  # the channel's name in messages: "Telegram"
    token_name: ClassVar[str]  # "the Telegram bot token"
    idempotent: ClassVar[bool] = False

    @abstractmethod
    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The config with defaults filled in; UsageError naming what is wrong or missing."""

    @abstractmethod
    def describe(self, config: Mapping[str, Any]) -> str:
        """Where posts go, in words, with no secret in it."""

    @abstractmethod
    def limit(self, config: Mapping[str, Any]) -> int:
        """The most characters (as the channel counts them) a post may have."""

    @abstractmethod
    def send(
        self, post: Post, config: Mapping[str, Any], secret: str, client: httpx.Client
    ) -> Receipt:
        """Publish the post once (fitted first); DeliveryError, RateLimited or TokenRefused on
        failure."""

    @abstractmethod
    def dry_run(self, post: Post, config: Mapping[str, Any]) -> str:
        """The request(s) `send` would make, in words, tokens masked; sends nothing."""

    def measure(self, text: str) -> float:
        """How long the channel counts `text` (characters unless the channel says otherwise)."""
        return len(text)

    def visible(self, post: Post, config: Mapping[str, Any]) -> str:
        """The text the channel counts against its limit: the text, then the link."""
        return "\n\n".join(p for p in (post.text.strip(), (post.link or "").strip()) if p)

    def fit(self, post: Post, config: Mapping[str, Any]) -> Post:
        """The post with its text shortened to the limit at a sentence or word boundary and
        closed with "…"; the link (and title) are kept whole. The same post when it fits."""
        cfg = self.check(config)
        cap = self.limit(cfg)

        def fits(text: str) -> bool:
            return self.measure(self.visible(replace(post, text=text), cfg)) <= cap

        if fits(post.text):
            return post
        if not fits(ELLIPSIS):
            raise UsageError(
                f"{self.label}: the link and title alone are longer than the {cap}-character "
                "limit: shorten them"
            )
        return replace(post, text=shorten(post.text, fits))

    # ------------------------------------------------------------------------- helpers

    def checked(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """check() at send time: a bad config is a final DeliveryError, not a crash."""
        try:
            return self.check(config)
        except (UsageError, ConfigError) as exc:
            raise final(str(exc)) from None

    def prepared(self, post: Post, config: Mapping[str, Any]) -> Post:
        """fit() at send time: a post that cannot be fitted is a final DeliveryError."""
        try:
            return self.fit(post, config)
        except (UsageError, ConfigError) as exc:
            raise final(str(exc)) from None

    def need_secret(self, secret: str) -> str:
        """The token, stripped; a final error when there is none."""
        if not secret or not secret.strip():
            raise final(f"no {self.token_name.removeprefix('the ')}: set the channel's secret")
        return secret.strip()

    def call(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        *,
        secret: str,
        repeatable: bool,
        what: str = "the post",
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request. A failure before the request left (refused connection, connect
        timeout) is transient; one after it may have arrived (read timeout, dropped connection)
        is transient only when `repeatable`, else final: the post may already be published."""
        where = host_of(url)
        try:
            return client.request(method, url, follow_redirects=False, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError) as e:
            reason = scrub(brief(str(e) or type(e).__name__, 200), secret)
            raise DeliveryError(f"cannot reach {self.label} at {where}: {reason}") from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
            problem = (
                "did not answer in time"
                if isinstance(e, httpx.TimeoutException)
                else f"dropped the connection ({type(e).__name__})"
            )
            if repeatable:
                raise DeliveryError(
                    f"{self.label} at {where} {problem} while sending {what}; it is safe to retry"
                ) from None
            raise final(
                f"{self.label} at {where} {problem} after {what} was sent: it may have been "
                "posted; check the channel before retrying"
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as e:
            reason = scrub(brief(str(e) or type(e).__name__, 200), secret)
            raise final(f"cannot send {what} to {self.label} at {where}: {reason}") from None

    def redirected(self, response: httpx.Response) -> DeliveryError:
        """The final error for a 3xx answer (an API does not redirect a POST; a wrong api_url)."""
        where = host_of(response.headers.get("Location", "?"))
        return final(
            f"{self.label} answered {response.status_code}, a redirect to {where}: "
            "check the channel's api_url"
        )

    def refused(self, code: Any, detail: Any, secret: str) -> TokenRefused:
        """The final error for a refused token: 'the Telegram bot token was refused (401): …'."""
        text = brief(detail) or "no reason given"
        return TokenRefused(
            scrub(
                f"{self.token_name} was refused ({code}): {text}; renew it and update the "
                "channel's secret",
                secret,
            )
        )

    def throttled(self, code: Any, detail: Any, wait: float | None, secret: str) -> RateLimited:
        """The rate-limit error, with the wait in seconds when the channel said one."""
        after = f"retry after {wait:g} s" if wait is not None else "retry later"
        text = brief(detail) or "too many requests"
        return RateLimited(
            scrub(f"{self.label} rate limit reached ({code}): {text}; {after}", secret),
            retry_after=wait,
        )

    def rejected(
        self, code: Any, detail: Any, secret: str, *, transient: bool, what: str = "the post"
    ) -> DeliveryError:
        """Any other refusal: final for a bad request, transient for a server-side failure."""
        text = brief(detail) or "no reason given"
        verb = f"could not take {what} now" if transient else f"refused {what}"
        return DeliveryError(
            scrub(f"{self.label} {verb} ({code}): {text}", secret), transient=transient
        )
