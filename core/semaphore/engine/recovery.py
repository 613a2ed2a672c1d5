"""Leases and orphans: no task stays "running" after the server running it died.

A server process renews the lease (``task.heartbeat``) of the tasks it runs every few seconds. A
task that is active but whose lease holder is gone is an orphan; it is finished with a log line
saying why, its stored output kept:

- at start on SQLite: every active task (one server per database file);
- at start on a shared database: tasks of a dead process on this host at once, others when their
  lease has not been renewed for ``LEASE_SECONDS``;
- afterwards, every sweep: tasks whose lease expired, this server's included (a run whose thread
  was lost is no longer renewed).

Tasks handed to remote runners (``runner_id`` set) are not this server's to judge.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Collection
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Task
from semaphore.db.types import utcnow
from semaphore.engine.log import TaskLog
from semaphore.services.task_status import ACTIVE, TaskStatus, change_status

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
LEASE_SECONDS = 60
ACTIVE_VALUES = [status.value for status in ACTIVE]


def server_identity() -> str:
    """``host:pid:random``: unique per server process, and tells which host and process held a lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def renew_leases(db: DbSession, server_id: str, running: Collection[int]) -> None:
    """Renew the leases of the runs this server is actually running."""
    if running:
        db.execute(update(Task).where(Task.claimed_by == server_id, Task.id.in_(list(running)))
                   .values(heartbeat=utcnow()), execution_options={"synchronize_session": False})
    db.commit()


def find_orphans(db: DbSession, running: Collection[int], *, at_start: bool) -> list[Task]:
    active = (select(Task).where(Task.status.in_(ACTIVE_VALUES), Task.runner_id.is_(None))
              .order_by(Task.id))
    candidates = [task for task in db.scalars(active) if task.id not in running]
    if at_start and db.get_bind().dialect.name == "sqlite":
        return candidates
    expired = utcnow() - timedelta(seconds=LEASE_SECONDS)
    return [task for task in candidates
            if task.heartbeat is None or task.heartbeat < expired or (at_start and _holder_died(task.claimed_by))]


def finish_orphans(state: AppState, db: DbSession, running: Collection[int], *, at_start: bool) -> list[int]:
    """Finish every orphan (``running``: the ids this server runs); the ids finished."""
    finished = []
    for task in find_orphans(db, running, at_start=at_start):
        reason = (f"Task interrupted: the server process running it ({task.claimed_by or 'unknown'}) "
                  "stopped before the task finished.")
        if end_abandoned(state, db, task, reason):
            finished.append(task.id)
    db.commit()
    return finished


def end_abandoned(state: AppState, db: DbSession, task: Task, reason: str) -> bool:
    """End a task whose run is gone: ``reason`` in its log, then ``stopped`` if it was being
    stopped, else ``error``; whether the status changed."""
    task_log = TaskLog(state, task.id, task.project_id)
    task_log.write(reason)
    task_log.close()
    final = TaskStatus.STOPPED if task.status == TaskStatus.STOPPING else TaskStatus.ERROR
    if not change_status(db, state.events, task, final, also={"secret": None}):
        return False
    log.warning("task %s: %s", task.id, reason)
    return True


def _holder_died(claimed_by: str | None) -> bool:
    """Whether the lease holder was a process on this host that no longer exists."""
    if not claimed_by:
        return True
    host, _, rest = claimed_by.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():  # our pid, another identity: an earlier life of this process id (containers)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
