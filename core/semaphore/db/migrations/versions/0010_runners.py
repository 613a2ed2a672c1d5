"""Remote runners: what a runner reports at registration (tags, apps, version, when), and one-time
registration tokens (runner_registration) made in the UI or API.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from semaphore.db.types import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('runner') as batch:
        batch.add_column(sa.Column('tags', sa.Text(), nullable=True))
        batch.add_column(sa.Column('apps', sa.Text(), nullable=True))
        batch.add_column(sa.Column('version', sa.String(length=100), server_default='', nullable=False))
        batch.add_column(sa.Column('registered', UTCDateTime(), nullable=True))
    op.create_table(
        'runner_registration',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=255), server_default='', nullable=False),
        sa.Column('created', UTCDateTime(), nullable=False),
        sa.Column('expires', UTCDateTime(), nullable=False),
        sa.Column('used', UTCDateTime(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_runner_registration_project_id_project'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_runner_registration_created_by_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_runner_registration')),
        sa.UniqueConstraint('token', name=op.f('uq_runner_registration_token')),
    )
    with op.batch_alter_table('runner_registration') as batch:
        batch.create_index(batch.f('ix_runner_registration_project_id'), ['project_id'], unique=False)
        batch.create_index(batch.f('ix_runner_registration_created_by'), ['created_by'], unique=False)


def downgrade() -> None:
    op.drop_table('runner_registration')
    with op.batch_alter_table('runner') as batch:
        batch.drop_column('registered')
        batch.drop_column('version')
        batch.drop_column('apps')
        batch.drop_column('tags')
