"""What the administration pages (and the admin API) read: a page of users with their two-factor
enrolments, the tasks not yet finished across every project, what each plugin registered, and this
server's task engine. One query per list, whatever its length."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Project, Task, Template, User, UserTotp
from semaphore.services.task_status import ACTIVE, UNFINISHED, TaskStatus
from semaphore.state import AppState


def users_page(db: DbSession, offset: int, limit: int) -> tuple[list[User], bool]:
    """Users by username from ``offset``; and whether more follow."""
    rows = list(db.scalars(select(User).order_by(User.username).offset(offset).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def confirmed_totps(db: DbSession, user_ids: list[int]) -> dict[int, UserTotp]:
    """The active (confirmed) TOTP enrolment of each of these users that has one, by user id."""
    if not user_ids:
        return {}
    rows = db.scalars(select(UserTotp).where(UserTotp.user_id.in_(user_ids), UserTotp.confirmed.is_(True)))
    return {row.user_id: row for row in rows}


@dataclass(frozen=True)
class UnfinishedTask:
    id: int
    project_id: int
    project_name: str
    template_name: str
    status: str
    user_name: str | None
    created: datetime
    start: datetime | None


def unfinished_tasks(db: DbSession, offset: int, limit: int) -> tuple[list[UnfinishedTask], bool]:
    """Tasks queued or running in any project, oldest first (the order they were queued in), with
    their project's and template's names; and whether more follow."""
    query = (select(Task.id, Task.project_id, Project.name, Template.name, Task.status, User.name, Task.created,
                    Task.start)
             .join(Project, Project.id == Task.project_id)
             .join(Template, Template.id == Task.template_id)
             .outerjoin(User, User.id == Task.user_id)
             .where(Task.status.in_(sorted(UNFINISHED)))
             .order_by(Task.id).offset(offset).limit(limit + 1))
    rows = [UnfinishedTask(*row) for row in db.execute(query)]
    return rows[:limit], len(rows) > limit


def task_queue(db: DbSession, task_id: int | None = None) -> list[dict[str, object]]:
    """The original's admin queue view (GET /api/tasks): every task queued or running in any project,
    oldest first, as ``{task_id, project_id, username, runner_id, status, location}`` where location
    is ``queue`` for a task no server has claimed yet and ``running`` for one claimed. ``task_id``
    keeps that task's entry only."""
    query = (select(Task.id, Task.project_id, User.username, Task.runner_id, Task.status)
             .outerjoin(User, User.id == Task.user_id)
             .where(Task.status.in_(sorted(UNFINISHED))).order_by(Task.id))
    if task_id is not None:
        query = query.where(Task.id == task_id)
    return [{"task_id": row.id, "project_id": row.project_id, "username": row.username, "runner_id": row.runner_id,
             "status": row.status, "location": "queue" if row.status == TaskStatus.WAITING else "running"}
            for row in db.execute(query)]


def active_task_count(db: DbSession) -> int:
    """Tasks claimed by a server and not finished, on every server: what the parallel limit counts."""
    query = select(func.count()).select_from(Task).where(Task.status.in_([status.value for status in ACTIVE]))
    return int(db.scalar(query) or 0)


def waiting_task_count(db: DbSession) -> int:
    query = select(func.count()).select_from(Task).where(Task.status == TaskStatus.WAITING.value)
    return int(db.scalar(query) or 0)


def components_by_plugin(state: AppState) -> dict[str, dict[str, list[str]]]:
    """What each plugin registered: {plugin: {"executors": [...], "notifiers": [...], ...}}."""
    registry = state.registry
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for kind, components in (("executors", registry.executors), ("notifiers", registry.notifiers),
                             ("auth backends", registry.auth_backends),
                             ("integration matchers", registry.integration_matchers),
                             ("integration extractors", registry.integration_extractors),
                             ("integration auth", registry.integration_auth)):
        for key, component in sorted(components.items()):
            found[component.plugin][kind].append(key)
    return {plugin: dict(kinds) for plugin, kinds in found.items()}


@dataclass(frozen=True)
class EngineState:
    """This server's task engine as the runners page shows it."""

    started: bool  # False in a process that serves pages but runs no tasks
    running_here: int
    max_parallel_tasks: int  # 0: unlimited


def engine_state(state: AppState) -> EngineState:
    engine = state.engine
    return EngineState(started=engine is not None, running_here=len(engine.running()) if engine else 0,
                       max_parallel_tasks=state.config.max_parallel_tasks)
