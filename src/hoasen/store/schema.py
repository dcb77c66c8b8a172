"""Database schema (SQLAlchemy Core), identical on SQLite and PostgreSQL.

The full-text index is backend specific and lives outside these tables: an FTS5 virtual table
`article_fts` on SQLite, a tsvector table `article_search` with a GIN index on PostgreSQL. Both
are created by the Alembic migrations and fed the same Python analyzer's tokens.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hoasen.store.schema_base import UTCDateTime, metadata, utcnow

# The metadata, the UTC datetime type and utcnow live in schema_base (shared with
# schema_publish); they are imported here so `schema.metadata` etc. keep working.


sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("url", Text, nullable=False, unique=True),
    Column("kind", String(10), nullable=False, default="feed"),
    Column("country", String(2)),
    Column("language", String(8)),
    Column("foreign", Boolean, nullable=False, default=False),
    Column("partner", Boolean, nullable=False, default=False),
    Column("partner_id", Integer, index=True),  # the partner organisation (migration 0008)
    Column("poll_minutes", Integer, nullable=False, default=60),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_polled", UTCDateTime),
    Column("last_success", UTCDateTime),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
)

raw_documents = Table(
    "raw_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    # sha256 of origin (URL or absolute path) + bytes: the identity that makes re-ingest idempotent
    Column("sha256", String(64), nullable=False, unique=True),
    Column("origin", Text, nullable=False),
    Column("fmt", String(10), nullable=False),
    Column("url", Text),
    Column("content_type", String(200)),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),  # gzip of the bytes as received
    Column("fetched", UTCDateTime, nullable=False, default=utcnow),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL"), index=True),
    Column("raw_id", Integer, ForeignKey("raw_documents.id", ondelete="SET NULL"), index=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(8), index=True),
    Column("language_confidence", Float),
    Column("url", Text),
    Column("canonical_url", Text, index=True),
    Column("source_url", Text),
    Column("author", Text),
    Column("published", UTCDateTime, index=True),
    # page | feed | input | http | first_seen (no date anywhere: an estimate, said so in reports)
    Column("published_source", String(12)),
    Column("fetched", UTCDateTime, nullable=False, default=utcnow),
    Column("content_hash", String(64), nullable=False, index=True),
    Column("duplicate_of", Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True),
    Column("similarity", Float),
)

article_minhash = Table(
    "article_minhash",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("signature", LargeBinary, nullable=False),
)

minhash_bands = Table(
    "minhash_bands",
    metadata,
    Column("band", Integer, nullable=False),
    Column("hash", BigInteger, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Index("ix_minhash_bands_band_hash", "band", "hash"),
)

ingest_errors = Table(
    "ingest_errors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("input", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="SET NULL")),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
)

boilerplate_lines = Table(
    "boilerplate_lines",
    metadata,
    Column("source_key", String(255), primary_key=True),
    Column("line_hash", String(16), primary_key=True),
    Column("doc_count", Integer, nullable=False, default=0),
)

# ---------------------------------------------------------------- understanding (migration 0002)
# Offsets in entity_mentions and article_figures point into the article's analysis text:
# title + "\n\n" + text (see hoasen.analyze.pipeline.analysis_text).

entity_mentions = Table(
    "entity_mentions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("entity_id", String(120), index=True),  # canonical gazetteer id, NULL when unknown
    Column("text", Text, nullable=False),
    Column("type", String(3), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("origin", String(20), nullable=False),  # gazetteer, rules, spacy, underthesea...
)

article_figures = Table(
    "article_figures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("text", Text, nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(40)),
    Column("scale", String(40)),
    Column("subject", Text),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
)

article_topics = Table(
    "article_topics",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", String(80), primary_key=True),
    Column("score", Float, nullable=False),
    Index("ix_article_topics_topic", "topic"),
)

article_embeddings = Table(
    "article_embeddings",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(120), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian, L2-normalised
)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("title_language", String(8)),
    Column("first_seen", UTCDateTime, nullable=False, index=True),
    Column("last_seen", UTCDateTime, nullable=False, index=True),
    Column("article_count", Integer, nullable=False),
    Column("languages", Text, nullable=False),  # comma-separated, most articles first
    Column("sources", Text, nullable=False),  # JSON list of source names
    Column("countries", Text, nullable=False),  # comma-separated ISO 3166 codes
    Column("state", Text, nullable=False),  # the clusterer's JSON state (entities, numbers...)
    Column("centroid", LargeBinary, nullable=False),
    Column("version", Text, nullable=False),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

story_articles = Table(
    "story_articles",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "story_id",
        Integer,
        ForeignKey("stories.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("score", Float, nullable=False),
)

article_stages = Table(
    "article_stages",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("stage", String(20), primary_key=True),
    Column("version", Text, nullable=False),
    Column("done", UTCDateTime, nullable=False, default=utcnow),
    Index("ix_article_stages_stage_version", "stage", "version"),
)

gazetteer_imports = Table(
    "gazetteer_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("content", Text, nullable=False),  # the CSV as imported: re-parsed on load
    Column("rows", Integer, nullable=False),
    Column("imported", UTCDateTime, nullable=False, default=utcnow),
)

# ---------------------------------------------------------------- report register (migration 0003)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(100), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("period_from", String(10), nullable=False),
    Column("period_to", String(10), nullable=False),
    Column("language", String(8), nullable=False),
    Column("title", Text),
    Column("parameters", Text, nullable=False),  # JSON: the request, to rebuild the report
    Column("article_ids", Text, nullable=False),  # JSON list: the article set it covered
    Column("document", Text, nullable=False),  # JSON: the report as generated
    Column("generated_by", String(200), nullable=False),
    Column("run_key", String(300)),  # a scheduled run's key (migration 0012)
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Index("ix_reports_kind_year_seq", "kind", "year", "seq", unique=True),
    Index("ix_reports_run_key", "run_key", unique=True),
)

report_files = Table(
    "report_files",
    metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("format", String(10), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
)

# ---------------------------------------------------------------- web desk (migration 0004)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(10), nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id, never the password itself
    Column("active", Boolean, nullable=False, default=True),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("last_login", UTCDateTime),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie value
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("expires", UTCDateTime, nullable=False, index=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("last_used", UTCDateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, default=utcnow, index=True),
    Column("user_id", Integer),  # no foreign key: the record outlives the account
    Column("user_name", String(100)),
    Column("action", String(50), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON object
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("client", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False, default=utcnow),
    Index("ix_login_attempts_client_at", "client", "at"),
)

ingest_jobs = Table(
    "ingest_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(20), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("input", Text, nullable=False),  # JSON: what was submitted
    Column("result", Text),  # JSON: the ingest report, once finished
    Column("error", Text),
    Column("submitted_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("started", UTCDateTime),
    Column("finished", UTCDateTime),
)

# ---------------------------------------------------------------- translation desk (migration 0006)

# The termbase shares its concepts with the gazetteer: a concept whose `entity_id` names a
# gazetteer entity takes that entity's names as admitted terms; rows here add office terms,
# preferred terms per language and forbidden variants.
term_concepts = Table(
    "term_concepts",
    metadata,
    Column("id", String(120), primary_key=True),  # a gazetteer id, or "term.<slug>"
    Column("entity_id", String(120), index=True),  # the gazetteer entity, when there is one
    Column("type", String(10), nullable=False),  # PER / LOC / ORG / TERM
    Column("subject", String(100), nullable=False, default=""),  # TBX subjectField
    Column("note", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

terms = Table(
    "terms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "concept_id",
        String(120),
        ForeignKey("term_concepts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("lang", String(10), nullable=False),  # vi, en, zh-Hans, zh-Hant, ja, ko...
    Column("text", Text, nullable=False),
    Column("status", String(12), nullable=False),  # preferred / admitted / forbidden
    Column("note", Text, nullable=False, default=""),
    Column("origin", String(12), nullable=False, default="user"),  # user / import / suggest
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    UniqueConstraint("concept_id", "lang", "text", name="uq_terms_concept_lang_text"),
)

tm_segments = Table(
    "tm_segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_lang", String(10), nullable=False),
    Column("target_lang", String(10), nullable=False),
    Column("source", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("source_key", String(64), nullable=False),  # hash of the normalised source
    Column("state", String(12), nullable=False),  # draft / reviewed / approved
    Column("origin", String(50), nullable=False),  # human / machine:ENGINE / import
    Column("created_by", String(100), nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
    Column("note", Text, nullable=False, default=""),
    Index("ix_tm_segments_pair_key", "source_lang", "target_lang", "source_key"),
)

translations = Table(
    "translations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("source_lang", String(10), nullable=False),
    Column("lang", String(10), nullable=False),
    Column("engine", String(50), nullable=False),  # engine name, "human" or "tm"
    Column("status", String(12), nullable=False),  # draft / reviewed / approved
    Column("title", Text, nullable=False, default=""),
    Column("created_by", String(100), nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
    Column("reviewed_by", String(100)),
    Column("approved_by", String(100)),
    Column("approved", UTCDateTime),
    Index("ix_translations_article_lang", "article_id", "lang"),
)

translation_segments = Table(
    "translation_segments",
    metadata,
    Column(
        "translation_id",
        Integer,
        ForeignKey("translations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),  # 0 = title, then the body's segments
    Column("paragraph", Integer, nullable=False, default=0),  # which paragraph it belongs to
    Column("source", Text, nullable=False),
    Column("target", Text, nullable=False, default=""),
    Column("origin", String(20), nullable=False, default=""),  # tm / engine / human
    Column("flags", Text, nullable=False, default="[]"),  # JSON list of QA flags
)


# --------------------------------------------------- partners and agreements (migration 0007)

# A partner is an organisation the office exchanges news with; `entity_id` links it to the
# gazetteer so any of the entity's names (vi/en/zh...) finds it. Contacts keep the minimum of
# personal data. Agreements record what was agreed and when it ends, for renewal reminders.
partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(120), nullable=False, unique=True),
    Column("entity_id", String(120), index=True),  # gazetteer id, when the partner has one
    Column("name", Text, nullable=False),
    Column("country", String(2)),  # ISO 3166-1 alpha-2
    Column("languages", Text, nullable=False, default=""),  # comma list: vi,zh
    Column("kind", String(40), nullable=False, default=""),  # press-agency, broadcaster...
    Column("notes", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

partner_contacts = Table(
    "partner_contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partner_id",
        Integer,
        ForeignKey("partners.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", Text, nullable=False),
    Column("role", String(100), nullable=False, default=""),
    Column("email", String(320), nullable=False, default=""),
    Column("phone", String(50), nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("parties", Text, nullable=False, default=""),
    Column("signed", Date),
    Column("starts", Date, nullable=False),
    Column("ends", Date),  # NULL: open-ended
    Column("renewal", Text, nullable=False, default=""),  # renewal terms, in words
    Column("scope", Text, nullable=False, default=""),  # comma list of AGREEMENT_SCOPES
    Column("document", Text),  # file name of the signed document
    Column("status", String(12), nullable=False),  # draft / active / expired / terminated
    Column("notes", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

agreement_activities = Table(
    "agreement_activities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "agreement_id",
        Integer,
        ForeignKey("agreements.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("on", Date, nullable=False),
    Column("kind", String(40), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
)

# ------------------------------------------- deliveries and news exchange (migration 0008)

# One delivery pattern for everything that leaves the office (exchange packages, campaigns,
# channel posts): a queued row per destination with an idempotency key (the same key is never
# delivered twice), retries with backoff, and one row per attempt. `progress` keeps the names
# of the files a destination already acknowledged, so a retry resumes after them.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),  # idempotency key
    Column("kind", String(20), nullable=False),  # exchange / campaign / post
    Column("ref", String(120), nullable=False, index=True),  # e.g. package:12
    Column("transport", String(20), nullable=False),  # folder / email / sftp / http
    Column("destination", Text, nullable=False, default=""),  # where, in words (no secrets)
    Column("config", Text, nullable=False, default="{}"),  # transport settings (JSON, no secrets)
    Column("secret", String(120), nullable=False, default=""),  # name of a secret in settings
    Column("status", String(12), nullable=False),  # queued / sending / sent / failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False, default=5),
    Column("next_attempt", UTCDateTime),  # when a queued delivery may be tried again
    Column("progress", Text, nullable=False, default=""),  # newline list of files acknowledged
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("checksum", String(80), nullable=False, default=""),  # sha256 of the payload
    Column("receipt", Text, nullable=False, default=""),  # message id / remote path / reply
    Column("error", Text, nullable=False, default=""),  # the last error, in words
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
    Column("sent", UTCDateTime),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "delivery_id",
        Integer,
        ForeignKey("deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("number", Integer, nullable=False),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime),
    Column("ok", Boolean, nullable=False, default=False),
    Column("error", Text, nullable=False, default=""),
)

# An exchange plan says what goes to (direction out) or comes from (direction in) one partner,
# when, in which format and over which transport. Selection, languages and transport settings
# are JSON documents validated by `hoasen.exchange.plans`.
exchange_plans = Table(
    "exchange_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("direction", String(3), nullable=False),  # out / in
    Column("schedule", String(120), nullable=False, default=""),  # "" = on demand
    Column("selection", Text, nullable=False, default="{}"),
    Column("languages", Text, nullable=False, default="original"),  # comma list
    Column("machine_translate", Boolean, nullable=False, default=False),
    Column("format", String(20), nullable=False),
    Column("transport", String(20), nullable=False),
    Column("transport_config", Text, nullable=False, default="{}"),
    Column("secret", String(120), nullable=False, default=""),  # name in exchange_secrets
    Column("automatic", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("next_due", UTCDateTime),
    Column("last_run", UTCDateTime),
    Column("created", UTCDateTime, nullable=False, default=utcnow),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)

exchange_packages = Table(
    "exchange_packages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("exchange_plans.id"), nullable=False, index=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("sequence", Integer, nullable=False),  # per partner: 1, 2, 3...
    Column("status", String(12), nullable=False),  # built / approved / sent / failed / cancelled
    Column("format", String(20), nullable=False),
    Column("since", UTCDateTime),  # the period the selection covered
    Column("until", UTCDateTime),
    Column("built", UTCDateTime, nullable=False, default=utcnow),
    Column("built_by", String(120), nullable=False, default=""),
    Column("approved", UTCDateTime),
    Column("approved_by", String(120), nullable=False, default=""),
    Column("sent", UTCDateTime),
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("checksum", String(80), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    UniqueConstraint("partner_id", "sequence", name="uq_exchange_packages_partner_sequence"),
)

exchange_package_items = Table(
    "exchange_package_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "package_id",
        Integer,
        ForeignKey("exchange_packages.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False, index=True),
    Column("version", String(80), nullable=False),  # the article's content hash when built
    Column("language", String(16), nullable=False),
    Column("translation_id", Integer),  # the approved translation sent, if any
    Column("headline", Text, nullable=False, default=""),
    Column("topic", String(80), nullable=False, default=""),
)

exchange_package_files = Table(
    "exchange_package_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "package_id",
        Integer,
        ForeignKey("exchange_packages.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# The exchange ledger: one row per package sent and per document received, the proof of what
# went to and came from each partner.
exchange_ledger = Table(
    "exchange_ledger",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("direction", String(8), nullable=False),  # sent / received
    Column("partner_id", Integer, ForeignKey("partners.id"), index=True),
    Column("plan_id", Integer),
    Column("package_id", Integer, index=True),
    Column("delivery_id", Integer),
    Column("sequence", Integer),
    Column("format", String(20), nullable=False, default=""),
    Column("transport", String(20), nullable=False, default=""),
    Column("origin", Text, nullable=False, default=""),  # file name / remote / inbox
    Column("items", Text, nullable=False, default="[]"),  # JSON [[article_id, version], ...]
    Column("n_items", Integer, nullable=False, default=0),
    Column("languages", Text, nullable=False, default=""),  # comma list
    Column("attempts", Integer, nullable=False, default=0),
    Column("status", String(12), nullable=False),  # queued/sent/failed/received/refused
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("checksum", String(80), nullable=False, default=""),
    Column("operator", String(120), nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("created", UTCDateTime, nullable=False, default=utcnow, index=True),
    Column("updated", UTCDateTime, nullable=False, default=utcnow),
)


# Publishing (mailing lists, campaigns, editions, channels and posts) lives in its own module on
# the same metadata; its tables are re-exported here so `schema.<table>` names every table.
from hoasen.store.schema_jobs import (  # noqa: E402, F401
    alert_hits,
    alerts,
    job_locks,
    job_runs,
    notifications,
    report_schedules,
)
from hoasen.store.schema_publish import (  # noqa: E402, F401
    campaign_sends,
    campaigns,
    channels,
    edition_events,
    edition_issues,
    edition_items,
    edition_series,
    edition_texts,
    list_members,
    mail_bounces,
    mailing_keys,
    mailing_lists,
    posts,
    subscribers,
)
from hoasen.store.schema_registers import (  # noqa: E402, F401
    calendar_tokens,
    delegation_activities,
    delegations,
    events,
    journalists,
    press_groups,
    register_links,
    register_people,
)
