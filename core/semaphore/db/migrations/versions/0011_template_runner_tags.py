"""Templates need a list of runner tags, all or any of them, beside the single runner_tag
(which stays, as the first of the list).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project__template') as batch:
        batch.add_column(sa.Column('runner_tags_match', sa.String(length=3), server_default='all', nullable=False))
    op.create_table(
        'project__template_runner_tag',
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=50), nullable=False),
        sa.Column('position', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['template_id'], ['project__template.id'],
                                name=op.f('fk_project__template_runner_tag_template_id_project__template'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('template_id', 'tag', name=op.f('pk_project__template_runner_tag')),
    )
    op.execute("INSERT INTO project__template_runner_tag (template_id, tag) "
               "SELECT id, runner_tag FROM project__template WHERE runner_tag IS NOT NULL AND runner_tag <> ''")


def downgrade() -> None:
    op.drop_table('project__template_runner_tag')
    with op.batch_alter_table('project__template') as batch:
        batch.drop_column('runner_tags_match')
