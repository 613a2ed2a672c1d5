"""A task's page: its header (template, status, who ran it, the remote runner it ran on or why none takes it, times),
the buttons to stop, confirm, reject or re-run it, the live log and the per-host results. The
page's script reads the log a page at a time from the output endpoint and follows it over /api/ws;
every button calls the API."""

from __future__ import annotations

import json
from typing import Any

from semaphore.api import context
from semaphore.db.models import Runner, Task
from semaphore.schemas.tasks import TaskSchema
from semaphore.services import tasks
from semaphore.services.task_log_range import output_bounds
from semaphore.services.task_status import is_finished
from semaphore.services.task_waiting import waiting_reason
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page

# What a re-run repeats: the run request's fields as the task stored them (secret extra variables
# stay encrypted and are not repeated).
RERUN_FIELDS = ("template_id", "debug", "dry_run", "diff", "playbook", "environment", "limit", "arguments",
                "git_branch", "inventory_id", "build_task_id", "params", "message")


@blp.get("/project/<int:project_id>/tasks/<int:task_id>")
@page_for_users
def task_page(project_id: int, task_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    task = tasks.get_task(db, project_id, task_id)
    view = tasks.with_templates(db, [task])[0]
    first_seq, last_seq = output_bounds(db, task.id)
    runner = db.get(Runner, task.runner_id) if task.runner_id is not None else None
    return render_project_page("task.html", access, "history", task=view, run_by=run_by(task, view),
                               runner_name=(runner.name or f"#{runner.id}") if runner else None,
                               waiting_reason=waiting_reason(db, app_state().config, task),
                               finished=is_finished(task.status), first_seq=first_seq, last_seq=last_seq,
                               task_json=json.dumps(TaskSchema().dump(task)), rerun_json=json.dumps(rerun_body(task)))


def run_by(task: Task, view: dict[str, Any]) -> str:
    if view["user_name"]:
        return str(view["user_name"])
    if task.schedule_id is not None:
        return "a schedule"
    if task.integration_id is not None:
        return "an integration"
    return "—"


def rerun_body(task: Task) -> dict[str, Any]:
    """The run request that repeats ``task``: the same template and overrides."""
    dumped = TaskSchema().dump(task)
    return {name: dumped[name] for name in RERUN_FIELDS if dumped.get(name) not in (None, "")}
