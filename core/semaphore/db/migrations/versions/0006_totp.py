"""TOTP two-factor authentication: user__totp enrolments, and session.verified (False until a
TOTP-enrolled user gives the code)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from semaphore.db.types import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user__totp',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created', UTCDateTime(), nullable=False),
        sa.Column('secret', sa.Text(), nullable=False),
        sa.Column('confirmed', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('last_step', sa.BigInteger(), nullable=True),
        sa.Column('recovery_hashes', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user__totp_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user__totp')),
        sa.UniqueConstraint('user_id', name=op.f('uq_user__totp_user_id')),
    )
    with op.batch_alter_table('session') as batch:
        batch.add_column(sa.Column('verified', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('session') as batch:
        batch.drop_column('verified')
    op.drop_table('user__totp')
