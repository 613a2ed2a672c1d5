"""Alerts wait in the database until sent or given up, one row per channel, so a node that stops
mid-send leaves them to another.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from semaphore.db.types import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=100), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created', UTCDateTime(), nullable=False),
        sa.Column('next_attempt', UTCDateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_until', UTCDateTime(), nullable=True),
        sa.Column('finished', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_alert_outbox_task_id_task'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox')),
    )
    with op.batch_alter_table('alert_outbox') as batch:
        batch.create_index(batch.f('ix_alert_outbox_task_id'), ['task_id'], unique=False)
        batch.create_index('ix_alert_outbox_due', ['finished', 'next_attempt'], unique=False)


def downgrade() -> None:
    op.drop_table('alert_outbox')
