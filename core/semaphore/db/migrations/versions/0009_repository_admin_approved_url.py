"""Repositories: admin_approved_url, the local-path or file:// URL a system administrator saved
(runs may read it outside local_repository_roots). Left empty for existing rows: a local repository
saved before must be saved again by an administrator, or lie under local_repository_roots.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project__repository') as batch:
        batch.add_column(sa.Column('admin_approved_url', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('project__repository') as batch:
        batch.drop_column('admin_approved_url')
