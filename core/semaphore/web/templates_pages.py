"""A project's templates: the list (/project/<id>/templates: search, view tabs, Run buttons) and one
template's page (/project/<id>/templates/<template_id>: settings, its task history, its schedules).
Runs start from the run dialog (templates/_run_dialog.html, static/run.js)."""

from __future__ import annotations

from typing import Any

from flask import request

from semaphore.api import context
from semaphore.db.models import Environment, Inventory, Repository, Template
from semaphore.errors import NotFound
from semaphore.roles import Permission
from semaphore.services.apps import app_settings, list_apps
from semaphore.services.inventories import INVENTORIES
from semaphore.services.schedules import SCHEDULES
from semaphore.services.tasks import last_tasks
from semaphore.services.template_fields import json_fields
from semaphore.services.template_runner_tags import runner_tags_by_template
from semaphore.services.templates import TEMPLATES
from semaphore.services.views import VIEWS
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.history import task_page
from semaphore.web.pages import page_for_users, page_number, project_page_access, render_project_page

TEMPLATES_PER_PAGE = 50
TYPE_TITLES = {"": "Task", "build": "Build", "deploy": "Deploy"}


def run_dialog_values(project_id: int) -> dict[str, Any]:
    """What the run dialog needs besides the template: each app's inventory types and the
    project's inventories (one query)."""
    executors = app_state().registry.executors
    return {"run_apps": {app_id: {"inventory_types": list(executor.inventory_types)}
                         for app_id, executor in executors.items()},
            "run_inventories": INVENTORIES.list(context.db(), project_id, "name")}


def app_titles() -> dict[str, str]:
    state = app_state()
    return {app["id"]: app["title"] for app in list_apps(app_settings(context.db(), state.config), state.registry)}


@blp.get("/project/<int:project_id>/templates")
@page_for_users
def templates_page(project_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    search = request.args.get("q", "").strip()
    views = VIEWS.list(db, project_id)
    view = None
    if request.args.get("view"):
        view = next((row for row in views if str(row.id) == request.args["view"]), None)
        if view is None:
            raise NotFound("view not found")
    page = page_number()
    rows = TEMPLATES.search(db, project_id, name=search, view_id=view.id if view else None,
                            offset=(page - 1) * TEMPLATES_PER_PAGE, limit=TEMPLATES_PER_PAGE + 1)
    shown = rows[:TEMPLATES_PER_PAGE]
    return render_project_page(
        "templates.html", access, "templates", templates=shown, views=views, view=view, search=search, page=page,
        has_more=len(rows) > TEMPLATES_PER_PAGE, apps=app_titles(), types=TYPE_TITLES,
        last=last_tasks(db, project_id, [row.id for row in shown]) if shown else {},
        **(run_dialog_values(project_id) if access.permissions & Permission.RUN_TASKS else {}))


@blp.get("/project/<int:project_id>/templates/<int:template_id>")
@page_for_users
def template_page(project_id: int, template_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    template = TEMPLATES.get(db, project_id, template_id)
    return render_project_page(
        "template.html", access, "templates", tpl=template, fields=json_fields(template),
        names=referenced_names(template), apps=app_titles(), types=TYPE_TITLES,
        runner_tags=runner_tags_by_template(db, [template.id]).get(template.id, []),
        schedules=SCHEDULES.list_for_template(db, project_id, template_id),
        listing=task_page(project_id, template_id),
        **(run_dialog_values(project_id) if access.permissions & Permission.RUN_TASKS else {}))


def referenced_names(template: Template) -> dict[str, Any]:
    """Names of what the template points at: repository, inventory, variable group, view, build template."""
    db = context.db()
    names: dict[str, Any] = {}
    for field, model in (("repository_id", Repository), ("inventory_id", Inventory),
                         ("environment_id", Environment), ("build_template_id", Template)):
        object_id = getattr(template, field)
        row = db.get(model, object_id) if object_id is not None else None
        names[field] = row.name if row is not None else None  # type: ignore[attr-defined]
    if template.view_id is not None:
        view = VIEWS.get(db, template.project_id, template.view_id)
        names["view_id"] = view.title
    return names
