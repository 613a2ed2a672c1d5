"""The database from the command line: `semaphore migrate`, and the session the other commands
work in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session as DbSession

from semaphore.cli.root import state


@contextmanager
def database_session() -> Iterator[DbSession]:
    """A session on the configured database, brought to the newest schema first (as the original)."""
    from semaphore.db.engine import Database
    from semaphore.db.migrate import upgrade

    database = Database.from_config(state().config())
    try:
        upgrade(database.engine)
        with database.session() as db:
            yield db
    finally:
        database.dispose()


@click.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the newest revision."""
    from semaphore.db.engine import Database
    from semaphore.db.migrate import current_revision, upgrade

    config = state().config()
    database = Database.from_config(config)
    try:
        before = current_revision(database.engine)
        upgrade(database.engine)
        after = current_revision(database.engine)
    finally:
        database.dispose()
    if before == after:
        click.echo(f"Database ({config.db_dialect}) is up to date at revision {after}.")
    else:
        click.echo(f"Database ({config.db_dialect}) migrated from {before or 'empty'} to revision {after}.")
