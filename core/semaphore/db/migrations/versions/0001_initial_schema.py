"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import semaphore.db.types
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('option',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_option'))
    )
    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('alert', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('alert_chat', sa.String(length=30), nullable=True),
    sa.Column('max_parallel_tasks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('type', sa.String(length=20), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('password', sa.String(length=255), nullable=True),
    sa.Column('admin', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('external', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('alert', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('user__login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=255), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('created', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user__login_failure'))
    )
    with op.batch_alter_table('user__login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user__login_failure_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_user__login_failure_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_user__login_failure_login'), ['login'], unique=False)

    op.create_table('project__environment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('json', sa.Text(), nullable=False),
    sa.Column('env', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__environment_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__environment'))
    )
    with op.batch_alter_table('project__environment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__environment_project_id'), ['project_id'], unique=False)

    op.create_table('project__user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__user_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_project__user_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__user')),
    sa.UniqueConstraint('project_id', 'user_id', name=op.f('uq_project__user_project_id_user_id'))
    )
    with op.batch_alter_table('project__user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__user_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__user_user_id'), ['user_id'], unique=False)

    op.create_table('project__view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__view_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__view'))
    )
    with op.batch_alter_table('project__view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__view_project_id'), ['project_id'], unique=False)

    op.create_table('runner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('webhook', sa.Text(), nullable=False),
    sa.Column('max_parallel_tasks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('tag', sa.String(length=50), nullable=True),
    sa.Column('public_key', sa.Text(), nullable=True),
    sa.Column('touched', semaphore.db.types.UTCDateTime(), nullable=True),
    sa.Column('cleaning_requested', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_runner_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runner')),
    sa.UniqueConstraint('token', name=op.f('uq_runner_token'))
    )
    with op.batch_alter_table('runner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runner_project_id'), ['project_id'], unique=False)

    op.create_table('session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('last_active', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.Text(), nullable=False),
    sa.Column('expired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session'))
    )
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_user_id'), ['user_id'], unique=False)

    op.create_table('user__token',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('created', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('expired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user__token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user__token'))
    )
    with op.batch_alter_table('user__token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user__token_user_id'), ['user_id'], unique=False)

    op.create_table('access_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('secret', sa.Text(), nullable=True),
    sa.Column('environment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['environment_id'], ['project__environment.id'], name=op.f('fk_access_key_environment_id_project__environment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_access_key_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_key'))
    )
    with op.batch_alter_table('access_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_key_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_key_project_id'), ['project_id'], unique=False)

    op.create_table('project__repository',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('git_url', sa.Text(), nullable=False),
    sa.Column('git_branch', sa.String(length=255), nullable=False),
    sa.Column('ssh_key_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__repository_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ssh_key_id'], ['access_key.id'], name=op.f('fk_project__repository_ssh_key_id_access_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__repository'))
    )
    with op.batch_alter_table('project__repository', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__repository_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__repository_ssh_key_id'), ['ssh_key_id'], unique=False)

    op.create_table('project__inventory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('inventory', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('ssh_key_id', sa.Integer(), nullable=True),
    sa.Column('become_key_id', sa.Integer(), nullable=True),
    sa.Column('repository_id', sa.Integer(), nullable=True),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['become_key_id'], ['access_key.id'], name=op.f('fk_project__inventory_become_key_id_access_key')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__inventory_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_id'], ['project__repository.id'], name=op.f('fk_project__inventory_repository_id_project__repository')),
    sa.ForeignKeyConstraint(['ssh_key_id'], ['access_key.id'], name=op.f('fk_project__inventory_ssh_key_id_access_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__inventory'))
    )
    with op.batch_alter_table('project__inventory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__inventory_become_key_id'), ['become_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__inventory_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__inventory_repository_id'), ['repository_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__inventory_ssh_key_id'), ['ssh_key_id'], unique=False)

    op.create_table('project__template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('app', sa.String(length=50), nullable=False),
    sa.Column('type', sa.String(length=10), server_default='', nullable=False),
    sa.Column('playbook', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('inventory_id', sa.Integer(), nullable=True),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('environment_id', sa.Integer(), nullable=True),
    sa.Column('arguments', sa.Text(), nullable=True),
    sa.Column('allow_override_args_in_task', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('allow_override_branch_in_task', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('allow_parallel_tasks', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('start_version', sa.String(length=20), nullable=True),
    sa.Column('build_template_id', sa.Integer(), nullable=True),
    sa.Column('view_id', sa.Integer(), nullable=True),
    sa.Column('autorun', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('git_branch', sa.String(length=255), nullable=True),
    sa.Column('survey_vars', sa.Text(), nullable=True),
    sa.Column('suppress_success_alerts', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('task_params', sa.Text(), nullable=True),
    sa.Column('runner_tag', sa.String(length=50), nullable=True),
    sa.Column('tasks', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['build_template_id'], ['project__template.id'], name=op.f('fk_project__template_build_template_id_project__template'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['environment_id'], ['project__environment.id'], name=op.f('fk_project__template_environment_id_project__environment')),
    sa.ForeignKeyConstraint(['inventory_id'], ['project__inventory.id'], name=op.f('fk_project__template_inventory_id_project__inventory')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__template_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_id'], ['project__repository.id'], name=op.f('fk_project__template_repository_id_project__repository')),
    sa.ForeignKeyConstraint(['view_id'], ['project__view.id'], name=op.f('fk_project__template_view_id_project__view'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__template'))
    )
    with op.batch_alter_table('project__template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__template_build_template_id'), ['build_template_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__template_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__template_inventory_id'), ['inventory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__template_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__template_repository_id'), ['repository_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__template_view_id'), ['view_id'], unique=False)

    op.create_table('project__integration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('auth_method', sa.String(length=20), server_default='', nullable=False),
    sa.Column('auth_secret_id', sa.Integer(), nullable=True),
    sa.Column('auth_header', sa.String(length=255), nullable=True),
    sa.Column('searchable', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('task_params', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['auth_secret_id'], ['access_key.id'], name=op.f('fk_project__integration_auth_secret_id_access_key')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__integration_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['project__template.id'], name=op.f('fk_project__integration_template_id_project__template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__integration'))
    )
    with op.batch_alter_table('project__integration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__integration_auth_secret_id'), ['auth_secret_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__integration_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__integration_template_id'), ['template_id'], unique=False)

    op.create_table('project__schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('cron_format', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=True),
    sa.Column('last_commit_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__schedule_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_id'], ['project__repository.id'], name=op.f('fk_project__schedule_repository_id_project__repository'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['project__template.id'], name=op.f('fk_project__schedule_template_id_project__template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__schedule'))
    )
    with op.batch_alter_table('project__schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__schedule_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__schedule_repository_id'), ['repository_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__schedule_template_id'), ['template_id'], unique=False)

    op.create_table('project__template_vault',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('vault_key_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__template_vault_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['project__template.id'], name=op.f('fk_project__template_vault_template_id_project__template'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vault_key_id'], ['access_key.id'], name=op.f('fk_project__template_vault_vault_key_id_access_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__template_vault')),
    sa.UniqueConstraint('template_id', 'vault_key_id', 'name', name=op.f('uq_project__template_vault_template_id_vault_key_id_name'))
    )
    with op.batch_alter_table('project__template_vault', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__template_vault_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__template_vault_template_id'), ['template_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__template_vault_vault_key_id'), ['vault_key_id'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('integration_id', sa.Integer(), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('object_type', sa.String(length=50), nullable=True),
    sa.Column('object_name', sa.String(length=255), server_default='', nullable=False),
    sa.Column('action', sa.String(length=20), server_default='', nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['project__integration.id'], name=op.f('fk_event_integration_id_project__integration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_event_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_integration_id'), ['integration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_user_id'), ['user_id'], unique=False)

    op.create_table('project__integration_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=50), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['integration_id'], ['project__integration.id'], name=op.f('fk_project__integration_alias_integration_id_project__integration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project__integration_alias_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__integration_alias')),
    sa.UniqueConstraint('alias', name=op.f('uq_project__integration_alias_alias'))
    )
    with op.batch_alter_table('project__integration_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__integration_alias_integration_id'), ['integration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project__integration_alias_project_id'), ['project_id'], unique=False)

    op.create_table('project__integration_extract_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('value_source', sa.String(length=50), nullable=False),
    sa.Column('body_data_type', sa.String(length=50), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('variable', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['project__integration.id'], name=op.f('fk_project__integration_extract_value_integration_id_project__integration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__integration_extract_value'))
    )
    with op.batch_alter_table('project__integration_extract_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__integration_extract_value_integration_id'), ['integration_id'], unique=False)

    op.create_table('project__integration_matcher',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('match_type', sa.String(length=50), nullable=False),
    sa.Column('method', sa.String(length=50), nullable=False),
    sa.Column('body_data_type', sa.String(length=50), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['project__integration.id'], name=op.f('fk_project__integration_matcher_integration_id_project__integration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project__integration_matcher'))
    )
    with op.batch_alter_table('project__integration_matcher', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project__integration_matcher_integration_id'), ['integration_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('debug', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('diff', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('playbook', sa.String(length=255), nullable=True),
    sa.Column('environment', sa.Text(), nullable=True),
    sa.Column('hosts_limit', sa.Text(), nullable=True),
    sa.Column('arguments', sa.Text(), nullable=True),
    sa.Column('git_branch', sa.String(length=255), nullable=True),
    sa.Column('params', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('integration_id', sa.Integer(), nullable=True),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('inventory_id', sa.Integer(), nullable=True),
    sa.Column('build_task_id', sa.Integer(), nullable=True),
    sa.Column('runner_id', sa.Integer(), nullable=True),
    sa.Column('created', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('start', semaphore.db.types.UTCDateTime(), nullable=True),
    sa.Column('end', semaphore.db.types.UTCDateTime(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('commit_hash', sa.String(length=64), nullable=True),
    sa.Column('commit_message', sa.Text(), nullable=True),
    sa.Column('version', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['build_task_id'], ['task.id'], name=op.f('fk_task_build_task_id_task'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['integration_id'], ['project__integration.id'], name=op.f('fk_task_integration_id_project__integration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inventory_id'], ['project__inventory.id'], name=op.f('fk_task_inventory_id_project__inventory'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_task_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['runner_id'], ['runner.id'], name=op.f('fk_task_runner_id_runner'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['schedule_id'], ['project__schedule.id'], name=op.f('fk_task_schedule_id_project__schedule'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['project__template.id'], name=op.f('fk_task_template_id_project__template'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_task_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_build_task_id'), ['build_task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_integration_id'), ['integration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_inventory_id'), ['inventory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_runner_id'), ['runner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_index('ix_task_status_project', ['status', 'project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_template_id'), ['template_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_user_id'), ['user_id'], unique=False)

    op.create_table('task__output',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('time', semaphore.db.types.UTCDateTime(), nullable=False),
    sa.Column('output', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task__output_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'seq', name=op.f('pk_task__output'))
    )



def downgrade() -> None:
    # Tables in reverse creation order; dropping a table drops its indexes too.
    op.drop_table('task__output')
    op.drop_table('task')
    op.drop_table('project__integration_matcher')
    op.drop_table('project__integration_extract_value')
    op.drop_table('project__integration_alias')
    op.drop_table('event')
    op.drop_table('project__template_vault')
    op.drop_table('project__schedule')
    op.drop_table('project__integration')
    op.drop_table('project__template')
    op.drop_table('project__inventory')
    op.drop_table('project__repository')
    op.drop_table('access_key')
    op.drop_table('user__token')
    op.drop_table('session')
    op.drop_table('runner')
    op.drop_table('project__view')
    op.drop_table('project__user')
    op.drop_table('project__environment')
    op.drop_table('user__login_failure')
    op.drop_table('user')
    op.drop_table('project')
    op.drop_table('option')
