"""A few lines at the end of a finished task's log from outside its run (the outcome of its
alerts), safe beside other server processes doing the same for the task: the task's row is locked
while the next numbers (``seq``) are taken, and a clash (SQLite has no row locks) takes them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from semaphore.db.log_rows import LogRows
from semaphore.db.models import Task
from semaphore.db.types import utcnow

if TYPE_CHECKING:
    from semaphore.state import AppState

ATTEMPTS = 3


def append_lines(state: AppState, task_id: int, project_id: int, lines: list[str]) -> bool:
    """Store ``lines`` after the task's last line and show them to live viewers; False when the
    task is gone."""
    engine = state.db.engine
    rows = LogRows(engine.dialect, task_id)
    for attempt in range(ATTEMPTS):
        stamp = utcnow()
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "sqlite":  # no row locks: hold the database's write lock instead
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                if conn.scalar(select(Task.id).where(Task.id == task_id).with_for_update()) is None:
                    return False
                first = rows.last_seq(conn) + 1
                rows.insert(conn, [(first, stamp, lines)])
            break
        except IntegrityError:  # another writer took these numbers meanwhile
            if attempt == ATTEMPTS - 1:
                raise
    state.live.publish_log(task_id, project_id, [(stamp, first, lines)])
    return True
