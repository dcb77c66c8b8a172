"""Database tables of publishing (SQLAlchemy Core, on the one `schema.metadata`): mailing lists
and campaigns (migration 0009), bounces, editions and channel posts (migration 0010).

Kept apart from `schema` only for size; `schema` re-exports every table defined here.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hoasen.store.schema_base import UTCDateTime, metadata, utcnow

# ---------------------------------------------------------------- mailing lists and campaigns
# listmonk's model: lists, subscribers (one row per address, shared by every list), their
# membership per list, campaigns to one list, and one campaign_sends row per campaign and
# subscriber. That row's unique pair is what makes a resumed send never mail anyone twice.
# Personal data is kept minimal: address, name and language only.

mailing_lists = Table(
    "mailing_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("double_optin", Boolean, nullable=False, default=False),
    Column("language", String(16), nullable=False, default="vi"),  # fallback of campaigns
    Column("description", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # lower-cased
    Column("name", String(200), nullable=False, default=""),
    Column("language", String(16), nullable=False, default=""),  # empty: the list's
    # active / unconfirmed / unsubscribed (from every list) / blocklisted
    Column("status", String(14), nullable=False, default="active"),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("confirmed", UTCDateTime),
    Column("unsubscribed", UTCDateTime),
    Column("reason", Text, nullable=False, default=""),  # why blocklisted or unsubscribed
)

list_members = Table(
    "list_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "list_id",
        Integer,
        ForeignKey("mailing_lists.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("status", String(14), nullable=False),  # active / unconfirmed / unsubscribed
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("list_id", "subscriber_id", name="uq_list_members_list_subscriber"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", Integer, ForeignKey("mailing_lists.id"), nullable=False, index=True),
    Column("subject", Text, nullable=False, default="{}"),  # JSON {language: subject}
    Column("body_text", Text, nullable=False, default="{}"),  # JSON {language: text}
    Column("body_html", Text, nullable=False, default="{}"),  # JSON {language: html}
    Column("source", String(120), nullable=False, default=""),  # edition:ID / report:ID / ...
    Column("status", String(12), nullable=False, default="draft"),  # draft/sending/sent/cancelled
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("started", UTCDateTime),
    Column("finished", UTCDateTime),
    Column("sent_count", Integer, nullable=False, default=0),
    Column("error_count", Integer, nullable=False, default=0),
)

campaign_sends = Table(
    "campaign_sends",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "campaign_id",
        Integer,
        ForeignKey("campaigns.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "subscriber_id",
        Integer,
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("status", String(10), nullable=False),  # queued / sending / sent / failed / skipped
    Column("message_id", String(200), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("sent", UTCDateTime),
    UniqueConstraint("campaign_id", "subscriber_id", name="uq_campaign_sends_campaign_subscriber"),
)

# Keys the desk generates once and keeps (the mail token key when mail_token_key is empty), so
# links in mail stay valid across restarts.
mailing_keys = Table(
    "mailing_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), nullable=False, unique=True),
    Column("value", String(200), nullable=False),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
)

# ------------------------------------------------------------------ bounces (migration 0010)
# One row per bounce or complaint, from the bounce webhook or a DSN (RFC 3464) read from a
# mailbox; the blocklisting rules (hard and complaint at once, soft after repeats) read them.
mail_bounces = Table(
    "mail_bounces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # soft / hard / complaint
    Column("source", String(12), nullable=False),  # webhook / dsn
    Column("campaign_id", Integer, index=True),
    Column("status_code", String(16), nullable=False, default=""),  # DSN status, e.g. 5.1.1
    Column("detail", Text, nullable=False, default=""),
    Column("message_key", String(200), nullable=False, default=""),  # dedupe of one report
    Column("created", UTCDateTime, nullable=False, default=utcnow, index=True),
    UniqueConstraint("message_key", "email", name="uq_mail_bounces_message_key_email"),
)

# ------------------------------------------------------------------ editions (migration 0010)
# A numbered series (the "Hoa Sen" special issue, the investment newsletter) with its language
# pair and layout; its issues hold ordered items, each with a text per language (from the
# article, the translation desk or the editor); every status change is kept with who and when.
edition_series = Table(
    "edition_series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(120), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("languages", String(40), nullable=False),  # comma list, first = main: vi,zh
    Column("layout", String(12), nullable=False),  # parallel / alternate / sequential
    Column("masthead", Text, nullable=False, default=""),
    Column("colophon", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("partner_id", Integer),  # a partner it is published with, if any
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

edition_issues = Table(
    "edition_issues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", Integer, ForeignKey("edition_series.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # per series: 1, 2, 3...
    Column("title", Text, nullable=False, default=""),
    Column("issue_date", Date),
    Column("status", String(12), nullable=False),  # draft / review / approved / published
    Column("cover_image", Text, nullable=False, default=""),  # file path or URL, optional
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("created_by", String(120), nullable=False, default=""),
    Column("published", UTCDateTime),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("series_id", "number", name="uq_edition_issues_series_number"),
)

edition_items = Table(
    "edition_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "issue_id",
        Integer,
        ForeignKey("edition_issues.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id"), index=True),  # None: a desk piece
    Column("section", String(120), nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
)

edition_texts = Table(
    "edition_texts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "item_id",
        Integer,
        ForeignKey("edition_items.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("language", String(16), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("origin", String(12), nullable=False),  # original / translation / editor
    Column("translation_id", Integer),  # the translation desk's record, when from there
    Column("approved", Boolean, nullable=False, default=False),
    Column("approved_by", String(120), nullable=False, default=""),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("item_id", "language", name="uq_edition_texts_item_language"),
)

edition_events = Table(
    "edition_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "issue_id",
        Integer,
        ForeignKey("edition_issues.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("at", UTCDateTime, nullable=False, default=utcnow),
    Column("who", String(120), nullable=False, default=""),
    Column("from_status", String(12), nullable=False, default=""),
    Column("to_status", String(12), nullable=False),
    Column("note", Text, nullable=False, default=""),
)

# ------------------------------------------------------- channels and posts (migration 0010)
# A channel is one configured account (a Facebook page, a Zalo OA, a Telegram channel...); it
# stays in dry run until switched on. Posts are queued per channel with a due time, approved,
# then sent once through the delivery queue (idempotency key per post).
channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),  # facebook / zalo / telegram / mastodon / weibo
    Column("config", Text, nullable=False, default="{}"),  # JSON, never a secret
    Column("secret", String(120), nullable=False, default=""),  # name in exchange_secrets
    Column("enabled", Boolean, nullable=False, default=False),  # False: dry run
    Column("language", String(16), nullable=False, default=""),
    Column("per_day", Integer, nullable=False, default=5),
    Column("window", String(20), nullable=False, default="08:00-17:30"),  # office time
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False, index=True),
    Column("key", String(200), nullable=False, unique=True),  # idempotency key
    Column("text", Text, nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("link", Text, nullable=False, default=""),
    Column("image_url", Text, nullable=False, default=""),
    Column("language", String(16), nullable=False, default=""),
    Column("source", String(120), nullable=False, default=""),  # article:12, edition-item:3...
    Column("status", String(12), nullable=False),  # draft/approved/sending/sent/failed/cancelled
    Column("due", UTCDateTime, index=True),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("created_by", String(120), nullable=False, default=""),
    Column("approved", UTCDateTime),
    Column("approved_by", String(120), nullable=False, default=""),
    Column("sent", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("remote_id", Text, nullable=False, default=""),
    Column("remote_url", Text, nullable=False, default=""),
    Column("dry_run", Boolean, nullable=False, default=False),  # sent while the channel was off
    Column("error", Text, nullable=False, default=""),
)
