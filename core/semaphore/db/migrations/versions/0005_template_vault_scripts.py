"""template vaults of type "script": a vault password client script of the repository instead of
a login_password key (type, script; vault_key_id becomes optional)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project__template_vault') as batch:
        batch.add_column(sa.Column('type', sa.String(length=20), server_default='password', nullable=False))
        batch.add_column(sa.Column('script', sa.String(length=255), nullable=True))
        batch.alter_column('vault_key_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM project__template_vault WHERE vault_key_id IS NULL")
    with op.batch_alter_table('project__template_vault') as batch:
        batch.alter_column('vault_key_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('script')
        batch.drop_column('type')
