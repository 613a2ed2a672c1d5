"""Tasks of runners that stopped polling or were removed. Nothing marks a runner offline (that is
derived from ``touched``); its tasks are what needs deciding:

- a task still ``starting`` on a runner unseen for ``runners.offline_timeout_sec`` goes back to
  ``waiting`` (its runner cleared), so that another runner takes it: it ran nothing yet;
- a task further on (``running``, waiting for confirmation, ``stopping``) on a runner unseen for
  ``runners.task_fail_timeout_sec`` ends ``error`` (``stopped`` when it was being stopped) with a
  log line naming the runner; its stored output stays.

The task engine's monitor runs :func:`reconcile` every ``runners.reconcile_interval_sec``; the
timeouts count from the server's start at the earliest, as runners cannot poll a server that is down.

A runner that is removed (an admin or project manager deletes it, or it unregisters) can never
report again: its token stops working. :func:`release_removed` decides its tasks at once, the
same way, before its row goes.

A runner killed (a crash, a reboot) and started again within ``runners.offline_timeout_sec`` never
looked offline, but the new process knows nothing of the old one's jobs: it reports each task the
poll answer lists as active and it does not run as ``Lost``, and :func:`release_lost` decides it
the same way at once (``... restarted and no longer runs it``). A ``starting`` task whose job
was never confirmed (its hand-over may simply not have arrived) is left as it is: the poll hands
its job over again after three seconds, to the runner that now polls.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Runner, Task
from semaphore.db.types import utcnow
from semaphore.engine.recovery import end_abandoned
from semaphore.services.task_status import ACTIVE, ACTIVE_VALUES, TaskStatus, change_status

if TYPE_CHECKING:
    from semaphore.config import RunnersConfig
    from semaphore.state import AppState

log = logging.getLogger(__name__)

#: Statuses of a task whose run is under way on its runner.
LATER = [status for status in ACTIVE if status != TaskStatus.STARTING]


def reconcile(state: AppState, db: DbSession, up_since: datetime | None = None) -> None:
    """Give back the ``starting`` tasks of offline runners and end the runs of runners gone too long.
    ``up_since``: when this server started; a runner is not blamed for the time it could not reach
    the server (a restarted server gives its runners the timeouts afresh)."""
    settings: RunnersConfig = state.config.runners
    unseen = functools.partial(_tasks_of_runners_unseen, db, up_since=up_since)
    for task, runner in unseen(settings.offline_timeout_sec, [TaskStatus.STARTING]):
        _wait_again(state, db, task, f"its runner {runner.id} went offline before running it")
    for task, runner in unseen(settings.task_fail_timeout_sec, LATER):
        end_abandoned(state, db, task, f"Task failed: its runner {_named(runner)} has not been seen for more than "
                                       f"{settings.task_fail_timeout_sec} s.")
    db.rollback()


def release_removed(state: AppState, db: DbSession, runner: Runner) -> None:
    """Decide the unfinished tasks of ``runner``, which is about to be deleted: its ``starting``
    tasks wait again, the others end with a log line saying it was removed. The caller deletes
    the runner afterwards, in the same session.

    The runner is switched off first, under its row lock, and committed: a poll of it claims
    nothing from then on, and a claim it was making is committed before its tasks are read."""
    db.scalar(select(Runner.id).where(Runner.id == runner.id).with_for_update())
    runner.active = False
    db.commit()  # also frees the lock: the task log writes its lines through its own sessions
    tasks = list(db.scalars(select(Task).where(Task.runner_id == runner.id, Task.status.in_(ACTIVE_VALUES))
                            .order_by(Task.id)))
    for task in tasks:
        if task.status == TaskStatus.STARTING:
            _wait_again(state, db, task, f"its runner {runner.id} was removed before running it")
        else:
            end_abandoned(state, db, task, f"Task failed: its runner {_named(runner)} was removed.")


def release_lost(state: AppState, db: DbSession, runner: Runner, task_ids: Collection[int]) -> None:
    """Decide the tasks ``runner`` reported lost: a confirmed ``starting`` one waits again, a later
    one ends with a log line saying the runner restarted; an unconfirmed ``starting`` one is
    handed over again by the poll. Tasks not the runner's, or finished meanwhile, are left alone."""
    if not task_ids:
        return
    tasks = list(db.scalars(select(Task).where(Task.id.in_(list(task_ids)), Task.runner_id == runner.id,
                                               Task.status.in_(ACTIVE_VALUES)).order_by(Task.id)))
    for task in tasks:
        if task.status != TaskStatus.STARTING:
            end_abandoned(state, db, task, f"Task failed: its runner {_named(runner)} restarted and no longer "
                                           "runs it.")
        elif task.heartbeat is None:
            _wait_again(state, db, task, f"its runner {runner.id} restarted before running it")
    db.rollback()


def _wait_again(state: AppState, db: DbSession, task: Task, why: str) -> None:
    """A ``starting`` task ran nothing yet: it waits again, for any runner."""
    if change_status(db, state.events, task, TaskStatus.WAITING, also={"runner_id": None, "heartbeat": None}):
        log.warning("task %s: %s; the task waits again", task.id, why)


def _named(runner: Runner) -> str:
    return f"{runner.name!r} (id {runner.id})"


def _tasks_of_runners_unseen(db: DbSession, seconds: int, statuses: Collection[TaskStatus], *,
                             up_since: datetime | None) -> list[tuple[Task, Runner]]:
    unseen_since = utcnow() - timedelta(seconds=seconds)
    if up_since is not None and up_since > unseen_since:
        return []  # the server itself has not been up that long
    query = (select(Task, Runner).join(Runner, Runner.id == Task.runner_id)
             .where(Task.status.in_([s.value for s in statuses]),
                    or_(Runner.touched.is_(None), Runner.touched < unseen_since))
             .order_by(Task.id))
    return [(task, runner) for task, runner in db.execute(query).all()]
