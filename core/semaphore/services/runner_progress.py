"""What a runner reports about its jobs (``PUT /api/internal/runners``): log lines, the commit it
checked out, status changes.

Log lines carry their number (``seq``) in the task's log, one by one (``LogRecords``) or from the
first line of a chunk on (``LogChunks``), so a report the runner sends again (its answer was lost)
stores no line twice: lines whose seq is stored already are skipped. Lines
are stored and committed before the status changes, so a viewer never sees a task finish before
its last lines. A status goes through :func:`~semaphore.services.task_status.change_status` and its
guard (a late "running" never undoes a stop). A job that is not this runner's task is ignored and
logged, never an error for the whole report. A job reported ``Lost`` (the runner restarted and no
longer runs it) is not applied here: the API layer hands those to
:func:`semaphore.engine.runner_reconcile.release_lost`.

The first report on a task also confirms that the runner has its job (the runner reports
``starting`` as soon as it opened it): the task's ``heartbeat``, the time of its last hand-over, is
cleared, and the poll never hands that job over again (:mod:`semaphore.engine.runner_dispatch`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from semaphore.db.log_rows import LogChunk, LogRows
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
        if job.get("lost"):
            continue
        task = db.get(Task, job["id"])
        if task is None or task.runner_id != runner.id:
            log.warning("runner %s (%s) reported on task %s, which is not its own: ignored",
                        runner.id, runner.name, job["id"])
            continue
        if task.status == TaskStatus.STARTING and task.heartbeat is not None:
            _confirm_receipt(db, task)
        _store_log(db, live, task, job)
        if job.get("commit") and job["commit"]["hash"]:
            task.commit_hash = job["commit"]["hash"]
            task.commit_message = job["commit"]["message"]
            db.commit()
        if job.get("status") and job["status"] != task.status and not is_finished(task.status):
            # A finished task's secret variables are forgotten, as after a local run.
            forget = {"secret": None} if is_finished(job["status"]) else None
            change_status(db, events, task, job["status"], also=forget)


def lost_jobs(data: dict[str, Any]) -> list[int]:
    """The ids of the jobs the report says the runner lost."""
    return [job["id"] for job in data.get("jobs") or () if job.get("lost")]


def _confirm_receipt(db: DbSession, task: Task) -> None:
    """The runner has the task's job: it is not to be handed over again."""
    db.execute(update(Task).where(Task.id == task.id, Task.runner_id == task.runner_id,
                                  Task.status == TaskStatus.STARTING.value).values(heartbeat=None))
    db.commit()


def _store_log(db: DbSession, live: LiveHub, task: Task, job: dict[str, Any]) -> None:
    """Store the job's lines whose seq is new (once each even when two reports race), then show them
    to live viewers."""
    chunks = _chunks(job)
    if not chunks:
        return
    rows = LogRows(db.get_bind().dialect, task.id)
    for _attempt in range(2):
        new = _unstored(db, task.id, chunks)
        if not new:
            return
        rows.insert(db.connection(), new)
        try:
            db.commit()
            break
        except IntegrityError:  # another report stored some of these meanwhile: look again
            db.rollback()
    else:
        return
    live.publish_log(task.id, task.project_id, [(stamp, first, lines) for first, stamp, lines in new])


def _chunks(job: dict[str, Any]) -> list[LogChunk]:
    """The job's lines as chunks in seq order: its ``LogChunks``, and each of its ``LogRecords``."""
    chunks = [(c["seq"], c["time"], c["lines"]) for c in job.get("log_chunks") or () if c["lines"]]
    chunks += [(r["seq"], r["time"], [r["message"]]) for r in job.get("log_records") or ()]
    return sorted(chunks, key=lambda chunk: chunk[0])


def _unstored(db: DbSession, task_id: int, chunks: list[LogChunk]) -> list[LogChunk]:
    """``chunks`` (sorted) without the lines stored already or numbered twice (the first wins)."""
    low, high = chunks[0][0], max(first + len(lines) - 1 for first, _, lines in chunks)
    stored = set(db.scalars(select(TaskOutput.seq).where(TaskOutput.task_id == task_id,
                                                         TaskOutput.seq.between(low, high))))
    fresh: list[LogChunk] = []
    next_seq = low  # lines numbered below this are stored, or came earlier in this report
    for first, stamp, lines in chunks:
        if not stored and first >= next_seq:  # the common case: all new, in order
            fresh.append((first, stamp, lines))
        else:
            fresh += _new_runs(first, stamp, lines, stored, next_seq)
        next_seq = max(next_seq, first + len(lines))
    return fresh


def _new_runs(first: int, stamp: datetime, lines: Sequence[str], stored: set[int], next_seq: int) -> list[LogChunk]:
    """The runs of ``lines`` (numbered from ``first``) that are neither stored nor below ``next_seq``."""
    runs: list[LogChunk] = []
    run: list[str]
    run_first, run = 0, []  # the run of new lines under way
    for seq, line in enumerate(lines, first):
        if seq < next_seq or seq in stored:
            if run:
                runs.append((run_first, stamp, run))
            run = []
            continue
        if not run:
            run_first = seq
        run.append(line)
    if run:
        runs.append((run_first, stamp, run))
    return runs
