"""A task's page: its header (template, status, who ran it, the remote runner it ran on or why none takes it, times),
the buttons to stop, confirm, reject or re-run it, the live log and the per-host results. The
page's script reads the log a page at a time from the output endpoint and follows it over /api/ws,
and reads the task's endpoint again when its status or runner changes, and every few seconds while
it waits (why it waits changes as runners come, go and finish tasks); every button calls the API."""

from __future__ import annotations

import json
from typing import Any

from semaphore.api import context
from semaphore.db.models import Task
from semaphore.schemas.tasks import TaskDetailSchema, TaskSchema
from semaphore.services import tasks
from semaphore.services.task_detail import task_detail
from semaphore.services.task_log_range import output_bounds
from semaphore.services.task_status import is_finished
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
    detail = task_detail(db, app_state().config, task)
    return render_project_page("task.html", access, "history", task=view, run_by=run_by(task, view), detail=detail,
                               finished=is_finished(task.status), first_seq=first_seq, last_seq=last_seq,
                               task_json=json.dumps(TaskDetailSchema().dump(detail)),
                               rerun_json=json.dumps(rerun_body(task)))


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
