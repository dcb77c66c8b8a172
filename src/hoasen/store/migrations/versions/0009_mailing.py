"""Mailing lists and campaigns (listmonk's model): lists, subscribers and their membership,
campaigns, one send row per campaign and subscriber (the unique pair that keeps a resumed send
from mailing anyone twice), and the generated mail token key.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_mailing_keys_name")),
    )
    op.create_table(
        "mailing_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("double_optin", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_mailing_lists_name")),
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_subscribers_email")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["mailing_lists.id"], name=op.f("fk_campaigns_list_id_mailing_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_list_id"), "campaigns", ["list_id"], unique=False)
    op.create_table(
        "list_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["mailing_lists.id"],
            name=op.f("fk_list_members_list_id_mailing_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_list_members_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_members")),
        sa.UniqueConstraint("list_id", "subscriber_id", name="uq_list_members_list_subscriber"),
    )
    op.create_index(op.f("ix_list_members_list_id"), "list_members", ["list_id"], unique=False)
    op.create_index(
        op.f("ix_list_members_subscriber_id"), "list_members", ["subscriber_id"], unique=False
    )
    op.create_table(
        "campaign_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_sends_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_campaign_sends_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_sends")),
        sa.UniqueConstraint(
            "campaign_id", "subscriber_id", name="uq_campaign_sends_campaign_subscriber"
        ),
    )
    op.create_index(
        op.f("ix_campaign_sends_campaign_id"), "campaign_sends", ["campaign_id"], unique=False
    )
    op.create_index(
        op.f("ix_campaign_sends_subscriber_id"), "campaign_sends", ["subscriber_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_sends_subscriber_id"), table_name="campaign_sends")
    op.drop_index(op.f("ix_campaign_sends_campaign_id"), table_name="campaign_sends")
    op.drop_table("campaign_sends")
    op.drop_index(op.f("ix_list_members_subscriber_id"), table_name="list_members")
    op.drop_index(op.f("ix_list_members_list_id"), table_name="list_members")
    op.drop_table("list_members")
    op.drop_index(op.f("ix_campaigns_list_id"), table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_table("subscribers")
    op.drop_table("mailing_lists")
    op.drop_table("mailing_keys")
