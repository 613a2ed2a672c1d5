"""Managing registered runners: list, show, change, switch on and off, remove, ask for a cache
clean, for admins (every runner) and for a project's owners and managers (that project's).

A runner is *online* while it polls: its last request (``touched``) is at most
runners.offline_timeout_sec old. Its *running tasks* are its tasks that have not finished.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Project, Runner, Task, User
from semaphore.db.types import utcnow
from semaphore.errors import NotFound, ValidationError
from semaphore.services import activity
from semaphore.services.task_status import ACTIVE

RUNNER_FIELDS = ("id", "project_id", "name", "webhook", "max_parallel_tasks", "active", "tag", "version", "touched",
                 "registered", "cleaning_requested")
#: Where the command shown with a new registration token expects the runner's configuration.
RUNNER_CONFIG_PLACEHOLDER = "/path/to/runner/config.json"
#: ``project_id`` of :func:`list_runners` for every runner, global and project ones.
EVERY_PROJECT = -1


def labels(text: str | None) -> list[str]:
    """A JSON list of strings stored as text (tags, apps); anything else reads as empty."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def is_online(runner: Runner, offline_timeout_sec: int, now: datetime | None = None) -> bool:
    return runner.touched is not None and (now or utcnow()) - runner.touched <= timedelta(seconds=offline_timeout_sec)


def running_task_counts(db: DbSession, runner_ids: list[int]) -> dict[int, int]:
    """Unfinished tasks per runner (those that count against its max_parallel_tasks)."""
    if not runner_ids:
        return {}
    query = (select(Task.runner_id, func.count()).where(Task.runner_id.in_(runner_ids),
                                                        Task.status.in_([s.value for s in ACTIVE]))
             .group_by(Task.runner_id))
    return {runner_id: int(count) for runner_id, count in db.execute(query) if runner_id is not None}


def present(db: DbSession, offline_timeout_sec: int, runners: list[Runner]) -> list[dict[str, Any]]:
    """The runners as the API and the pages show them; never their token or public key."""
    counts = running_task_counts(db, [runner.id for runner in runners])
    now = utcnow()
    return [{**{name: getattr(runner, name) for name in RUNNER_FIELDS},
             "tags": labels(runner.tags), "apps": labels(runner.apps),
             "online": is_online(runner, offline_timeout_sec, now), "running_tasks": counts.get(runner.id, 0)}
            for runner in runners]


def project_names(db: DbSession, runners: list[Runner]) -> dict[int, str]:
    """The names of the projects of project runners, for lists that show every runner."""
    ids = {runner.project_id for runner in runners if runner.project_id is not None}
    if not ids:
        return {}
    return {int(project_id): str(name) for project_id, name in
            db.execute(select(Project.id, Project.name).where(Project.id.in_(ids)))}


def list_runners(db: DbSession, project_id: int | None = EVERY_PROJECT) -> list[Runner]:
    """Every runner (:data:`EVERY_PROJECT`), the global ones (None) or one project's."""
    query = select(Runner).order_by(Runner.id)
    if project_id is None:
        query = query.where(Runner.project_id.is_(None))
    elif project_id != EVERY_PROJECT:
        query = query.where(Runner.project_id == project_id)
    return list(db.scalars(query))


def get_runner(db: DbSession, runner_id: int, project_id: int | None = EVERY_PROJECT) -> Runner:
    """404 ``Runner not found`` (the original's words) also for another project's runner."""
    runner = db.get(Runner, runner_id)
    if runner is None or (project_id != EVERY_PROJECT and runner.project_id != project_id):
        raise NotFound("Runner not found")
    return runner


def set_tags(runner: Runner, tags: list[str]) -> None:
    """``tags`` is the list; ``tag``, the original's single tag, follows its first entry."""
    runner.tags = json.dumps(list(dict.fromkeys(tags)))
    runner.tag = tags[0] if tags else None


def update_runner(db: DbSession, user: User, runner: Runner, data: dict[str, Any]) -> None:
    """Change what the body names (name, active, max_parallel_tasks, webhook, tags or the
    original's single tag); other fields stay."""
    body_id = data.get("id")
    if body_id is not None and body_id != runner.id:
        raise ValidationError("Runner ID in body and URL must be the same", field="id")
    for name in ("name", "active", "max_parallel_tasks", "webhook"):
        if name in data:
            setattr(runner, name, data[name])
    if "tags" in data:
        set_tags(runner, data["tags"])
    elif "tag" in data:
        set_tags(runner, [data["tag"]] if data["tag"] else [])
    _record(db, user, runner, activity.UPDATED)


def set_active(db: DbSession, user: User, runner: Runner, active: bool) -> None:
    """An inactive runner keeps polling and finishing its tasks but is given no new ones."""
    runner.active = active
    _record(db, user, runner, activity.UPDATED, f"Runner {runner.name} {'enabled' if active else 'disabled'}")


def request_cleaning(db: DbSession, user: User, runner: Runner) -> None:
    """Ask the runner to clear its caches (repositories, downloaded files) at its next poll."""
    runner.cleaning_requested = True
    _record(db, user, runner, activity.UPDATED, f"Runner {runner.name}: cache clean requested")


def delete_runner(db: DbSession, user: User, runner: Runner) -> None:
    """The runner's token stops working at once; its finished tasks keep their history (runner_id
    null); the caller has decided its unfinished tasks first (engine.runner_reconcile.release_removed)."""
    _record(db, user, runner, activity.DELETED)
    db.delete(runner)


def registration_command(token: str) -> str:
    """The command that registers a runner with a one-time token, as the documentation writes it."""
    return (f"echo {token} | semaphore runner register --stdin-registration-token "
            f"--config {RUNNER_CONFIG_PLACEHOLDER}")


def _record(db: DbSession, user: User, runner: Runner, action: str, description: str | None = None) -> None:
    activity.record(db, user, runner.project_id, "runner", runner.id, runner.name, action, description)
