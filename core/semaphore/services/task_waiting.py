"""Why a waiting task is not taken by a remote runner: no online runner of its project or global,
none with its app, none with its runner tags, or all of those busy. Read from the runners' rows
(online: touched within runners.offline_timeout_sec), the same rules the poll's claim applies."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as DbSession

from semaphore.config import Config
from semaphore.db.models import Runner, Task, Template
from semaphore.services.runners import is_online, labels
from semaphore.services.task_status import ACTIVE, TaskStatus
from semaphore.services.template_runner_tags import runner_tags_by_template


def has_template_tags(runner_tags: list[str], template_tags: list[str], match: str) -> bool:
    """The runner's tags cover the template's: every one ("all") or at least one ("any")."""
    if not template_tags:
        return True
    if match == "any":
        return any(tag in runner_tags for tag in template_tags)
    return all(tag in runner_tags for tag in template_tags)


def waiting_reason(db: DbSession, config: Config, task: Task) -> str | None:
    """Why no runner takes ``task``; None when it is not waiting for a remote runner, or one can
    take it (it is then taken at that runner's next poll)."""
    if not config.use_remote_runner or task.status != TaskStatus.WAITING:
        return None
    template = db.get(Template, task.template_id)
    if template is None:
        return None
    runners = db.scalars(select(Runner).where(
        Runner.active, or_(Runner.project_id.is_(None), Runner.project_id == task.project_id))).all()
    online = [runner for runner in runners if is_online(runner, config.runners.offline_timeout_sec)]
    if not online:
        return "No runner of this project and no global runner is online."
    with_app = [runner for runner in online if template.app in labels(runner.apps)]
    if not with_app:
        return f"No online runner has the app {template.app!r}."
    tags = runner_tags_by_template(db, [template.id]).get(template.id, [])
    match = template.runner_tags_match
    fitting = [runner for runner in with_app if has_template_tags(labels(runner.tags), tags, match)]
    if not fitting:
        wanted = ("every one of" if match != "any" else "one of") + " the tags " + ", ".join(tags)
        return f"No online runner with the app {template.app!r} has {wanted}."
    if all(_is_full(db, runner) for runner in fitting):
        return "Every online runner that can take it is busy."
    return None


def _is_full(db: DbSession, runner: Runner) -> bool:
    if not runner.max_parallel_tasks:
        return False
    running = db.scalar(select(func.count()).select_from(Task).where(
        Task.runner_id == runner.id, Task.status.in_([status.value for status in ACTIVE])))
    return int(running or 0) >= runner.max_parallel_tasks
