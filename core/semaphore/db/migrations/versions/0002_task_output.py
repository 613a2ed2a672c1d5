"""task output lines up to 1 MiB on MySQL/MariaDB (MEDIUMTEXT; TEXT holds only 64 KiB)

The log pipeline cuts a line at 1 MiB (semaphore.engine.log.MAX_LINE); SQLite and PostgreSQL
text columns already hold that. Downgrading fails on MySQL while a stored line is over 64 KiB.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _is_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    if _is_mysql():
        op.alter_column('task__output', 'output', existing_type=sa.Text(), type_=mysql.MEDIUMTEXT(),
                        existing_nullable=False)


def downgrade() -> None:
    if _is_mysql():
        op.alter_column('task__output', 'output', existing_type=mysql.MEDIUMTEXT(), type_=sa.Text(),
                        existing_nullable=False)
