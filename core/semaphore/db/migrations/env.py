"""Alembic environment: runs on the connection handed over by semaphore.db.migrate."""

from alembic import context

from semaphore.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `semaphore migrate`, which provides the connection")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
