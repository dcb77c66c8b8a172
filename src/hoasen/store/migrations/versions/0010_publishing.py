"""Publishing: mail bounces, editions (series, issues, items, their texts per language and the
status history) and social/messaging channels with their queued posts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_bounces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("status_code", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_bounces")),
        sa.UniqueConstraint("message_key", "email", name="uq_mail_bounces_message_key_email"),
    )
    op.create_index(
        op.f("ix_mail_bounces_campaign_id"), "mail_bounces", ["campaign_id"], unique=False
    )
    op.create_index(op.f("ix_mail_bounces_created"), "mail_bounces", ["created"], unique=False)
    op.create_index(op.f("ix_mail_bounces_email"), "mail_bounces", ["email"], unique=False)
    op.create_table(
        "edition_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("languages", sa.String(length=40), nullable=False),
        sa.Column("layout", sa.String(length=12), nullable=False),
        sa.Column("masthead", sa.Text(), nullable=False),
        sa.Column("colophon", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_series")),
        sa.UniqueConstraint("slug", name=op.f("uq_edition_series_slug")),
    )
    op.create_table(
        "edition_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cover_image", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["edition_series.id"],
            name=op.f("fk_edition_issues_series_id_edition_series"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_issues")),
        sa.UniqueConstraint("series_id", "number", name="uq_edition_issues_series_number"),
    )
    op.create_index(
        op.f("ix_edition_issues_series_id"), "edition_issues", ["series_id"], unique=False
    )
    op.create_table(
        "edition_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(length=120), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_edition_items_article_id_articles")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["edition_issues.id"],
            name=op.f("fk_edition_items_issue_id_edition_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_items")),
    )
    op.create_index(
        op.f("ix_edition_items_article_id"), "edition_items", ["article_id"], unique=False
    )
    op.create_index(op.f("ix_edition_items_issue_id"), "edition_items", ["issue_id"], unique=False)
    op.create_table(
        "edition_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("translation_id", sa.Integer(), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(length=120), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["edition_items.id"],
            name=op.f("fk_edition_texts_item_id_edition_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_texts")),
        sa.UniqueConstraint("item_id", "language", name="uq_edition_texts_item_language"),
    )
    op.create_index(op.f("ix_edition_texts_item_id"), "edition_texts", ["item_id"], unique=False)
    op.create_table(
        "edition_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(length=120), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["edition_issues.id"],
            name=op.f("fk_edition_events_issue_id_edition_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_events")),
    )
    op.create_index(
        op.f("ix_edition_events_issue_id"), "edition_events", ["issue_id"], unique=False
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=120), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("per_day", sa.Integer(), nullable=False),
        sa.Column("window", sa.String(length=20), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_channels_name")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("approved", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=120), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.Text(), nullable=False),
        sa.Column("remote_url", sa.Text(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_posts_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("key", name=op.f("uq_posts_key")),
    )
    op.create_index(op.f("ix_posts_channel_id"), "posts", ["channel_id"], unique=False)
    op.create_index(op.f("ix_posts_due"), "posts", ["due"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_posts_channel_id"), table_name="posts")
    op.drop_index(op.f("ix_posts_due"), table_name="posts")
    op.drop_table("posts")
    op.drop_table("channels")
    op.drop_index(op.f("ix_edition_events_issue_id"), table_name="edition_events")
    op.drop_table("edition_events")
    op.drop_index(op.f("ix_edition_texts_item_id"), table_name="edition_texts")
    op.drop_table("edition_texts")
    op.drop_index(op.f("ix_edition_items_article_id"), table_name="edition_items")
    op.drop_index(op.f("ix_edition_items_issue_id"), table_name="edition_items")
    op.drop_table("edition_items")
    op.drop_index(op.f("ix_edition_issues_series_id"), table_name="edition_issues")
    op.drop_table("edition_issues")
    op.drop_table("edition_series")
    op.drop_index(op.f("ix_mail_bounces_campaign_id"), table_name="mail_bounces")
    op.drop_index(op.f("ix_mail_bounces_created"), table_name="mail_bounces")
    op.drop_index(op.f("ix_mail_bounces_email"), table_name="mail_bounces")
    op.drop_table("mail_bounces")
