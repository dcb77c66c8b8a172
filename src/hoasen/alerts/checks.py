"""Checking an alert before it is stored: its name, language, channels, e-mail address, Telegram
channel, mode, digest time and spike, and what it watches, resolved to a stable id (a query
that has words to search for, an entity's gazetteer id, a partner's id, a topic's id)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoasen.errors import UsageError
from hoasen.mail import check_address
from hoasen.publish.channels import TelegramChannel

if TYPE_CHECKING:
    from hoasen.desk import Desk

KINDS = ("query", "entity", "partner", "topic", "story")
CHANNELS = ("desk", "email", "telegram")
MODES = ("immediate", "digest")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_telegram(value: str) -> tuple[str, str]:
    """(channel name, chat id or "") of an alert's telegram setting "CHANNEL[:CHAT]"."""
    name, _, chat = str(value or "").strip().partition(":")
    return name.strip(), chat.strip()


def digest_time(value: str) -> str:
    """HH:MM (office time) normalised; UsageError otherwise."""
    found = _HHMM.match(str(value or "").strip())
    if found is None:
        raise UsageError(f"a digest time is HH:MM in office time, e.g. 08:00, not {value!r}")
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def check(desk: Desk, values: dict[str, Any]) -> dict[str, Any]:
    """The alert's settings checked and normalised, as columns."""
    name = " ".join(str(values.get("name") or "").split())
    if not name or len(name) > 200:
        raise UsageError("an alert needs a name of 1 to 200 characters")
    language = (values.get("language") or "").strip().lower() or None
    if language is not None and language not in desk.settings.languages:
        known = ", ".join(desk.settings.languages)
        raise UsageError(f"unknown language {language!r}; configured languages: {known}")
    channels = [c.strip().lower() for c in values.get("channels") or () if c.strip()]
    wrong = [c for c in channels if c not in CHANNELS]
    if wrong or not channels:
        raise UsageError(f"an alert delivers to one or more of {', '.join(CHANNELS)}")
    email = (values.get("email") or "").strip() or None
    if email is not None:
        email = check_address(email)
    elif "email" in channels:
        raise UsageError("e-mail delivery needs an address (--email)")
    telegram = (values.get("telegram") or "").strip() or None
    if telegram is not None:
        telegram = _check_telegram(desk, telegram)
    elif "telegram" in channels:
        raise UsageError("Telegram delivery needs a channel (--telegram CHANNEL[:CHAT])")
    mode = values.get("mode") or "immediate"
    if mode not in MODES:
        raise UsageError(f"an alert's mode is immediate or digest, not {mode!r}")
    spike_count, spike_hours = int(values["spike_count"]), int(values["spike_hours"])
    if not 2 <= spike_count <= 1000 or not 1 <= spike_hours <= 720:
        raise UsageError("a story spike is 2 to 1000 articles within 1 to 720 hours")
    return {
        "name": name,
        "kind": values["kind"],
        "language": language,
        "channels": [c for c in CHANNELS if c in channels],
        "email": email,
        "telegram_chat": telegram,
        "mode": mode,
        "digest_at": digest_time(values.get("digest_at") or "08:00"),
        "spike_count": spike_count,
        "spike_hours": spike_hours,
        "active": bool(values.get("active", True)),
    }


def _check_telegram(desk: Desk, value: str) -> str:
    """CHANNEL[:CHAT] naming a configured Telegram channel (and a valid chat id)."""
    name, chat = parse_telegram(value)
    channel = desk.posts.channel(name)
    if channel.kind != "telegram":
        raise UsageError(f"channel {channel.name!r} is a {channel.kind} channel, not telegram")
    if chat:
        TelegramChannel().check({**channel.config, "chat_id": chat})
    return f"{channel.name}:{chat}" if chat else channel.name


def target_of(desk: Desk, kind: str, target: str, language: str | None) -> str:
    """The stored target: a checked query, an entity id, a partner id, a topic id."""
    text = " ".join(str(target or "").split())
    if kind == "story":
        return "*"
    if not text:
        raise UsageError(f"a {kind} alert needs a {kind} to watch")
    if kind == "query":
        if len(text) > 500:
            raise UsageError("an alert's query is at most 500 characters")
        if desk.search_index.analyzer.plan_query(text, language).empty:
            raise UsageError(f"nothing to search for in {text!r}: type some words")
        return text
    if kind == "entity":
        return desk.find_entity(text).id
    if kind == "partner":
        return str(desk.partners.partner(text).id)
    return _topic(desk, text)


def _topic(desk: Desk, text: str) -> str:
    from hoasen.analyze.topics import Taxonomy

    path = desk.settings.topics_taxonomy
    taxonomy = Taxonomy.load(Path(path) if path else None)
    key = text.casefold()
    for topic in taxonomy:
        if key == topic.id or key in (n.casefold() for n in topic.names.values()):
            return topic.id
    raise UsageError(f"unknown topic {text!r}; topics: {', '.join(taxonomy.ids)}")
