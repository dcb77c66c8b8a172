"""The post desk: publishing channels (a fan page, an official account, a WordPress site) and the
posts queued on them, from draft to approval, a due time in the channel's daily window, and one
send through the delivery queue.

Why the queue: it records every attempt, retries what can be retried with backoff, and its
idempotency key (the post's key) means a post already sent is never sent again, whichever
worker or command runs `send_due`. A channel stays in dry run until enabled: its posts are then
recorded as sent with `dry_run` set and what would have been sent, and nothing leaves the desk.

A channel's secret (its token or application password) stays in `exchange_secrets`: channels
keep only its name, and no row, message or document here carries its value.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from hoasen.delivery.queue import DeliveryQueue
from hoasen.delivery.types import Ack, DeliveryError, Payload, PayloadFile, Target
from hoasen.errors import ConfigError, NotFoundError, UsageError
from hoasen.publish.channels import ChannelAdapter, Post, RateLimited, make_channel
from hoasen.store.posts import COUNTED, ChannelRow, PostRow, PostStore
from hoasen.store.schema import utcnow

if TYPE_CHECKING:
    from hoasen.desk import Desk

KIND = "post"  # the delivery queue's kind for channel posts
PAYLOAD_NAME = "post.json"
MAX_PER_DAY = 50
LEAD_CHARS = 280  # a draft from an article takes its first sentences up to about this much
SAMPLE_TEXT = (
    "Thanh Hóa đón hơn 1,2 triệu lượt khách du lịch trong quý I. Đây là bài đăng thử của "
    "hoasen: không có gì được gửi đi."
)
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_SENTENCE = re.compile(r"(?<=[.!?…。！？])\s+|(?<=[。！？])")
_NAME = re.compile(r"^[\w .@-]{1,120}$")


@dataclass(frozen=True)
class SendResult:
    """What `send_due` did with one post: sent, dry run, retrying, failed or skipped."""

    post: PostRow
    outcome: str
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        """The result as JSON."""
        return {"post": self.post.as_json(), "outcome": self.outcome, "message": self.message}


@dataclass(frozen=True)
class ChannelTest:
    """A channel's test: where it posts and what a sample post would send (nothing sent)."""

    channel: ChannelRow
    where: str
    request: str

    def as_json(self) -> dict[str, Any]:
        """The test as JSON."""
        return {"channel": self.channel.name, "where": self.where, "request": self.request}


def parse_window(window: str) -> tuple[time, time]:
    """(start, end) of "08:00-17:30"; UsageError unless start is before end."""
    m = _WINDOW.match(window or "")
    if not m:
        raise UsageError(f"a window is two times such as 08:00-17:30, not {window!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise UsageError(f"a window's times run 00:00 to 23:59, not {window!r}")
    start, end = time(h1, m1), time(h2, m2)
    if start >= end:
        raise UsageError(f"a window starts before it ends: {window!r}")
    return start, end


def lead(text: str, size: int = LEAD_CHARS) -> str:
    """The first sentences of `text`, up to about `size` characters (at least one sentence)."""
    out = ""
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if not sentence.strip():
            continue
        if out and len(out) + len(sentence) + 1 > size:
            break
        out = f"{out} {sentence}".strip()
    return out


# ----------------------------------------------------------------------------- the transport


def post_payload(post: PostRow | Post) -> Payload:
    """The post as one JSON file: what the queue hands to the channel transport."""
    doc = {
        "key": post.key,
        "text": post.text,
        "title": post.title or None,
        "link": post.link or None,
        "image_url": post.image_url or None,
        "language": post.language or None,
    }
    data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return Payload((PayloadFile(PAYLOAD_NAME, "application/json", data),))


def payload_post(payload: Payload) -> Post:
    """The Post back from `post_payload`'s file; a final DeliveryError when it is not there."""
    for f in payload.files:
        if f.name == PAYLOAD_NAME:
            try:
                doc = json.loads(f.data.decode("utf-8"))
                return Post(
                    doc["text"],
                    key=doc["key"],
                    link=doc.get("link"),
                    title=doc.get("title"),
                    image_url=doc.get("image_url"),
                    language=doc.get("language"),
                )
            except (ValueError, KeyError, TypeError, UsageError) as exc:
                raise DeliveryError(
                    f"the queued post is unreadable: {exc}", transient=False
                ) from None
    raise DeliveryError("the queued delivery holds no post", transient=False)


class ChannelTransport:
    """A channel adapter as the delivery queue's Transport: `deliver` rebuilds the Post from the
    payload, sends it once and answers the receipt as JSON; a RateLimited wait is kept in
    `waits` (by post key) so the desk can hold the post at least that long."""

    def __init__(self, adapter: ChannelAdapter, client: Callable[[], httpx.Client]) -> None:
        self.adapter = adapter
        self.name = transport_name(adapter.kind)
        self._client = client
        self.waits: dict[str, float] = {}

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The adapter's normalised config."""
        return self.adapter.check(config)

    def describe(self, config: Mapping[str, Any]) -> str:
        """Where the posts go, in words."""
        return self.adapter.describe(config)

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        """Send the post (unless acknowledged already); the receipt as a JSON string."""
        post = payload_post(payload)
        try:
            receipt = self.adapter.send(post, config, secret, self._client())
        except RateLimited as exc:
            if exc.retry_after is not None:
                self.waits[post.key] = exc.retry_after
            raise
        ack(PAYLOAD_NAME)
        return json.dumps(
            {"remote_id": receipt.remote_id, "url": receipt.url, "details": dict(receipt.details)},
            ensure_ascii=False,
        )


def transport_name(kind: str) -> str:
    """The queue's transport name of a channel kind: "channel-telegram"."""
    return f"channel-{kind}"


# ----------------------------------------------------------------------------- the desk


class PostDesk:
    """Channels and their posts on one Desk. `client` (tests: a loopback-only client) is used
    for every send; otherwise one is opened per `send_due`."""

    def __init__(
        self,
        desk: Desk,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.desk = desk
        self.rows = PostStore(desk.store)
        self.client = client
        self.clock = clock

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone (windows and days are read in it)."""
        return ZoneInfo(self.desk.settings.office_timezone)

    # ---------------------------------------------------------------- channels

    def add_channel(
        self,
        name: str,
        kind: str,
        config: Mapping[str, Any],
        secret: str = "",
        language: str = "",
        per_day: int = 5,
        window: str = "08:00-17:30",
    ) -> ChannelRow:
        """Register a channel, in dry run until enabled; the adapter checks the config."""
        name = name.strip()
        if not _NAME.match(name) or name.isdigit():
            raise UsageError(f"a channel name is letters, digits, spaces, . @ _ or -: {name!r}")
        adapter = make_channel(kind)
        checked = adapter.check(config)
        secret = secret.strip()
        if secret and ("=" in secret or not _NAME.match(secret)):
            raise UsageError("--secret takes the NAME of a secret in exchange_secrets, not a value")
        self._check_quota(per_day)
        parse_window(window)
        return self.rows.add_channel(
            {
                "name": name,
                "kind": adapter.kind,
                "config": checked,
                "secret": secret,
                "enabled": False,
                "language": language.strip(),
                "per_day": per_day,
                "window": window.replace(" ", ""),
            }
        )

    def channels(self) -> list[ChannelRow]:
        """Every channel, by name."""
        return self.rows.channels()

    def channel(self, ref: int | str) -> ChannelRow:
        """A channel by id or name."""
        return self.rows.channel(ref)

    def enable(self, ref: int | str) -> ChannelRow:
        """Switch a channel on: its due posts are really sent from now on."""
        channel = self.channel(ref)
        if channel.secret:
            self.desk.settings.secret(channel.secret)  # ConfigError now rather than at send
        return self.rows.update_channel(channel.id, enabled=True)

    def disable(self, ref: int | str) -> ChannelRow:
        """Back to dry run: due posts are recorded, nothing is sent."""
        return self.rows.update_channel(self.channel(ref).id, enabled=False)

    def test_channel(self, ref: int | str) -> ChannelTest:
        """What a sample post would send on this channel; nothing is sent."""
        channel = self.channel(ref)
        adapter = make_channel(channel.kind)
        sample = Post(
            SAMPLE_TEXT,
            key=f"test-{channel.id}",
            link="https://example.org/hoasen-test",
            title="Bài đăng thử",
            language=channel.language or None,
        )
        return ChannelTest(
            channel, adapter.describe(channel.config), adapter.dry_run(sample, channel.config)
        )

    # ---------------------------------------------------------------- drafts

    def draft(
        self,
        channel: int | str,
        text: str,
        *,
        link: str = "",
        title: str = "",
        image: str = "",
        language: str = "",
        source: str = "",
        operator: str = "",
    ) -> PostRow:
        """A draft post on a channel; refused when it cannot fit the channel's limit, or when
        the same source already has a live post there (a double click drafts once)."""
        row = self.channel(channel)
        if not text.strip():
            raise UsageError("a post needs a text")
        if source:
            already = self.rows.active_from(row.id, source)
            if already is not None:
                raise UsageError(
                    f"{source} already has post {already.id} ({already.status}) on {row.name}"
                )
        key = f"post-{row.id}-{uuid.uuid4().hex[:16]}"
        post = Post(
            text.strip(),
            key=key,
            link=link.strip() or None,
            title=title.strip() or None,
            image_url=image.strip() or None,
            language=language.strip() or row.language or None,
        )
        make_channel(row.kind).fit(post, row.config)  # UsageError when it cannot be fitted
        return self.rows.add_post(
            {
                "channel_id": row.id,
                "key": key,
                "text": post.text,
                "title": post.title or "",
                "link": post.link or "",
                "image_url": post.image_url or "",
                "language": post.language or "",
                "source": source,
                "status": "draft",
                "created_by": operator,
            }
        )

    def draft_article(self, channel: int | str, article_id: int, operator: str = "") -> PostRow:
        """A draft from an article: its title, first sentences and address."""
        article = self.desk.store.get_article(article_id)
        text = lead(article.text) or article.title
        return self.draft(
            channel,
            text,
            title=article.title,
            link=article.canonical_url or article.url or "",
            language=article.language or "",
            source=f"article:{article.id}",
            operator=operator,
        )

    def draft_story(self, channel: int | str, story_id: int, operator: str = "") -> PostRow:
        """A draft from a story: its title and the first sentences and address of its article
        in the channel's language (else its first article)."""
        story = self.desk.results.get_story(story_id)
        articles = self.desk.store.get_articles(list(story.article_ids))
        if not articles:
            raise NotFoundError(f"story {story_id} has no articles left")
        wanted = self.channel(channel).language
        chosen = next((a for a in articles if wanted and a.language == wanted), articles[0])
        return self.draft(
            channel,
            lead(chosen.text) or story.title,
            title=story.title,
            link=chosen.canonical_url or chosen.url or "",
            language=chosen.language or "",
            source=f"story:{story.id}",
            operator=operator,
        )

    def draft_edition_item(self, channel: int | str, item_id: int, operator: str = "") -> PostRow:
        """A draft from an item of an approved or published edition: its title and first
        sentences in the channel's language (else the series' main language) and, for a
        published issue with `public_base_url` set, the item's page on the static site."""
        from hoasen.publish.render.site import series_folder

        row = self.channel(channel)
        issue_id = self.desk.editions.issue_of_item(item_id)
        edition = self.desk.editions.edition(issue_id)
        if edition.status not in ("approved", "published"):
            raise UsageError(
                f"edition item {item_id} is in an issue that is {edition.status}: only an "
                "approved or published issue is posted"
            )
        ordered = sorted(edition.items, key=lambda i: (i.position, i.id))
        index = next(n for n, i in enumerate(ordered, start=1) if i.id == item_id)
        item = ordered[index - 1]
        text = item.text(row.language) or item.text(edition.languages[0])
        if text is None:
            raise UsageError(f"edition item {item_id} has no text to post")
        base = self.desk.settings.public_base_url.strip().rstrip("/")
        link = ""
        if base and edition.status == "published":
            link = f"{base}/{series_folder(edition)}/{edition.number}/item-{index}.html"
        body = lead(" ".join(text.paragraphs)) or text.title
        return self.draft(
            row.id,
            body,
            title=text.title,
            link=link,
            language=text.language,
            source=f"edition-item:{item_id}",
            operator=operator,
        )

    def cancel(self, post_id: int) -> PostRow:
        """Cancel a post that is not sent (or being sent)."""
        if not self.rows.update_post(
            post_id, only_from=("draft", "approved", "failed"), status="cancelled"
        ):
            post = self.rows.post(post_id)
            raise UsageError(f"post {post_id} is {post.status}: it cannot be cancelled")
        return self.rows.post(post_id)

    # ---------------------------------------------------------------- approval and schedule

    def approve(self, post_ids: Sequence[int], operator: str) -> list[PostRow]:
        """Approve drafts for sending (only approved posts are ever sent)."""
        out = []
        for post_id in post_ids:
            post = self.rows.post(post_id)
            if post.status == "approved":
                out.append(post)
                continue
            changed = self.rows.update_post(
                post_id,
                only_from=("draft",),
                status="approved",
                approved=self.clock(),
                approved_by=operator,
            )
            if not changed:
                raise UsageError(f"post {post_id} is {post.status}: only drafts are approved")
            out.append(self.rows.post(post_id))
        return out

    def posts(self, channel: int | str | None = None, status: str | None = None) -> list[PostRow]:
        """Posts (of one channel, in one status), by due time."""
        channel_id = self.channel(channel).id if channel not in (None, "") else None
        return self.rows.posts(channel_id, (status,) if status else ())

    def post(self, post_id: int) -> PostRow:
        """One post."""
        return self.rows.post(post_id)

    def schedule(
        self,
        channel: int | str,
        posts: Sequence[int] = (),
        count: int | None = None,
        day: date | None = None,
        at: datetime | None = None,
    ) -> list[PostRow]:
        """Give posts due times: `at` for each (refused past the day's quota), else spread
        over the channel's window on working days (Monday to Friday, office time) from `day`
        (today by default) at even intervals, never more than per_day a day.

        Which posts: those named (drafts or approved), else the next `count` (all without
        `count`) approved posts of the channel that have no due time yet."""
        row = self.channel(channel)
        chosen = self._to_schedule(row, posts, count)
        if not chosen:
            return []
        if at is not None:
            when = at if at.tzinfo else at.replace(tzinfo=self.zone)
            ids = {p.id for p in chosen}
            local_day = when.astimezone(self.zone).date()
            if len(self._taken(row, local_day, ids)) + len(chosen) > row.per_day:
                raise UsageError(f"{row.name} takes {row.per_day} posts a day: {local_day} is full")
            for p in chosen:
                self.rows.update_post(p.id, due=when)
            return [self.rows.post(p.id) for p in chosen]
        return self._spread(row, chosen, day)

    def _to_schedule(
        self, row: ChannelRow, posts: Sequence[int], count: int | None
    ) -> list[PostRow]:
        if posts:
            found = {p.id: p for p in self.rows.posts(ids=list(posts))}
            out = []
            for post_id in posts:
                post = found.get(post_id)
                if post is None:
                    raise NotFoundError(f"no post {post_id}")
                if post.channel_id != row.id:
                    raise UsageError(f"post {post_id} is not on {row.name}")
                if post.status not in ("draft", "approved"):
                    raise UsageError(f"post {post_id} is {post.status}: it cannot be scheduled")
                out.append(post)
            return out
        waiting = [p for p in self.rows.posts(row.id, ("approved",)) if p.due is None]
        return waiting[:count] if count is not None else waiting

    def _day_bounds(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time(0), self.zone)
        return start, datetime.combine(day + timedelta(days=1), time(0), self.zone)

    def _taken(self, row: ChannelRow, day: date, skip: set[int]) -> list[datetime]:
        """Due times of the channel's other live posts on that office day."""
        start, end = self._day_bounds(day)
        live = self.rows.posts(row.id, COUNTED)
        return [p.due for p in live if p.due and start <= p.due < end and p.id not in skip]

    def _spread(self, row: ChannelRow, chosen: list[PostRow], day: date | None) -> list[PostRow]:
        start, end = parse_window(row.window)
        now = self.clock()
        current = day or now.astimezone(self.zone).date()
        ids = {p.id for p in chosen}
        todo = list(chosen)
        for _ in range(400):
            if not todo:
                break
            if current.weekday() < 5:
                taken = self._taken(row, current, ids)
                free = row.per_day - len(taken)
                minutes = {t.astimezone(self.zone).replace(second=0, microsecond=0) for t in taken}
                slots = [
                    s
                    for s in _grid(current, start, end, row.per_day, self.zone)
                    if s > now and s not in minutes
                ]
                k = min(free, len(todo), len(slots))
                for slot in _even(slots, k):
                    self.rows.update_post(todo.pop(0).id, due=slot)
            current += timedelta(days=1)
        if todo:
            raise UsageError(f"no room left on {row.name} within a year for {len(todo)} posts")
        return [self.rows.post(p.id) for p in chosen]

    # ---------------------------------------------------------------- sending

    def due(self, now: datetime) -> list[tuple[int, datetime]]:
        """(post id, due time) of the approved posts whose time has come: what the task
        scheduler hands to `send_due`."""
        return [(p.id, p.due) for p in self.rows.due_posts(now) if p.due is not None]

    def send_due(self, now: datetime | None = None) -> list[SendResult]:
        """Every approved post whose due time has passed, once through the delivery queue (kind
        "post", key = the post's key): sent, rehearsed (dry-run channel), held back (retry
        later) or failed (a refused token, a rejected post, an ambiguous failure on a channel
        that cannot recognise a repeat: held for the operator, never retried by itself)."""
        moment = now or self.clock()
        due = self.rows.due_posts(moment)
        if not due:
            return []
        own = self.client is None
        opened: list[httpx.Client] = []

        def client() -> httpx.Client:
            if self.client is not None:
                return self.client
            if not opened:
                opened.append(httpx.Client(timeout=30.0))
            return opened[0]

        channels = {c: self.rows.channel(c) for c in sorted({p.channel_id for p in due})}
        transports: dict[str, ChannelTransport] = {}
        for row in channels.values():
            transport = ChannelTransport(make_channel(row.kind), client)
            transports.setdefault(transport.name, transport)
        queue = DeliveryQueue(
            self.desk.store,
            self.desk.settings,
            transports=transports,
            clock=lambda: now or self.clock(),
        )
        try:
            return [
                self._send_one(queue, transports, channels[post.channel_id], post, moment)
                for post in due
            ]
        finally:
            if own:
                for c in opened:
                    c.close()

    def _send_one(
        self,
        queue: DeliveryQueue,
        transports: Mapping[str, ChannelTransport],
        channel: ChannelRow,
        post: PostRow,
        now: datetime,
    ) -> SendResult:
        adapter = transports[transport_name(channel.kind)].adapter
        if channel.dry_run:
            return self._rehearse(adapter, channel, post, now)
        if not self.rows.update_post(post.id, only_from=("approved", "sending"), status="sending"):
            return SendResult(self.rows.post(post.id), "skipped", "changed meanwhile")
        payload = post_payload(post)
        try:
            delivery = queue.enqueue(
                KIND,
                f"post:{post.id}",
                Target(transport_name(channel.kind), channel.config, channel.secret),
                post.key,
                payload,
            )
        except (UsageError, ConfigError) as exc:
            return self._failed(post, f"the channel's config is wrong: {exc}")
        if delivery.status in ("queued", "sending"):
            delivery = queue.attempt(delivery.id, payload)
        if delivery.status == "sent":
            receipt = _receipt(delivery.receipt)
            self.rows.update_post(
                post.id,
                status="sent",
                sent=delivery.sent or now,
                attempts=delivery.attempts,
                remote_id=str(receipt.get("remote_id") or ""),
                remote_url=str(receipt.get("url") or ""),
                dry_run=False,
                error="",
            )
            return SendResult(self.rows.post(post.id), "sent", str(receipt.get("url") or ""))
        if delivery.status == "failed":
            message = delivery.error or "the channel refused the post"
            if "may have been posted" in message:
                message += " (held for the operator: check the channel, then cancel or redo)"
            self.rows.update_post(post.id, attempts=delivery.attempts)
            return self._failed(post, message)
        # Queued again (a transient failure or a rate limit): hold the post until its next try.
        wait = transports[transport_name(channel.kind)].waits.pop(post.key, 0.0)
        later = max(
            [t for t in (delivery.next_attempt, now + timedelta(seconds=wait)) if t is not None]
        )
        self.rows.update_post(
            post.id,
            due=max(later, post.due or now),
            attempts=delivery.attempts,
            error=f"will retry: {delivery.error}" if delivery.error else "",
        )
        return SendResult(self.rows.post(post.id), "retrying", delivery.error)

    def _rehearse(
        self, adapter: ChannelAdapter, channel: ChannelRow, post: PostRow, now: datetime
    ) -> SendResult:
        """A dry-run channel: record what would be sent; nothing leaves the desk."""
        try:
            text = adapter.dry_run(payload_post(post_payload(post)), channel.config)
        except (UsageError, ConfigError, DeliveryError) as exc:
            return self._failed(post, str(exc))
        changed = self.rows.update_post(
            post.id,
            only_from=("approved", "sending"),
            status="sent",
            sent=now,
            dry_run=True,
            remote_id="dry run",
            remote_url="",
            error=f"dry run: {text}",
        )
        outcome = "dry run" if changed else "skipped"
        return SendResult(self.rows.post(post.id), outcome, f"dry run: {text}")

    def _failed(self, post: PostRow, message: str) -> SendResult:
        self.rows.update_post(post.id, status="failed", error=message)
        return SendResult(self.rows.post(post.id), "failed", message)

    @staticmethod
    def _check_quota(per_day: int) -> None:
        if not 1 <= per_day <= MAX_PER_DAY:
            raise UsageError(f"--per-day must be 1 to {MAX_PER_DAY}, not {per_day}")


def _receipt(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text or "{}")
    except ValueError:
        return {"remote_id": text}
    return doc if isinstance(doc, dict) else {"remote_id": text}


def _grid(day: date, start: time, end: time, n: int, zone: ZoneInfo) -> list[datetime]:
    """n times from start to end of the day at even intervals (to the minute), office time."""
    first = datetime.combine(day, start, zone)
    span = (datetime.combine(day, end, zone) - first).total_seconds() / 60
    if n <= 1:
        return [first]
    return [first + timedelta(minutes=int(span * i / (n - 1))) for i in range(n)]


def _even(slots: list[datetime], k: int) -> list[datetime]:
    """k of the slots spread evenly (first and last included when k > 1)."""
    if k <= 0:
        return []
    if k >= len(slots):
        return list(slots)
    if k == 1:
        return [slots[0]]
    return [slots[round(i * (len(slots) - 1) / (k - 1))] for i in range(k)]
