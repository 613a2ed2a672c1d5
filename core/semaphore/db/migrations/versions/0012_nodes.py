"""Nodes: one row per server process on the database, with its heartbeat, and whether it drains.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from semaphore.db.types import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'node',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=100), nullable=False),
        sa.Column('started', UTCDateTime(), nullable=False),
        sa.Column('heartbeat', UTCDateTime(), nullable=False),
        sa.Column('draining', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('drained', UTCDateTime(), nullable=True),
        sa.Column('stopped', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_node')),
    )
    with op.batch_alter_table('node') as batch:
        batch.create_index(batch.f('ix_node_heartbeat'), ['heartbeat'], unique=False)


def downgrade() -> None:
    op.drop_table('node')
