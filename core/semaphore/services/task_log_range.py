"""Where a task's log starts and ends: the task page loads its last page first and pages back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import TaskOutput


def output_bounds(db: DbSession, task_id: int) -> tuple[int, int]:
    """The first and the last ``seq`` of the task's output, (0, 0) while it has none. Two index
    look-ups on the (task_id, seq) key, however long the log."""
    # Two scalar subqueries: SQLite answers a lone min() or max() from the index, not both in one.
    def bound(aggregate: Any) -> Any:
        return select(aggregate(TaskOutput.seq)).where(TaskOutput.task_id == task_id).scalar_subquery()
    first, last = db.execute(select(bound(func.min), bound(func.max))).one()
    return int(first or 0), int(last or 0)
