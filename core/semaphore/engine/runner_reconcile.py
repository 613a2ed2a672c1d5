"""Tasks of runners that stopped polling. Nothing marks a runner offline (that is derived from
``touched``); its tasks are what needs deciding:

- a task still ``starting`` on a runner unseen for ``runners.offline_timeout_sec`` goes back to
  ``waiting`` (its runner cleared), so that another runner takes it: it ran nothing yet;
- a task further on (``running``, waiting for confirmation, ``stopping``) on a runner unseen for
  ``runners.task_fail_timeout_sec`` ends ``error`` (``stopped`` when it was being stopped) with a
  log line naming the runner; its stored output stays.

The task engine's monitor runs :func:`reconcile` every ``runners.reconcile_interval_sec``; the
timeouts count from the server's start at the earliest, as runners cannot poll a server that is down.
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
from semaphore.services.task_status import ACTIVE, TaskStatus, change_status

if TYPE_CHECKING:
    from semaphore.config import RunnersConfig
    from semaphore.state import AppState

log = logging.getLogger(__name__)


def reconcile(state: AppState, db: DbSession, up_since: datetime | None = None) -> None:
    """Give back the ``starting`` tasks of offline runners and end the runs of runners gone too long.
    ``up_since``: when this server started; a runner is not blamed for the time it could not reach
    the server (a restarted server gives its runners the timeouts afresh)."""
    settings: RunnersConfig = state.config.runners
    unseen = functools.partial(_tasks_of_runners_unseen, db, up_since=up_since)
    for task, runner in unseen(settings.offline_timeout_sec, [TaskStatus.STARTING]):
        if change_status(db, state.events, task, TaskStatus.WAITING, also={"runner_id": None, "heartbeat": None}):
            log.warning("task %s: its runner %s went offline before running it; the task waits again",
                        task.id, runner.id)
    later = [status for status in ACTIVE if status != TaskStatus.STARTING]
    for task, runner in unseen(settings.task_fail_timeout_sec, later):
        reason = (f"Task failed: its runner {runner.name!r} (id {runner.id}) has not been seen for more than "
                  f"{settings.task_fail_timeout_sec} s.")
        end_abandoned(state, db, task, reason)
    db.rollback()


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
