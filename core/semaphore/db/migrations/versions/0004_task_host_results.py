"""per-host results of a task (ok / changed / failed / unreachable / skipped / rescued / ignored
counts and the failed tasks), as the ansible executor reports them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'task__host_result',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('ok', sa.Integer(), nullable=False),
        sa.Column('changed', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('unreachable', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('rescued', sa.Integer(), nullable=False),
        sa.Column('ignored', sa.Integer(), nullable=False),
        sa.Column('failures', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb'), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task__host_result_task_id_task'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('task_id', 'host', name=op.f('pk_task__host_result')),
    )


def downgrade() -> None:
    op.drop_table('task__host_result')
