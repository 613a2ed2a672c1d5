"""Cluster bus messages too long to travel inline (PostgreSQL NOTIFY carries 8000 bytes).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from semaphore.db.types import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cluster_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=100), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cluster_message')),
    )
    with op.batch_alter_table('cluster_message') as batch:
        batch.create_index(batch.f('ix_cluster_message_created'), ['created'], unique=False)


def downgrade() -> None:
    op.drop_table('cluster_message')
