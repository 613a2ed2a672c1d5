"""The database is the queue: server processes claim ``waiting`` tasks atomically.

A claim locks the candidate's project row before counting, so the project's limit and the
one-run-per-template rule hold even when several server processes claim at once; waiting rows
locked by another claimer are skipped (SKIP LOCKED) instead of waited for. SQLite has no row
locks, so there claims are serialised within the process (one server per SQLite file).

Remote runners claim through the same function (a :class:`Claimer` narrows the candidates to
the tasks a runner may take and writes its lease), so every limit holds for them too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Project, Task, Template
from semaphore.db.types import utcnow
from semaphore.services.task_status import ACTIVE, TaskStatus, change_status

if TYPE_CHECKING:
    from semaphore.task_events import TaskEvents

CANDIDATES = 50  # waiting rows looked at per claim, oldest first
_sqlite_claims = threading.Lock()


@dataclass(frozen=True)
class Limits:
    """``max_parallel_tasks`` of the server: 0 means unlimited."""

    max_parallel_tasks: int = 0


@dataclass(frozen=True)
class Claimer:
    """Who claims, when it is not this server's engine: a remote runner. ``conditions`` narrow the
    waiting tasks it may take (SQL on ``Task``); ``has_room`` is asked inside the claim's
    transaction before any row is locked (its own capacity); ``lease`` gives the columns written
    together with ``starting``."""

    lease: Callable[[], Mapping[str, object]]
    conditions: tuple[ColumnElement[bool], ...] = ()
    has_room: Callable[[DbSession], bool] = field(default=lambda db: True)


class TaskQueue:
    def __init__(self, events: TaskEvents, limits: Limits, node_id: str = "") -> None:
        self.events = events  # told of each claim (``starting``)
        self.limits = limits
        self.node_id = node_id  # this server process (cluster/nodes.py), written as the claimed task's holder

    def claim_next(self, db: DbSession, claimer: Claimer | None = None) -> Task | None:
        """Move the oldest task that may start now from ``waiting`` to ``starting``, leased to this
        server (or to ``claimer``, among the tasks it may take), and return it; None when nothing
        may start (empty queue or every candidate blocked by a limit)."""
        claimer = claimer or self._this_server
        if db.get_bind().dialect.name == "sqlite":
            with _sqlite_claims:
                return self._claim(db, claimer)
        return self._claim(db, claimer)

    @property
    def _this_server(self) -> Claimer:
        # heartbeat: when it was claimed (engine/recovery.py leaves a fresh claim to its run's set-up)
        return Claimer(lease=lambda: {"claimed_by": self.node_id, "heartbeat": utcnow()})

    def _claim(self, db: DbSession, claimer: Claimer) -> Task | None:
        if self._global_limit_reached(db) or not claimer.has_room(db):
            db.rollback()
            return None
        waiting = (select(Task).where(Task.status == TaskStatus.WAITING.value, *claimer.conditions).order_by(Task.id)
                   .limit(CANDIDATES).with_for_update(skip_locked=True))
        for task in db.scalars(waiting).all():
            if self._may_start(db, task) and change_status(db, self.events, task, TaskStatus.STARTING,
                                                           also=claimer.lease()):
                return task
        db.rollback()
        return None

    def _global_limit_reached(self, db: DbSession) -> bool:
        limit = self.limits.max_parallel_tasks
        return bool(limit) and active_count(db) >= limit

    def _may_start(self, db: DbSession, task: Task) -> bool:
        # Locking the project row serialises claimers of one project across server processes.
        project = db.scalar(select(Project).where(Project.id == task.project_id).with_for_update())
        if project is None:
            return False
        project_limit = project.max_parallel_tasks
        if project_limit and active_count(db, Task.project_id == project.id) >= project_limit:
            return False
        template = db.get(Template, task.template_id)
        if template is not None and not template.allow_parallel_tasks:
            return active_count(db, Task.template_id == template.id) == 0
        return True


def active_count(db: DbSession, *conditions: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(Task).where(Task.status.in_([s.value for s in ACTIVE]), *conditions)
    return int(db.scalar(query) or 0)
