"""Orphans: no task stays "running" after the node (server process) running it died.

A task the engine runs carries its node's id in ``task.claimed_by``; the node table
(:mod:`semaphore.cluster.nodes`) says which nodes are alive. An active task whose node is dead
(stopped, heartbeat older than the node timeout, or no row at all) is an orphan; it is finished
with a log line naming the node, its stored output kept:

- at start on SQLite: every active task (one server per database file);
- on a shared database, at start and every sweep: tasks of dead nodes, and tasks of this node it
  does not run (claimed by an earlier life with the same ``ha.node_id``, or a run whose thread was
  lost; a claim younger than the node timeout is left alone: its run is being set up).

Tasks handed to remote runners (``runner_id`` set) are their runner's (engine/runner_reconcile.py).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.cluster import nodes
from semaphore.db.models import Task
from semaphore.db.types import utcnow
from semaphore.engine.log import TaskLog
from semaphore.services.task_status import ACTIVE_VALUES, TaskStatus, change_status

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)


def find_orphans(db: DbSession, node_id: str, running: Collection[int], *, at_start: bool) -> list[Task]:
    active = (select(Task).where(Task.status.in_(ACTIVE_VALUES), Task.runner_id.is_(None))
              .order_by(Task.id))
    candidates = [task for task in db.scalars(active) if task.id not in running]
    if at_start and db.get_bind().dialect.name == "sqlite":
        return candidates
    alive = nodes.alive_ids(db, {task.claimed_by for task in candidates if task.claimed_by})
    settled = utcnow() - nodes.node_timeout()
    return [task for task in candidates if task.claimed_by not in alive
            or (task.claimed_by == node_id and (at_start or task.heartbeat is None or task.heartbeat < settled))]


def finish_orphans(state: AppState, db: DbSession, running: Collection[int], *, at_start: bool) -> list[int]:
    """Finish every orphan (``running``: the ids this node runs); the ids finished."""
    finished = []
    for task in find_orphans(db, state.node_id, running, at_start=at_start):
        holder = task.claimed_by
        if not _take_over(db, task, state.node_id):
            continue  # another node is finishing it
        reason = (f"Task interrupted: the server process running it (node {holder or 'unknown'}) "
                  "stopped before the task finished.")
        if end_abandoned(state, db, task, reason):
            finished.append(task.id)
    db.commit()
    return finished


def _take_over(db: DbSession, task: Task, node_id: str) -> bool:
    """Claim the orphan for this node, so that of the live nodes sweeping at once only one writes
    its log line; a node that dies before finishing it leaves it to the next sweep."""
    holder = Task.claimed_by.is_(None) if task.claimed_by is None else Task.claimed_by == task.claimed_by
    taken = db.execute(update(Task).where(Task.id == task.id, Task.status == task.status, holder)
                       .values(claimed_by=node_id), execution_options={"synchronize_session": False})
    db.commit()
    return bool(taken.rowcount)  # type: ignore[attr-defined]


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
