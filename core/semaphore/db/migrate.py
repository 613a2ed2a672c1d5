"""Bring the schema to the newest revision (``semaphore migrate`` and server start)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LOCK_NAME = "semaphore_migrate"
LOCK_ID = 7_311_001  # PostgreSQL advisory lock key


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``. Several server processes may start at once: a database lock
    makes them take turns, and the later ones find nothing left to do."""
    with engine.connect() as conn, _migration_lock(conn):
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(alembic_config(conn), revision)
        conn.commit()
        after = MigrationContext.configure(conn).get_current_revision()
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.connect() as conn, _migration_lock(conn):
        command.downgrade(alembic_config(conn), revision)
        conn.commit()


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    name = conn.dialect.name
    if name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
    elif name in ("mysql", "mariadb"):
        conn.execute(text("SELECT GET_LOCK(:name, 600)"), {"name": LOCK_NAME})
    conn.commit()
    try:
        yield
    finally:
        if name == "postgresql":
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
        elif name in ("mysql", "mariadb"):
            conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
        conn.commit()
