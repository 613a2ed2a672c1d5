"""The task queue of every project (/api/tasks), for admins: what is queued and what runs."""

from __future__ import annotations

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import admin_only
from semaphore.db.models import Task
from semaphore.errors import NotFound
from semaphore.schemas.admin import TaskQueueEntrySchema
from semaphore.services import admin_overview, tasks
from semaphore.services.task_status import is_finished
from semaphore.state import app_state

blp = Blueprint("task_queue", __name__, url_prefix="/api/tasks",
                description="The task queue of every project: queued and running tasks (admins only)")


@blp.route("", methods=["GET"])
@blp.response(200, TaskQueueEntrySchema(many=True))
@admin_only
def list_queue():  # type: ignore[no-untyped-def]
    """Every task queued (``location: queue``) or running (``location: running``), oldest first."""
    return admin_overview.task_queue(context.db())


@blp.route("/<int:task_id>", methods=["GET"])
@blp.response(200, TaskQueueEntrySchema)
@admin_only
def get_queued(task_id: int):  # type: ignore[no-untyped-def]
    """The queue entry of one task; 404 when it is not queued or running."""
    entries = admin_overview.task_queue(context.db(), task_id)
    if not entries:
        raise NotFound("task is not queued or running")
    return entries[0]


@blp.route("/<int:task_id>", methods=["DELETE"])
@blp.response(204)
@admin_only
def stop_queued(task_id: int) -> None:
    """Stop the task if it is queued or running (a running one is asked to stop); nothing to do for a
    finished one. 404 for no such task."""
    db = context.db()
    task = db.get(Task, task_id)
    if task is None:
        raise NotFound("task not found")
    if not is_finished(task.status):
        tasks.stop_task(db, app_state().events, context.user(), task, force=False)
