"""What a runner reports about its jobs (``PUT /api/internal/runners``): log lines, the commit it
checked out, status changes.

Log records carry their line number (``seq``) in the task's log, so a report the runner sends again
(its answer was lost) stores no line twice: records whose seq is stored already are skipped. Lines
are stored and committed before the status changes, so a viewer never sees a task finish before
its last lines. A status goes through :func:`~semaphore.services.task_status.change_status` and its
guard (a late "running" never undoes a stop). A job that is not this runner's task is ignored and
logged, never an error for the whole report.

The first report on a task also confirms that the runner has its job (the runner reports
``starting`` as soon as it opened it): the task's ``heartbeat``, the time of its last hand-over, is
cleared, and the poll never hands that job over again (:mod:`semaphore.engine.runner_dispatch`).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Runner, Task, TaskOutput
from semaphore.services.task_status import TaskStatus, change_status, is_finished

if TYPE_CHECKING:
    from semaphore.live import LiveHub
    from semaphore.task_events import TaskEvents

log = logging.getLogger(__name__)


def report(db: DbSession, events: TaskEvents, live: LiveHub, runner: Runner, data: dict[str, Any]) -> None:
    """Apply one progress report (validated by ProgressSchema) of ``runner``."""
    if data.get("apps") is not None:
        runner.apps = json.dumps(data["apps"])
    if data.get("version") is not None:
        runner.version = data["version"]
    db.commit()  # the runner's own news (and touched) stand whatever its jobs hold
    for job in data.get("jobs") or ():
        task = db.get(Task, job["id"])
        if task is None or task.runner_id != runner.id:
            log.warning("runner %s (%s) reported on task %s, which is not its own: ignored",
                        runner.id, runner.name, job["id"])
            continue
        if task.status == TaskStatus.STARTING and task.heartbeat is not None:
            _confirm_receipt(db, task)
        _store_log(db, live, task, job.get("log_records") or [])
        if job.get("commit") and job["commit"]["hash"]:
            task.commit_hash = job["commit"]["hash"]
            task.commit_message = job["commit"]["message"]
            db.commit()
        if job.get("status") and job["status"] != task.status and not is_finished(task.status):
            # A finished task's secret variables are forgotten, as after a local run.
            forget = {"secret": None} if is_finished(job["status"]) else None
            change_status(db, events, task, job["status"], also=forget)


def _confirm_receipt(db: DbSession, task: Task) -> None:
    """The runner has the task's job: it is not to be handed over again."""
    db.execute(update(Task).where(Task.id == task.id, Task.runner_id == task.runner_id,
                                  Task.status == TaskStatus.STARTING.value).values(heartbeat=None))
    db.commit()


def _store_log(db: DbSession, live: LiveHub, task: Task, records: list[dict[str, Any]]) -> None:
    """Store the records whose seq is new (once each even when two reports race), then show them to
    live viewers."""
    for _attempt in range(2):
        new = _unstored(db, task.id, records)
        if not new:
            return
        # one executemany: a report carries thousands of lines, too many for an ORM object each
        db.execute(insert(TaskOutput), [{"task_id": task.id, "seq": r["seq"], "time": r["time"],
                                         "output": r["message"]} for r in new])
        try:
            db.commit()
            break
        except IntegrityError:  # another report stored some of these meanwhile: look again
            db.rollback()
    else:
        return
    live.publish_log(task.id, task.project_id, [(r["time"], r["seq"], [r["message"]]) for r in new])


def _unstored(db: DbSession, task_id: int, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not records:
        return []
    seqs = [r["seq"] for r in records]
    stored = set(db.scalars(select(TaskOutput.seq).where(TaskOutput.task_id == task_id,
                                                         TaskOutput.seq.between(min(seqs), max(seqs)))))
    fresh: dict[int, dict[str, Any]] = {}
    for record in records:
        if record["seq"] not in stored:
            fresh.setdefault(record["seq"], record)  # a seq twice in one report: the first wins
    return sorted(fresh.values(), key=lambda r: r["seq"])
