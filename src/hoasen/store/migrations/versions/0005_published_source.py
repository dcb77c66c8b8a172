"""Where each article's publication date came from (`published_source`): the page, the feed,
the sender's JSON, the HTTP Last-Modified header, or `first_seen` when nothing said and the time
it was first seen stands in. Older articles without a date get that estimate, marked as such.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("published_source", sa.String(length=12), nullable=True))
    articles = sa.table(
        "articles",
        sa.column("published", sa.DateTime(timezone=True)),
        sa.column("fetched", sa.DateTime(timezone=True)),
        sa.column("published_source", sa.String(length=12)),
    )
    op.execute(
        articles.update()
        .where(articles.c.published.is_(None))
        .values(published=articles.c.fetched, published_source="first_seen")
    )


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("published_source")
