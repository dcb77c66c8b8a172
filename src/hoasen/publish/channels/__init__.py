"""Channel adapters for publishing: Facebook Page, Zalo OA, Telegram channel, Mastodon account
and Weibo, plus a WordPress site, each implementing `ChannelAdapter` (check, describe, limit,
fit, send, dry_run).

`make_channel(kind)` picks one. Each adapter sends one post per `send` over the caller's
httpx.Client, raises DeliveryError (transient or final), RateLimited (with retry_after) or
TokenRefused in plain words, never with a token in it, and says through `idempotent` whether
the channel itself recognises a repeated request (only Mastodon does).
"""

from __future__ import annotations

from collections.abc import Callable

from hoasen.errors import UsageError
from hoasen.publish.channels.base import (
    ChannelAdapter,
    Post,
    RateLimited,
    Receipt,
    TokenRefused,
)
from hoasen.publish.channels.facebook import FacebookChannel
from hoasen.publish.channels.mastodon import MastodonChannel
from hoasen.publish.channels.telegram import TelegramChannel
from hoasen.publish.channels.weibo import WeiboChannel
from hoasen.publish.channels.wordpress import WordPressChannel
from hoasen.publish.channels.zalo import ZaloChannel

CHANNEL_KINDS = ("facebook", "zalo", "telegram", "mastodon", "weibo")
# Every kind a channel may have: the social channels, then publishing sites (WordPress).
PUBLISH_KINDS = (*CHANNEL_KINDS, "wordpress")

_CHANNELS: dict[str, Callable[[], ChannelAdapter]] = {
    "facebook": FacebookChannel,
    "zalo": ZaloChannel,
    "telegram": TelegramChannel,
    "mastodon": MastodonChannel,
    "weibo": WeiboChannel,
    "wordpress": WordPressChannel,
}


def make_channel(kind: str) -> ChannelAdapter:
    """The adapter for `kind` (one of PUBLISH_KINDS); UsageError for any other."""
    factory = _CHANNELS.get(str(kind).strip().lower())
    if factory is None:
        raise UsageError(
            f"unknown channel {kind!r}: choose {', '.join(PUBLISH_KINDS[:-1])} "
            f"or {PUBLISH_KINDS[-1]}"
        )
    return factory()


__all__ = [
    "CHANNEL_KINDS",
    "PUBLISH_KINDS",
    "ChannelAdapter",
    "FacebookChannel",
    "MastodonChannel",
    "Post",
    "RateLimited",
    "Receipt",
    "TelegramChannel",
    "TokenRefused",
    "WeiboChannel",
    "WordPressChannel",
    "ZaloChannel",
    "make_channel",
]
