"""The server's answer to a runner's poll: the wanted status of its current jobs, and new jobs
claimed for it from the queue, each sealed to its public key.

A runner claims through the engine's own claim (:mod:`semaphore.engine.queue`: one transaction,
SKIP LOCKED, the global, project and per-template limits), narrowed to the tasks it may take:

- only while ``use_remote_runner`` is on and the runner is active;
- within its capacity: ``max_parallel_tasks`` (0: unlimited) minus its unfinished tasks;
- a project runner takes its project's tasks only, a global runner any project's;
- the template's app is among the runner's apps, and the runner has the template's runner tags:
  every one (``runner_tags_match`` "all") or at least one ("any"); a template without tags takes
  any runner.

A claimed task is ``starting`` with the runner's id; its job is planned as the local engine plans
it (:func:`~semaphore.engine.prepare.plan_job`, with the task's secret variables), numbered on
after the lines its log has, and sealed to the runner's key. A task whose preparation fails ends
``error`` with the reason in its log, as a local run does.

The answer that carries a job may be lost. A task's ``heartbeat`` holds when its job was last handed
over, until the runner confirms it has the job: its first progress report on the task (the runner
reports ``starting`` as soon as it opened the job) clears it
(:func:`semaphore.services.runner_progress.report`). A task still unconfirmed
:data:`HAND_OVER_AGAIN_AFTER` after a hand-over is handed over again at the next poll (a runner
ignores a job it already has); a confirmed one never is, however long it stays ``starting``
(cloning a big repository). A cache clean asked for in the UI or API is told once, as
``"cleaning_requested": true``.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Runner, Task, TaskOutput, Template, TemplateRunnerTag
from semaphore.db.types import utcnow
from semaphore.engine.execute import cannot_prepare, started_line
from semaphore.engine.log import TaskLog
from semaphore.engine.prepare import RunPreparationError, decrypt_task_secret, plan_job
from semaphore.engine.queue import Claimer, Limits, TaskQueue, active_count
from semaphore.runners.sealed import seal_job
from semaphore.services.runners import labels
from semaphore.services.task_status import ACTIVE, FINISHED, TaskStatus, change_status

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)

#: A task whose runner has not confirmed its job this long after the hand-over is handed over again.
HAND_OVER_AGAIN_AFTER = timedelta(seconds=3)
#: Finished tasks stay in ``CurrentJobs`` this long, so a force stop or a rejection reaches the run.
FINISHED_TOLD_FOR = timedelta(minutes=10)
#: New jobs in one poll answer at most (a runner with unlimited capacity takes the rest next time).
MAX_NEW_JOBS = 20


def runner_claimer(runner: Runner) -> Claimer:
    """The claim of ``runner``: which waiting tasks it may take, its capacity, its lease."""
    templates = select(Template.id).where(Template.app.in_(labels(runner.apps)),
                                          runner_has_template_tags(labels(runner.tags)))
    conditions: list[ColumnElement[bool]] = [Task.template_id.in_(templates)]
    if runner.project_id is not None:
        conditions.append(Task.project_id == runner.project_id)

    def has_room(db: DbSession) -> bool:
        # Locking the runner's row serialises two polls of one runner (its capacity holds).
        locked = db.scalar(select(Runner).where(Runner.id == runner.id).with_for_update())
        if locked is None or not locked.active:
            return False
        limit = locked.max_parallel_tasks
        return not limit or active_count(db, Task.runner_id == runner.id) < limit

    return Claimer(lease=lambda: {"runner_id": runner.id, "claimed_by": None, "heartbeat": utcnow()},
                   conditions=tuple(conditions), has_room=has_room)


def runner_has_template_tags(tags: list[str]) -> ColumnElement[bool]:
    """A runner with ``tags`` has the template's runner tags (all or any of them, as it says)."""
    own = TemplateRunnerTag.template_id == Template.id
    has_one = exists().where(own, TemplateRunnerTag.tag.in_(tags))
    lacks_one = exists().where(own, TemplateRunnerTag.tag.not_in(tags))
    return or_(~exists().where(own),
               and_(Template.runner_tags_match == "any", has_one),
               and_(Template.runner_tags_match != "any", ~lacks_one))


def answer_poll(state: AppState, db: DbSession, runner: Runner) -> dict[str, Any]:
    """The poll answer for ``runner``: ``CurrentJobs`` (its tasks' wanted status) and ``new_jobs``."""
    db.commit()  # the runner was seen (touched), whatever follows
    new_jobs = [job for task_id in _unreceived(db, runner.id) if (job := hand_over(state, db, runner, task_id))]
    if state.config.use_remote_runner and runner.active:
        queue = TaskQueue(state.events, Limits(state.config.max_parallel_tasks))
        claimer = runner_claimer(runner)
        while len(new_jobs) < MAX_NEW_JOBS:
            task = queue.claim_next(db, claimer)
            if task is None:
                break
            job = hand_over(state, db, runner, task.id)
            if job is not None:
                new_jobs.append(job)
    answer: dict[str, Any] = {"CurrentJobs": current_jobs(db, runner.id), "new_jobs": new_jobs}
    if runner.cleaning_requested:  # told once: the runner remembers it until it is idle
        answer["cleaning_requested"] = True
        runner.cleaning_requested = False
        db.commit()
    return answer


def current_jobs(db: DbSession, runner_id: int) -> list[dict[str, Any]]:
    """The runner's unfinished tasks, and those finished lately, with their status."""
    told_since = utcnow() - FINISHED_TOLD_FOR
    rows = db.execute(select(Task.id, Task.status).where(
        Task.runner_id == runner_id,
        or_(Task.status.in_([s.value for s in ACTIVE]),
            Task.status.in_([s.value for s in FINISHED]) & (Task.end >= told_since)))
        .order_by(Task.id))
    found = [{"id": task_id, "status": status} for task_id, status in rows]
    db.rollback()
    return found


def hand_over(state: AppState, db: DbSession, runner: Runner, task_id: int) -> dict[str, Any] | None:
    """The job of a task claimed for ``runner``, sealed to its key; None when its preparation
    failed (the task then ended ``error`` with the reason in its log)."""
    task = db.get(Task, task_id)
    if task is None or task.status != TaskStatus.STARTING or task.runner_id != runner.id:
        return None
    try:
        if not runner.public_key:
            raise RunPreparationError(f"runner {runner.name!r} has no public key to seal the job to")
        spec = dataclasses.replace(plan_job(db, state.config, state.secrets, task,
                                            task_secret=decrypt_task_secret(state.secrets, task.secret)),
                                   log_seq=next_log_seq(db, task.id))
        sealed = seal_job(spec, runner.public_key)
    except RunPreparationError as exc:
        _fail_preparation(state, db, task, exc)
        return None
    db.rollback()
    _note_hand_over(db, task.id)
    log.info("task %s handed to runner %s (%s)", task.id, runner.id, runner.name)
    return {"task_id": task.id, "job": sealed}


def next_log_seq(db: DbSession, task_id: int) -> int:
    """The sequence number of the task's next log line."""
    return int(db.scalar(select(func.max(TaskOutput.seq)).where(TaskOutput.task_id == task_id)) or 0) + 1


def _unreceived(db: DbSession, runner_id: int) -> list[int]:
    """The runner's ``starting`` tasks handed over a while ago and not confirmed: perhaps never received."""
    before = utcnow() - HAND_OVER_AGAIN_AFTER
    ids = list(db.scalars(select(Task.id).where(Task.runner_id == runner_id,
                                                Task.status == TaskStatus.STARTING.value,
                                                Task.heartbeat.is_not(None), Task.heartbeat < before)
                          .order_by(Task.id)))
    db.rollback()
    return ids


def _note_hand_over(db: DbSession, task_id: int) -> None:
    """The next hand-over of an unconfirmed task waits :data:`HAND_OVER_AGAIN_AFTER` from now. A
    confirmation that came meanwhile stands (the update only touches an unconfirmed task)."""
    db.execute(update(Task).where(Task.id == task_id, Task.status == TaskStatus.STARTING.value,
                                  Task.heartbeat.is_not(None)).values(heartbeat=utcnow()))
    db.commit()


def _fail_preparation(state: AppState, db: DbSession, task: Task, exc: RunPreparationError) -> None:
    template_name, app = db.execute(select(Template.name, Template.app)
                                    .where(Template.id == task.template_id)).one_or_none() or ("", "")
    task_log = TaskLog(state, task.id, task.project_id)
    task_log.write(started_line(task.id, template_name, app))
    task_log.write(cannot_prepare(exc))
    task_log.close()
    change_status(db, state.events, task, TaskStatus.ERROR, also={"secret": None})

