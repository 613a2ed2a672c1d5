"""The database from the command line: `semaphore migrate`, the session the other commands work
in, and a database error told in one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import SQLAlchemyError
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


def short_db_error(exc: SQLAlchemyError) -> str:
    """The driver's own first line, without SQLAlchemy's SQL echo and background link."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__
