"""Schedules: a time zone per schedule, when it last changed (earlier fire times are not its own),
and project__schedule_fire, one row per fire time claimed, so each fire time runs exactly once
across restarts and server processes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from semaphore.db.types import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project__schedule') as batch:
        batch.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('updated', UTCDateTime(), nullable=True))
    op.create_table(
        'project__schedule_fire',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('schedule_id', sa.Integer(), nullable=False),
        sa.Column('fire_time', UTCDateTime(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('created', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['schedule_id'], ['project__schedule.id'],
                                name=op.f('fk_project__schedule_fire_schedule_id_project__schedule'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_project__schedule_fire_task_id_task'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project__schedule_fire')),
        sa.UniqueConstraint('schedule_id', 'fire_time', name=op.f('uq_project__schedule_fire_schedule_id_fire_time')),
    )
    op.create_index(op.f('ix_project__schedule_fire_task_id'), 'project__schedule_fire', ['task_id'], unique=False)


def downgrade() -> None:
    op.drop_table('project__schedule_fire')
    with op.batch_alter_table('project__schedule') as batch:
        batch.drop_column('updated')
        batch.drop_column('timezone')
