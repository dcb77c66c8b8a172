"""Deliveries (the one queue every outgoing transport uses, with attempts) and the news
exchange: plans per partner and direction, built packages with their items and files, and the
ledger of what was sent and received.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("partner_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_sources_partner_id"), "sources", ["partner_id"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=80), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_deliveries_key")),
    )
    op.create_index(op.f("ix_deliveries_ref"), "deliveries", ["ref"], unique=False)
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_delivery_attempts_delivery_id"), "delivery_attempts", ["delivery_id"], unique=False
    )
    op.create_table(
        "exchange_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=80), nullable=False),
        sa.Column("operator", sa.String(length=120), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_exchange_ledger_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_ledger")),
    )
    op.create_index(
        op.f("ix_exchange_ledger_created"), "exchange_ledger", ["created"], unique=False
    )
    op.create_index(
        op.f("ix_exchange_ledger_package_id"), "exchange_ledger", ["package_id"], unique=False
    )
    op.create_index(
        op.f("ix_exchange_ledger_partner_id"), "exchange_ledger", ["partner_id"], unique=False
    )
    op.create_table(
        "exchange_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("schedule", sa.String(length=120), nullable=False),
        sa.Column("selection", sa.Text(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("machine_translate", sa.Boolean(), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("transport_config", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=120), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_exchange_plans_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_plans")),
        sa.UniqueConstraint("name", name=op.f("uq_exchange_plans_name")),
    )
    op.create_index(
        op.f("ix_exchange_plans_partner_id"), "exchange_plans", ["partner_id"], unique=False
    )
    op.create_table(
        "exchange_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("built", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.String(length=120), nullable=False),
        sa.Column("approved", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=120), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=80), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_exchange_packages_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["exchange_plans.id"],
            name=op.f("fk_exchange_packages_plan_id_exchange_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_packages")),
        sa.UniqueConstraint("partner_id", "sequence", name="uq_exchange_packages_partner_sequence"),
    )
    op.create_index(
        op.f("ix_exchange_packages_plan_id"), "exchange_packages", ["plan_id"], unique=False
    )
    op.create_table(
        "exchange_package_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["exchange_packages.id"],
            name=op.f("fk_exchange_package_files_package_id_exchange_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_package_files")),
    )
    op.create_index(
        op.f("ix_exchange_package_files_package_id"),
        "exchange_package_files",
        ["package_id"],
        unique=False,
    )
    op.create_table(
        "exchange_package_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("translation_id", sa.Integer(), nullable=True),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_exchange_package_items_article_id_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["exchange_packages.id"],
            name=op.f("fk_exchange_package_items_package_id_exchange_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_package_items")),
    )
    op.create_index(
        op.f("ix_exchange_package_items_article_id"),
        "exchange_package_items",
        ["article_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_exchange_package_items_package_id"),
        "exchange_package_items",
        ["package_id"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_exchange_package_items_package_id"), table_name="exchange_package_items")
    op.drop_index(op.f("ix_exchange_package_items_article_id"), table_name="exchange_package_items")
    op.drop_table("exchange_package_items")
    op.drop_index(op.f("ix_exchange_package_files_package_id"), table_name="exchange_package_files")
    op.drop_table("exchange_package_files")
    op.drop_index(op.f("ix_exchange_packages_plan_id"), table_name="exchange_packages")
    op.drop_table("exchange_packages")
    op.drop_index(op.f("ix_exchange_plans_partner_id"), table_name="exchange_plans")
    op.drop_table("exchange_plans")
    op.drop_index(op.f("ix_exchange_ledger_partner_id"), table_name="exchange_ledger")
    op.drop_index(op.f("ix_exchange_ledger_package_id"), table_name="exchange_ledger")
    op.drop_index(op.f("ix_exchange_ledger_created"), table_name="exchange_ledger")
    op.drop_table("exchange_ledger")
    op.drop_index(op.f("ix_delivery_attempts_delivery_id"), table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_index(op.f("ix_deliveries_ref"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_sources_partner_id"), table_name="sources")
    op.drop_column("sources", "partner_id")
