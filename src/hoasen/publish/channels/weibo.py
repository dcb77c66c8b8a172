"""Weibo: POST https://api.weibo.com/2/statuses/share.json with `access_token` and `status`
(form-encoded), the status holding a link to the app's registered safe domain (安全域名).

share.json documents "不超过140个汉字" (at most 140 Chinese characters), Weibo counting two
half-width (ASCII) characters as one: measure() counts CJK and other wide characters as 1 and
ASCII as 0.5. Accounts allowed longer posts can raise max_chars (up to 2,000).

Errors come as {"error", "error_code", "request"}: 21301/21314-21319/21327/21332 are refused
tokens, 10022/10023/10024 (and 20016, too many posts) are rate limits, 10001-10003 and
10009-10011 are Weibo-side failures (transient); everything else is final with Weibo's message.

Idempotency: none, so `idempotent` is False and a timeout after sending is final. Weibo refuses
a status identical to a recent one (20017/20019/20111); that refusal is reported as "may already
be published", since it is what a repeated post looks like.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from hoasen.errors import UsageError
from hoasen.publish.channels.base import (
    ChannelAdapter,
    Post,
    Receipt,
    Settings,
    brief,
    final,
    host_of,
    render,
    reply_json,
    retry_after,
    scrub,
)

DEFAULT_API = "https://api.weibo.com"
LIMIT = 140  # share.json: at most 140 Chinese characters (two ASCII characters count as one)
MAX_LIMIT = 2000

TOKEN_CODES = frozenset({21301, 21314, 21315, 21316, 21317, 21319, 21327, 21332})
RATE_CODES = frozenset({10022, 10023, 10024, 20016})
TEMPORARY_CODES = frozenset({10001, 10002, 10003, 10009, 10010, 10011})
REPEAT_CODES = frozenset({20017, 20019, 20111})
DOMAIN_CODES = frozenset({10017, 20401})

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

log = logging.getLogger(__name__)


class WeiboChannel(ChannelAdapter):
    """Shares a link with a comment on a Weibo account."""

    kind = "weibo"
    label = "Weibo"
    token_name = "the Weibo access token"
    idempotent = False

    _KEYS = ("safe_domain", "api_url", "rip", "max_chars")

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"safe_domain": the app's registered domain, "api_url", "rip": the office's public IP
        (share.json asks for the poster's real IP), "max_chars": 140 by default}."""
        s = Settings(config, self.kind, self._KEYS)
        domain = s.text("safe_domain", hint=" (the app's registered safe domain, 安全域名)")
        domain = domain.lower().rstrip(".")
        if not _DOMAIN.match(domain):
            raise UsageError(f"weibo channel: 'safe_domain' must be a domain name: {domain!r}")
        rip = s.text("rip", "")
        if rip:
            try:
                ipaddress.ip_address(rip)
            except ValueError:
                raise UsageError(f"weibo channel: 'rip' must be an IP address: {rip!r}") from None
        return {
            "safe_domain": domain,
            "api_url": s.url("api_url", DEFAULT_API),
            "rip": rip,
            "max_chars": s.integer("max_chars", LIMIT, 1, MAX_LIMIT),
        }

    def describe(self, config: Mapping[str, Any]) -> str:
        """ "Weibo account (api.weibo.com), links on example.cn"."""
        cfg = self.check(config)
        return f"Weibo account ({host_of(cfg['api_url'])}), links on {cfg['safe_domain']}"

    def limit(self, config: Mapping[str, Any]) -> int:
        """140 (Chinese characters) unless max_chars says otherwise."""
        return int(self.check(config)["max_chars"])

    def measure(self, text: str) -> float:
        """Weibo's count: ASCII characters are half a character, all others one."""
        return sum(0.5 if ord(c) < 128 else 1.0 for c in text)

    def visible(self, post: Post, config: Mapping[str, Any]) -> str:
        """The text, then the link after a space (Weibo turns it into a short link)."""
        return " ".join(p.strip() for p in (post.text, post.link or "") if p.strip())

    def validate(self, post: Post, cfg: Mapping[str, Any]) -> None:
        """UsageError unless the post links to the safe domain (Weibo refuses it otherwise)."""
        link = (post.link or "").strip()
        if not link:
            raise UsageError(
                f"Weibo shares need a link on the app's safe domain {cfg['safe_domain']}"
            )
        parts = urlsplit(link)
        host = (parts.hostname or "").lower().rstrip(".")
        domain = cfg["safe_domain"]
        if parts.scheme.lower() not in {"http", "https"} or not (
            host == domain or host.endswith("." + domain)
        ):
            raise UsageError(
                f"Weibo only shares links on the app's safe domain {domain}: "
                f"{brief(link, 120)} is not on it"
            )

    def form(self, post: Post, cfg: Mapping[str, Any]) -> dict[str, str]:
        """The share parameters, without the token."""
        fields = {"status": self.visible(post, cfg)}
        if cfg["rip"]:
            fields["rip"] = cfg["rip"]
        return fields

    def send(
        self, post: Post, config: Mapping[str, Any], secret: str, client: httpx.Client
    ) -> Receipt:
        """One share; the receipt holds the status id and its weibo.com URL."""
        cfg = self.checked(config)
        token = self.need_secret(secret)
        post = self.prepared(post, cfg)
        try:
            self.validate(post, cfg)
        except UsageError as exc:
            raise final(str(exc)) from None
        response = self.call(
            client,
            "POST",
            f"{cfg['api_url']}/2/statuses/share.json",
            secret=token,
            repeatable=False,
            data={"access_token": token, **self.form(post, cfg)},
        )
        receipt = self._receipt(response, token)
        log.info("posted to Weibo: %s", receipt.remote_id)
        return receipt

    def dry_run(self, post: Post, config: Mapping[str, Any]) -> str:
        """The share request, the token masked; UsageError when Weibo would refuse the link."""
        cfg = self.check(config)
        post = self.fit(post, cfg)
        self.validate(post, cfg)
        body = {"access_token": "<access token>", **self.form(post, cfg)}
        url = f"{cfg['api_url']}/2/statuses/share.json"
        return "Weibo (dry run, nothing sent)\n" + render("POST", url, body)

    def _receipt(self, response: httpx.Response, token: str) -> Receipt:
        status = response.status_code
        if 300 <= status < 400:
            raise self.redirected(response)
        data = reply_json(response)
        code = _code(data.get("error_code"))
        status_id = data.get("idstr") or data.get("id")
        if 200 <= status < 300 and code is None and status_id:
            raw = data.get("user")
            user: dict[str, Any] = raw if isinstance(raw, dict) else {}
            uid = user.get("idstr") or user.get("id")
            url = f"https://weibo.com/{uid}/{status_id}" if uid else None
            return Receipt(str(status_id), url=url, details={"mid": str(data.get("mid", ""))})
        detail = data.get("error") or response.reason_phrase
        shown = code if code is not None else status
        if code in TOKEN_CODES or (code is None and status == 401):
            raise self.refused(shown, detail, token)
        if code in RATE_CODES or status == 429:
            raise self.throttled(
                shown, detail, retry_after(response.headers.get("Retry-After")), token
            )
        if code in REPEAT_CODES:
            raise final(
                scrub(
                    f"Weibo refused it as a repeat of a recent post ({code}): {brief(detail)}; "
                    "it may already be published: check the account",
                    token,
                )
            )
        if code in DOMAIN_CODES:
            raise final(
                scrub(
                    f"Weibo refused the link ({code}): {brief(detail)}; the link must be on the "
                    "app's registered safe domain",
                    token,
                )
            )
        if code in TEMPORARY_CODES or status >= 500:
            raise self.rejected(shown, detail, token, transient=True)
        if 200 <= status < 300:
            raise final(
                f"Weibo answered {status} without a status id: it may have been posted; "
                "check the channel before retrying"
            )
        raise self.rejected(shown, detail, token, transient=False)


def _code(value: Any) -> int | None:
    """Weibo's error_code, which comes as a number or a string of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
