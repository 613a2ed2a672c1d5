"""Tasks (/api/project/{id}/tasks): queue a run, list, output (paged JSON, searched, or raw text),
stop, confirm, delete."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from semaphore.api import context
from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.roles import Permission
from semaphore.schemas.tasks import (
    TaskCreateSchema,
    TaskDetailSchema,
    TaskHostResultSchema,
    TaskLastArgs,
    TaskListArgs,
    TaskOutputArgs,
    TaskOutputSchema,
    TaskOutputSearchArgs,
    TaskStopSchema,
    TaskWithTplSchema,
)
from semaphore.services import host_results, tasks
from semaphore.services.task_detail import task_detail
from semaphore.services.task_log_search import search_output
from semaphore.state import app_state

blp = Blueprint("tasks", __name__, url_prefix="/api/project/<int:project_id>/tasks",
                description="Tasks: runs of templates, queued in the database and run by the task engine")


@blp.route("", methods=["GET"], endpoint="list")
@blp.arguments(TaskListArgs, location="query")
@blp.response(200, TaskWithTplSchema(many=True))
@project_endpoint()
def list_tasks(args: dict[str, Any], project_id: int):  # type: ignore[no-untyped-def]
    """The project's tasks, newest first (at most 1000; ``before`` pages back)."""
    db = context.db()
    return tasks.with_templates(db, tasks.list_tasks(db, project_id, before=args["before"]))


@blp.route("/last", methods=["GET"], endpoint="last")
@blp.arguments(TaskLastArgs, location="query")
@blp.response(200, TaskWithTplSchema(many=True))
@project_endpoint()
def last_tasks(args: dict[str, Any], project_id: int):  # type: ignore[no-untyped-def]
    """The project's newest ``limit`` tasks (1-200, default 200)."""
    db = context.db()
    return tasks.with_templates(db, tasks.list_tasks(db, project_id, before=args["before"], limit=args["limit"]))


@blp.route("", methods=["POST"], endpoint="create")
@blp.arguments(TaskCreateSchema)
@blp.response(201, TaskDetailSchema)
@project_endpoint(Permission.RUN_TASKS)
def create_task(body: dict[str, Any], project_id: int):  # type: ignore[no-untyped-def]
    """Queue a run of a template; the task starts as ``waiting``."""
    db = context.db()
    task = tasks.create_task(db, app_state(), project_id, access().user, body)
    tasks.enqueue(db, app_state().events, [task])
    return task_detail(db, app_state().config, task)


@blp.route("/<int:task_id>", methods=["GET"], endpoint="get")
@blp.response(200, TaskDetailSchema)
@project_endpoint()
def get_task(project_id: int, task_id: int):  # type: ignore[no-untyped-def]
    db = context.db()
    task = tasks.get_task(db, project_id, task_id)
    return task_detail(db, app_state().config, task)


@blp.route("/<int:task_id>", methods=["DELETE"], endpoint="delete")
@blp.response(204)
@project_endpoint(Permission.MANAGE_RESOURCES)
def delete_task(project_id: int, task_id: int) -> None:
    """Delete a finished task and its output (409 while it is not finished)."""
    db = context.db()
    tasks.delete_task(db, access().user, tasks.get_task(db, project_id, task_id))


@blp.route("/<int:task_id>/output", methods=["GET"], endpoint="output")
@blp.arguments(TaskOutputArgs, location="query")
@blp.response(200, TaskOutputSchema(many=True))
@project_endpoint()
def task_output(args: dict[str, Any], project_id: int, task_id: int):  # type: ignore[no-untyped-def]
    """Output lines ordered by ``seq``: without ``limit`` every line (after the seq ``after``, if
    given), streamed, as the original answers; with ``limit`` a page of that many lines, and a full
    page carries ``Link: <...>; rel="next"``."""
    db = context.db()
    task = tasks.get_task(db, project_id, task_id)
    if args["limit"] is None:
        return Response(tasks.output_json(app_state().db, task.id, args["after"] or 0), mimetype="application/json")
    lines = tasks.task_output(db, task, args["after"], args["limit"])
    return _linked_page(lines, args["limit"], "tasks.output", project_id=project_id, task_id=task_id)


@blp.route("/<int:task_id>/output/search", methods=["GET"], endpoint="output_search")
@blp.arguments(TaskOutputSearchArgs, location="query")
@blp.response(200, TaskOutputSchema(many=True))
@project_endpoint()
def task_output_search(args: dict[str, Any], project_id: int, task_id: int):  # type: ignore[no-untyped-def]
    """The output lines that contain ``q`` (any case, ANSI escape codes ignored), ordered by
    ``seq``: at most ``limit`` (default 100) after the seq ``after``. A full page carries
    ``Link: <...>; rel="next"``."""
    db = context.db()
    lines = search_output(db, tasks.get_task(db, project_id, task_id), args["q"], args["after"], args["limit"])
    return _linked_page(lines, args["limit"], "tasks.output_search", project_id=project_id, task_id=task_id,
                        q=args["q"])


def _linked_page(lines: list[Any], limit: int, endpoint: str, **params: Any) -> Any:
    """A page of output lines; a full one carries ``Link: <...>; rel="next"``, the same request
    after its last seq."""
    if len(lines) < limit:
        return lines
    following = url_for(endpoint, **params, after=lines[-1].seq, limit=limit)
    return lines, {"Link": f'<{following}>; rel="next"'}


@blp.route("/<int:task_id>/raw_output", methods=["GET"], endpoint="raw_output")
@blp.doc(responses={"200": {"description": "The whole output as plain text, ANSI escape codes removed (a download)",
                            "content": {"text/plain": {"schema": {"type": "string"}}}}})
@project_endpoint()
def task_raw_output(project_id: int, task_id: int) -> Response:
    """The task's output as a text file, streamed."""
    task = tasks.get_task(context.db(), project_id, task_id)
    return Response(tasks.raw_output(app_state().db, task.id), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="task-{task.id}.log"'})


@blp.route("/<int:task_id>/hosts", methods=["GET"], endpoint="hosts")
@blp.response(200, TaskHostResultSchema(many=True))
@project_endpoint()
def task_hosts(project_id: int, task_id: int):  # type: ignore[no-untyped-def]
    """Per-host results of the task, by host name: counts per outcome and the failed tasks with
    their messages (ansible runs; empty for apps that report none). Stored as the run ends."""
    db = context.db()
    return host_results.for_task(db, tasks.get_task(db, project_id, task_id).id)


@blp.route("/<int:task_id>/stop", methods=["POST"], endpoint="stop")
@blp.arguments(TaskStopSchema)
@blp.response(204)
@project_endpoint(Permission.RUN_TASKS)
def stop_task(body: dict[str, Any], project_id: int, task_id: int) -> None:
    """Stop a task: one that has not started stops at once; a running one is asked to stop
    (``force``: marked stopped at once). 400 for a finished task."""
    db = context.db()
    tasks.stop_task(db, app_state().events, access().user, tasks.get_task(db, project_id, task_id), body["force"])


@blp.route("/<int:task_id>/confirm", methods=["POST"], endpoint="confirm")
@blp.response(204)
@project_endpoint(Permission.RUN_TASKS)
def confirm_task(project_id: int, task_id: int) -> None:
    """Let a task that waits for confirmation (e.g. terraform apply after plan) go on."""
    db = context.db()
    tasks.confirm_task(db, app_state().events, access().user, tasks.get_task(db, project_id, task_id))


@blp.route("/<int:task_id>/reject", methods=["POST"], endpoint="reject")
@blp.response(204)
@project_endpoint(Permission.RUN_TASKS)
def reject_task(project_id: int, task_id: int) -> None:
    """Decline what a task waits for confirmation of (e.g. a terraform plan): it ends ``rejected``."""
    db = context.db()
    tasks.reject_task(db, app_state().events, access().user, tasks.get_task(db, project_id, task_id))
