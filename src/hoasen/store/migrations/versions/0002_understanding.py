"""Understanding coverage: entity mentions, figures, topics, embeddings, stories, stage versions,
imported gazetteer files.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _article_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["article_id"],
        ["articles.id"],
        name=op.f(f"fk_{table}_article_id_articles"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "entity_mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=120), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=3), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        _article_fk("entity_mentions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_mentions")),
    )
    op.create_index(op.f("ix_entity_mentions_article_id"), "entity_mentions", ["article_id"])
    op.create_index(op.f("ix_entity_mentions_entity_id"), "entity_mentions", ["entity_id"])
    op.create_table(
        "article_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("scale", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        _article_fk("article_figures"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_figures")),
    )
    op.create_index(op.f("ix_article_figures_article_id"), "article_figures", ["article_id"])
    op.create_table(
        "article_topics",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        _article_fk("article_topics"),
        sa.PrimaryKeyConstraint("article_id", "topic", name=op.f("pk_article_topics")),
    )
    op.create_index("ix_article_topics_topic", "article_topics", ["topic"])
    op.create_table(
        "article_embeddings",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        _article_fk("article_embeddings"),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_embeddings")),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_language", sa.String(length=8), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("countries", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    op.create_index(op.f("ix_stories_first_seen"), "stories", ["first_seen"])
    op.create_index(op.f("ix_stories_last_seen"), "stories", ["last_seen"])
    op.create_table(
        "story_articles",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        _article_fk("story_articles"),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_articles_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_story_articles")),
    )
    op.create_index(op.f("ix_story_articles_story_id"), "story_articles", ["story_id"])
    op.create_table(
        "article_stages",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("done", sa.DateTime(timezone=True), nullable=False),
        _article_fk("article_stages"),
        sa.PrimaryKeyConstraint("article_id", "stage", name=op.f("pk_article_stages")),
    )
    op.create_index("ix_article_stages_stage_version", "article_stages", ["stage", "version"])
    op.create_table(
        "gazetteer_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gazetteer_imports")),
    )


def downgrade() -> None:
    for table in (
        "gazetteer_imports",
        "article_stages",
        "story_articles",
        "stories",
        "article_embeddings",
        "article_topics",
        "article_figures",
        "entity_mentions",
    ):
        op.drop_table(table)
