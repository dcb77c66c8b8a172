"""Database tables of the office's registers (SQLAlchemy Core, on the one `schema.metadata`):
delegations, foreign press groups and accredited journalists, the events calendar, the people
named in them (kept apart so a person's data is exported or erased in one place), and the
articles each register entry is linked to (migration 0011).

Personal data is minimal: a name, a role or rank, an outlet, a nationality. Passport numbers
and the like are never stored. Erasing a person blanks those fields and keeps the row, so
yearly counts stay right.
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

register_people = Table(
    "register_people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, default=""),
    Column("role", String(200), nullable=False, default=""),  # rank, function or press role
    Column("outlet", String(300), nullable=False, default=""),  # for journalists
    Column("nationality", String(2)),  # ISO 3166-1 alpha-2
    Column("erased", UTCDateTime),  # set when the person's data was erased on request
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

delegations = Table(
    "delegations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("direction", String(8), nullable=False),  # incoming / outgoing
    Column("title", Text, nullable=False),
    Column("country", String(2)),
    Column("organisation", Text, nullable=False, default=""),
    Column("entity_id", String(120), index=True),  # gazetteer entity of country/organisation
    Column("head_id", Integer, ForeignKey("register_people.id")),
    Column("level", String(20), nullable=False, default=""),  # head-of-state, ministerial...
    Column("members", Integer, nullable=False, default=0),
    Column("starts", Date, nullable=False, index=True),
    Column("ends", Date),
    Column("purpose", Text, nullable=False, default=""),  # comma list
    Column("agreement_id", Integer),
    Column("status", String(12), nullable=False),  # planned / confirmed / held / cancelled
    Column("documents", Text, nullable=False, default=""),  # file names, newline separated
    Column("notes", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

delegation_activities = Table(
    "delegation_activities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "delegation_id",
        Integer,
        ForeignKey("delegations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("on", Date, nullable=False),
    Column("at", String(5), nullable=False, default=""),  # HH:MM, office time
    Column("place", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
)

press_groups = Table(
    "press_groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("country", String(2)),
    Column("outlets", Text, nullable=False, default=""),  # comma list
    Column("starts", Date, nullable=False, index=True),
    Column("ends", Date),
    Column("officer", String(120), nullable=False, default=""),  # the guiding officer (user)
    Column("programme", Text, nullable=False, default=""),
    Column("status", String(12), nullable=False),  # planned / confirmed / held / cancelled
    Column("notes", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

journalists = Table(
    "journalists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("register_people.id"), nullable=False, index=True),
    Column("group_id", Integer, ForeignKey("press_groups.id"), index=True),  # None: on their own
    Column("permit_number", String(80), nullable=False, default=""),
    Column("permit_authority", Text, nullable=False, default=""),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("areas", Text, nullable=False, default=""),  # places permitted, comma list
    Column("topics", Text, nullable=False, default=""),  # topics permitted, comma list
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(255), nullable=False, unique=True),  # iCalendar UID
    Column("calendar", String(120), nullable=False, default="office"),
    Column("title", Text, nullable=False),
    Column("kind", String(20), nullable=False, default=""),  # festival, forum, conference...
    Column("starts", UTCDateTime, nullable=False, index=True),  # all-day: local midnight
    Column("ends", UTCDateTime),
    Column("all_day", Boolean, nullable=False, default=False),
    Column("timezone", String(64), nullable=False),  # IANA zone the event is held in
    Column("rrule", Text, nullable=False, default=""),  # RFC 5545 RRULE value
    Column("place", Text, nullable=False, default=""),
    Column("organisers", Text, nullable=False, default=""),
    Column("partners", Text, nullable=False, default=""),
    Column("names", Text, nullable=False, default=""),  # other names (vi/en/zh), one a line
    Column("expected", Integer),
    Column("actual", Integer),
    Column("description", Text, nullable=False, default=""),
    Column("status", String(12), nullable=False, default="confirmed"),
    Column("sequence", Integer, nullable=False, default=0),  # iCalendar SEQUENCE
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

calendar_tokens = Table(
    "calendar_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("calendar", String(120), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),  # sha256 of the secret
    Column("created", UTCDateTime, nullable=False, default=utcnow),
)

register_links = Table(
    "register_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("register", String(12), nullable=False),  # delegation / press / journalist / event
    Column("entry_id", Integer, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False, index=True),
    Column("status", String(10), nullable=False),  # suggested / confirmed / rejected
    Column("decided_by", String(120), nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("register", "entry_id", "article_id", name="uq_register_links_entry"),
)
