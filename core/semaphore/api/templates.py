"""Templates (/api/project/{id}/templates) and their tasks and schedules."""

from __future__ import annotations

from typing import Any

from semaphore.api import context
from semaphore.api.access import project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.schemas.schedules import ScheduleSchema
from semaphore.schemas.tasks import TaskLastArgs, TaskListArgs, TaskWithTplSchema
from semaphore.schemas.templates import TemplateSchema, TemplateWriteSchema
from semaphore.services.schedules import SCHEDULES
from semaphore.services.tasks import MAX_LISTED, list_tasks, with_templates
from semaphore.services.templates import TEMPLATES
from semaphore.state import app_state

blp = Blueprint("templates", __name__, url_prefix="/api/project/<int:project_id>/templates",
                description="Templates: what to run, with which inventory, environment and vault passwords")

add_resource_routes(blp, TEMPLATES, TemplateSchema, TemplateWriteSchema, "template_id")


def _template_tasks(project_id: int, template_id: int, args: dict[str, Any], limit: int | None = None) -> Any:
    db = context.db()
    template = TEMPLATES.get(db, project_id, template_id)
    tasks = list_tasks(db, project_id, template_id=template.id, before=args["before"],
                       limit=MAX_LISTED if limit is None else limit)
    return with_templates(db, tasks)


@blp.route("/<int:template_id>/tasks", methods=["GET"], endpoint="tasks")
@blp.arguments(TaskListArgs, location="query")
@blp.response(200, TaskWithTplSchema(many=True))
@project_endpoint()
def template_tasks(args: dict[str, Any], project_id: int, template_id: int):  # type: ignore[no-untyped-def]
    """The template's tasks, newest first (at most 1000; ``before`` pages back)."""
    return _template_tasks(project_id, template_id, args)


@blp.route("/<int:template_id>/tasks/last", methods=["GET"], endpoint="last_tasks")
@blp.arguments(TaskLastArgs, location="query")
@blp.response(200, TaskWithTplSchema(many=True))
@project_endpoint()
def template_last_tasks(args: dict[str, Any], project_id: int, template_id: int):  # type: ignore[no-untyped-def]
    """The template's newest ``limit`` tasks (1-200, default 200)."""
    return _template_tasks(project_id, template_id, args, args["limit"])


@blp.route("/<int:template_id>/schedules", methods=["GET"], endpoint="schedules")
@blp.response(200, ScheduleSchema(many=True))
@project_endpoint()
def template_schedules(project_id: int, template_id: int):  # type: ignore[no-untyped-def]
    """The template's "run on new commit" schedules (``repository_id`` set), as in the original:
    its clients treat the one listed here as the template's commit check and delete it when that
    box is cleared, so plain cron schedules (listed by ``GET /schedules``) are not listed here."""
    db = context.db()
    template = TEMPLATES.get(db, project_id, template_id)
    schedules = SCHEDULES.list_for_template(db, project_id, template.id, on_commit_only=True)
    return SCHEDULES.present(db, app_state(), schedules)
