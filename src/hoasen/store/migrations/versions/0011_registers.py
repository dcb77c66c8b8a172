"""Registers: delegations (with their programme), foreign press groups and accredited
journalists, the events calendar (with iCalendar subscription tokens), the people they name,
and the articles linked to each entry.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("outlet", sa.String(length=300), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("erased", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_people")),
    )
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.String(length=120), nullable=True),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["head_id"], ["register_people.id"], name=op.f("fk_delegations_head_id_register_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    op.create_index(op.f("ix_delegations_entity_id"), "delegations", ["entity_id"], unique=False)
    op.create_index(op.f("ix_delegations_starts"), "delegations", ["starts"], unique=False)
    op.create_table(
        "delegation_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegations.id"],
            name=op.f("fk_delegation_activities_delegation_id_delegations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegation_activities")),
    )
    op.create_index(
        op.f("ix_delegation_activities_delegation_id"),
        "delegation_activities",
        ["delegation_id"],
        unique=False,
    )
    op.create_table(
        "press_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("outlets", sa.Text(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.Column("officer", sa.String(length=120), nullable=False),
        sa.Column("programme", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_press_groups")),
    )
    op.create_index(op.f("ix_press_groups_starts"), "press_groups", ["starts"], unique=False)
    op.create_table(
        "journalists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("permit_number", sa.String(length=80), nullable=False),
        sa.Column("permit_authority", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("areas", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["press_groups.id"], name=op.f("fk_journalists_group_id_press_groups")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["register_people.id"],
            name=op.f("fk_journalists_person_id_register_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journalists")),
    )
    op.create_index(op.f("ix_journalists_group_id"), "journalists", ["group_id"], unique=False)
    op.create_index(op.f("ix_journalists_person_id"), "journalists", ["person_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("calendar", sa.String(length=120), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("starts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends", sa.DateTime(timezone=True), nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("organisers", sa.Text(), nullable=False),
        sa.Column("partners", sa.Text(), nullable=False),
        sa.Column("names", sa.Text(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=True),
        sa.Column("actual", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("uid", name=op.f("uq_events_uid")),
    )
    op.create_index(op.f("ix_events_starts"), "events", ["starts"], unique=False)
    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("calendar", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_tokens_token_hash")),
    )
    op.create_table(
        "register_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=12), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_register_links_article_id_articles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_links")),
        sa.UniqueConstraint("register", "entry_id", "article_id", name="uq_register_links_entry"),
    )
    op.create_index(
        op.f("ix_register_links_article_id"), "register_links", ["article_id"], unique=False
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_register_links_article_id"), table_name="register_links")
    op.drop_table("register_links")
    op.drop_table("calendar_tokens")
    op.drop_index(op.f("ix_events_starts"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_journalists_group_id"), table_name="journalists")
    op.drop_index(op.f("ix_journalists_person_id"), table_name="journalists")
    op.drop_table("journalists")
    op.drop_index(op.f("ix_press_groups_starts"), table_name="press_groups")
    op.drop_table("press_groups")
    op.drop_index(
        op.f("ix_delegation_activities_delegation_id"), table_name="delegation_activities"
    )
    op.drop_table("delegation_activities")
    op.drop_index(op.f("ix_delegations_entity_id"), table_name="delegations")
    op.drop_index(op.f("ix_delegations_starts"), table_name="delegations")
    op.drop_table("delegations")
    op.drop_table("register_people")
