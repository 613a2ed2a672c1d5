"""task lease (which server process runs a task, and when it last said so) and the run's
encrypted secret extra vars (cleared when the task finishes)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import semaphore.db.types
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('heartbeat', semaphore.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('secret', sa.Text(), nullable=True))
        batch.create_index(batch.f('ix_task_claimed_by'), ['claimed_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task') as batch:
        batch.drop_index(batch.f('ix_task_claimed_by'))
        batch.drop_column('secret')
        batch.drop_column('heartbeat')
        batch.drop_column('claimed_by')
