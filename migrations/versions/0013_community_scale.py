"""The boards at scale (issue 14): the opening post of each thread, for search by title

Revision ID: 0013_community_scale
Revises: 0010_board
Create Date: 2026-11-30 04:35:00

"""
from alembic import op
import sqlalchemy as sa

revision = "0013_community_scale"
down_revision = "0010_board"
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX (no batch mode: on SQLite a batch would rebuild the table and lose
    # the search triggers).
    op.create_index("ix_community_posts_opening", "community_posts", ["thread_id"],
                    unique=False, postgresql_where=sa.text("is_opening"),
                    sqlite_where=sa.text("is_opening"))


def downgrade():
    op.drop_index("ix_community_posts_opening", table_name="community_posts")
