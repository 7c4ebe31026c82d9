"""item drafts, flagged answers, retired quizzes

Revision ID: 0004_quizux_drafts_flags
Revises: 0004_outbox_delivery_claims
Create Date: 2026-11-29 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import lms.dbtypes


# revision identifiers, used by Alembic.
revision = '0004_quizux_drafts_flags'
down_revision = '0005_ce_credits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('base_revision', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', lms.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_item_drafts_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_drafts_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_drafts')),
    sa.UniqueConstraint('item_id', name=op.f('uq_item_drafts_item_id'))
    )
    with op.batch_alter_table('item_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_drafts_author_id'), ['author_id'], unique=False)

    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', lms.dbtypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('attempt_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade():
    with op.batch_alter_table('attempt_questions', schema=None) as batch_op:
        batch_op.drop_column('flagged')

    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('retired_at')

    with op.batch_alter_table('item_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_drafts_author_id'))

    op.drop_table('item_drafts')
