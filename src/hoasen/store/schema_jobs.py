"""Database tables of the work hoasen runs by itself (migration 0012): keyed job runs (the
source of truth behind the task queue), short leases between workers, report schedules, alerts
with their hits, and the desk's notification list.

A queue message only carries a `job_runs.id`; whether a run is due, running, done or failed is
in this table, so a message lost with a killed worker or delivered twice changes nothing: the
scheduler sends the message again, and a second copy finds the run already claimed or done.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hoasen.store.schema_base import UTCDateTime, metadata, utcnow

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(300), nullable=False, unique=True),  # kind + what + due time
    Column("kind", String(40), nullable=False),
    Column("queue", String(20), nullable=False, default="work"),
    Column("args", Text, nullable=False, default="{}"),  # JSON
    Column("status", String(10), nullable=False, default="queued"),  # queued running done failed
    Column("due", UTCDateTime, nullable=False),  # when the work became due
    Column("not_before", UTCDateTime),  # a retry waits until then
    Column("enqueued", UTCDateTime),  # last time a queue message was sent for it
    Column("started", UTCDateTime),
    Column("finished", UTCDateTime),
    Column("lease_until", UTCDateTime),  # a running run whose lease passed is taken over
    Column("worker", String(200)),  # host:pid of the worker holding it
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("result", Text),  # JSON summary
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Index("ix_job_runs_status_due", "status", "due"),
    Index("ix_job_runs_kind_finished", "kind", "finished"),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("until", UTCDateTime, nullable=False),
)

report_schedules = Table(
    "report_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),  # daily weekly monthly
    Column("at", String(5), nullable=False, default="07:30"),  # HH:MM, office time zone
    Column("weekday", Integer),  # weekly: 0 = Monday
    Column("day", Integer),  # monthly: day of the month (1-28)
    Column("language", String(8), nullable=False),
    Column("formats", Text, nullable=False, default='["pdf"]'),  # JSON list
    Column("recipients", Text, nullable=False, default="[]"),  # JSON list of e-mail addresses
    Column("filters", Text, nullable=False, default="{}"),  # JSON ReportFilters
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_by", String(200)),
    Column("last_due", UTCDateTime),  # the last due time built
    Column("last_number", String(100)),  # the report it made
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),  # query entity partner topic story
    Column("target", Text, nullable=False),  # the query, entity id, partner id, topic label
    Column("language", String(8)),  # only articles in this language
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("channels", String(100), nullable=False, default="desk"),  # desk,email,telegram
    Column("email", String(320)),
    Column("telegram_chat", String(100)),
    Column("mode", String(10), nullable=False, default="immediate"),  # immediate digest
    Column("digest_at", String(5), nullable=False, default="08:00"),  # office time zone
    Column("spike_count", Integer, nullable=False, default=5),  # story: articles ...
    Column("spike_hours", Integer, nullable=False, default=24),  # ... within this many hours
    Column("active", Boolean, nullable=False, default=True),
    Column("last_digest", UTCDateTime),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

alert_hits = Table(
    "alert_hits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", Integer),  # story alerts: the story that spiked
    Column("matched", UTCDateTime, nullable=False, default=utcnow),
    Column("sent", UTCDateTime),  # delivered (immediately or in a digest)
    UniqueConstraint("alert_id", "article_id", name="uq_alert_hits_alert_article"),
    Index("ix_alert_hits_alert_sent", "alert_id", "sent"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(300), unique=True),  # idempotency: one notice per event
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),  # None: everyone
    Column("kind", String(20), nullable=False),  # alert job register
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False, default=""),
    Column("link", Text),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("read", UTCDateTime),
    Index("ix_notifications_user_created", "user_id", "created"),
)
