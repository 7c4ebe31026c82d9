"""items.audience: instructors-only lessons (issue 15's marker calibration memos)

Revision ID: 0009_issue15_item_audience
Revises: 0004_quizux_drafts_flags
Create Date: 2026-11-29 22:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_issue15_item_audience'
down_revision = '0004_quizux_drafts_flags'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=20),
                                      server_default='learners', nullable=False))
        batch_op.create_check_constraint(op.f('ck_items_audience'),
                                         "audience IN ('learners','instructors')")


def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_items_audience'), type_='check')
        batch_op.drop_column('audience')
