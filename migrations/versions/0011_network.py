"""network: notifications, digest preferences (issue 14: cohorts, notifications, directory)

Revision ID: 0010_network
Revises: 0010_credentials
Create Date: 2026-11-30 00:22:27.029242

"""
from alembic import op
import sqlalchemy as sa

import lms.dbtypes


# revision identifiers, used by Alembic.
revision = '0010_network'
down_revision = '0010_credentials'  # chained after cred's (merged for the directory); was 0009
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('focus_areas', sa.String(length=400), server_default='', nullable=False))

    op.create_table('notification_prefs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=10), nullable=False),
    sa.Column('last_digest_at', lms.dbtypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint("digest IN ('off','daily','weekly')", name=op.f('ck_notification_prefs_digest')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_prefs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_prefs'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('board_key', sa.String(length=80), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', lms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('read_at', lms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('digested_at', lms.dbtypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notifications_recipient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('recipient_id', 'dedupe_key', name='uq_notifications_recipient_dedupe')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_digest', ['digested_at', 'recipient_id'], unique=False)
        batch_op.create_index('ix_notifications_recipient_created', ['recipient_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notifications_recipient_read', ['recipient_id', 'read_at'], unique=False)

    op.create_table('cohort_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', lms.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', lms.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_invites_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cohort_invites_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_invites')),
    sa.UniqueConstraint('token', name=op.f('uq_cohort_invites_token'))
    )
    with op.batch_alter_table('cohort_invites', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_invites_cohort_id', ['cohort_id'], unique=False)

    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), server_default='member', nullable=False))
        batch_op.create_check_constraint(op.f('ck_cohort_members_role'), "role IN ('member','facilitator')")

    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ends_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cohorts_course_id'), ['course_id'], unique=False)
        batch_op.create_check_constraint(
            op.f('ck_cohorts_dates_in_order'),
            'ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on')
        batch_op.create_foreign_key(batch_op.f('fk_cohorts_course_id_courses'), 'courses', ['course_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('focus_areas')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_recipient_read')
        batch_op.drop_index('ix_notifications_recipient_created')
        batch_op.drop_index('ix_notifications_digest')

    op.drop_table('notifications')
    op.drop_table('notification_prefs')
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cohorts_course_id_courses'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_cohorts_dates_in_order'), type_='check')
        batch_op.drop_index(batch_op.f('ix_cohorts_course_id'))
        batch_op.drop_column('ends_on')
        batch_op.drop_column('starts_on')
        batch_op.drop_column('region')
        batch_op.drop_column('course_id')

    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_cohort_members_role'), type_='check')
        batch_op.drop_column('role')

    with op.batch_alter_table('cohort_invites', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_invites_cohort_id')

    op.drop_table('cohort_invites')

