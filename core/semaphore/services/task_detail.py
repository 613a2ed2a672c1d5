"""One task as its endpoint and its page show it: the task, the name of the remote runner it runs
(or ran) on, and while it waits, why no runner takes it (services/task_waiting.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as DbSession

from semaphore.config import Config
from semaphore.db.models import Runner, Task
from semaphore.services.task_waiting import waiting_reason


class TaskDetail:
    """A task as schemas.tasks.TaskDetailSchema reads it: its own attributes, and these two."""

    def __init__(self, task: Task, runner_name: str | None, waiting_reason: str | None) -> None:
        self._task = task
        self.runner_name = runner_name  # "#<id>" for a runner without a name
        self.waiting_reason = waiting_reason

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task, name)


def task_detail(db: DbSession, config: Config, task: Task) -> TaskDetail:
    runner = db.get(Runner, task.runner_id) if task.runner_id is not None else None
    return TaskDetail(task, (runner.name or f"#{runner.id}") if runner else None, waiting_reason(db, config, task))
