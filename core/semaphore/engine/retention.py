"""``max_tasks_per_template``: keep the newest N finished tasks of each template, with their output.

Runs in the engine's background thread, never on the request path. Output rows are deleted in
chunks first so that a task with millions of lines never holds a long write lock (SQLite).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Task, TaskOutput, Template
from semaphore.services.task_status import FINISHED

OUTPUT_CHUNK = 20_000


def prune_template(db: DbSession, template_id: int, keep: int) -> int:
    """Delete the finished tasks of ``template_id`` beyond the newest ``keep``; how many went."""
    if keep <= 0:
        return 0
    finished = [status.value for status in FINISHED]
    doomed = list(db.scalars(select(Task.id).where(Task.template_id == template_id, Task.status.in_(finished))
                             .order_by(Task.id.desc()).offset(keep)))
    for task_id in doomed:
        _delete_output(db, task_id)
        db.execute(delete(Task).where(Task.id == task_id))
        db.commit()
    return len(doomed)


def prune_all(db: DbSession, keep: int) -> int:
    return sum(prune_template(db, template_id, keep) for template_id in db.scalars(select(Template.id)))


def _delete_output(db: DbSession, task_id: int) -> None:
    while True:
        seqs = list(db.scalars(select(TaskOutput.seq).where(TaskOutput.task_id == task_id)
                               .order_by(TaskOutput.seq).limit(OUTPUT_CHUNK)))
        if not seqs:
            return
        db.execute(delete(TaskOutput).where(TaskOutput.task_id == task_id, TaskOutput.seq <= seqs[-1]))
        db.commit()
