"""Migrations on every database: they build exactly the schema the models describe, and go down
and up again cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from semaphore.db.engine import create_db_engine
from semaphore.db.migrate import current_revision, downgrade, head_revision, upgrade
from semaphore.db.models import Base


def test_migrated_schema_matches_the_models(config):
    engine = create_db_engine(config)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_upgrade_again(config):
    engine = create_db_engine(config)
    try:
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        upgrade(engine)  # a second run (another server starting) finds nothing to do
        assert current_revision(engine) == head_revision()
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
