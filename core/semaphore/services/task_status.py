"""Task statuses and the one function that changes them.

:func:`change_status` is the only writer of ``task.status``: it applies the transition guard,
stamps start/end, writes the activity event, commits, and publishes a TaskStatusChanged event
(semaphore.task_events), to which the websocket hub, the ``task_status_changed`` hook, deploy
autoruns and the task engine listen.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Task, Template, User
from semaphore.db.types import utcnow
from semaphore.services import activity
from semaphore.task_events import TaskStatusChanged

if TYPE_CHECKING:
    from semaphore.task_events import TaskEvents

log = logging.getLogger(__name__)


class TaskStatus(StrEnum):
    WAITING = "waiting"
    STARTING = "starting"
    WAITING_CONFIRMATION = "waiting_confirmation"
    CONFIRMED = "confirmed"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    SUCCESS = "success"
    ERROR = "error"
    REJECTED = "rejected"  # a user declined what waited for confirmation (later upstream versions)


FINISHED = frozenset({TaskStatus.STOPPED, TaskStatus.SUCCESS, TaskStatus.ERROR, TaskStatus.REJECTED})
# Claimed by a server and not finished: these count against the parallel-task limits.
ACTIVE = frozenset({TaskStatus.STARTING, TaskStatus.WAITING_CONFIRMATION, TaskStatus.CONFIRMED,
                    TaskStatus.RUNNING, TaskStatus.STOPPING})
ACTIVE_VALUES = [status.value for status in ACTIVE]  # for SQL: Task.status.in_(ACTIVE_VALUES)
# Not finished: queued, or claimed by a server and not yet ended.
UNFINISHED = frozenset({TaskStatus.WAITING, *ACTIVE})

# Changes that arrive late (a runner reporting "running" after the user asked to stop) are ignored.
_IGNORED: dict[str, frozenset[str]] = {
    TaskStatus.CONFIRMED: frozenset({TaskStatus.WAITING_CONFIRMATION}),
    TaskStatus.RUNNING: frozenset({TaskStatus.WAITING}),
    TaskStatus.STOPPING: frozenset({TaskStatus.WAITING, TaskStatus.RUNNING}),
}

# A concurrent writer can change the row between our read and our write; judge again a few times.
_ATTEMPTS = 3


def is_finished(status: str) -> bool:
    return status in FINISHED


def is_allowed(old: str, new: str) -> bool:
    """Whether a task in status ``old`` may move to ``new``. Finished states are final."""
    if old == new or is_finished(old):
        return False
    return new not in _IGNORED.get(old, frozenset())


def change_status(db: DbSession, events: TaskEvents, task: Task, new_status: str, *, user: User | None = None,
                  also: Mapping[str, object] | None = None) -> bool:
    """Move ``task`` to ``new_status`` if the guard allows it; True when the status changed (then
    committed, and told to ``events``).

    The row is updated only if it still holds the status we judged, so two processes changing
    the same task never both win. ``user`` is who asked (None for the system); ``also`` holds
    other columns written in the same statement (the lease of a claimed task).
    """
    new = TaskStatus(new_status)
    for _attempt in range(_ATTEMPTS):
        old = task.status
        if not is_allowed(old, new):
            return False
        values: dict[str, object] = {"status": new.value, **(also or {})}
        if new == TaskStatus.RUNNING and task.start is None:
            values["start"] = utcnow()
        if new in FINISHED:
            values["end"] = utcnow()
        result = db.execute(update(Task).where(Task.id == task.id, Task.status == old).values(**values))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            break
        db.refresh(task, with_for_update=True)
    else:
        return False
    _record(db, task, old, new, user)
    db.commit()
    log.debug("task %s of project %s is now %s", task.id, task.project_id, new.value)
    events.publish(TaskStatusChanged(task, old, new.value))
    return True


def _record(db: DbSession, task: Task, old: str, new: TaskStatus, user: User | None) -> None:
    """The activity event of a change. Changes the engine makes (``user`` None: starting, running,
    finishing) carry the user who started the task (none for schedules, integrations, autoruns)."""
    template_name = db.scalar(select(Template.name).where(Template.id == task.template_id)) or ""
    if user is None and task.user_id is not None:
        user = db.get(User, task.user_id)
    if new == TaskStatus.RUNNING:
        description = f"Task ID {task.id} ({template_name}) is running"
    elif new in FINISHED:
        description = f"Task ID {task.id} ({template_name}) finished - {new.value.upper()}"
    else:
        description = f"Task ID {task.id} ({template_name}) is {new.value.replace('_', ' ')}"
    activity.record(db, user, task.project_id, "task", task.id, template_name, activity.UPDATED, description)
