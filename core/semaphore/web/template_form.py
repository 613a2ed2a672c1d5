"""The template form: /project/<id>/templates/new?app=<app id> and /project/<id>/templates/<id>/edit.

The app is chosen first; then the form shows the fields every template has (name, type, view,
branch, survey, ...) and the app's own fields, which come from its executor's ``template_fields``:
each :class:`semaphore.execution.TemplateField` says (or lets us infer) its control. A dotted name
is a key of ``task_params``. The form is sent to POST/PUT /api/project/<id>/templates by
static/templates.js."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import request
from sqlalchemy import select

from semaphore.api import context
from semaphore.db.models import Template
from semaphore.execution import OBJECT_FIELDS, TemplateField
from semaphore.interfaces import Executor
from semaphore.schemas.templates import VaultSchema
from semaphore.services.apps import app_settings, list_apps
from semaphore.services.environments import ENVIRONMENTS
from semaphore.services.inventories import INVENTORIES
from semaphore.services.keys import KEYS
from semaphore.services.repositories import REPOSITORIES
from semaphore.services.template_fields import json_fields
from semaphore.services.template_runner_tags import runner_tags_by_template
from semaphore.services.template_vaults import vaults_by_template
from semaphore.services.templates import TEMPLATES
from semaphore.services.views import VIEWS
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page

#: Fields the form shows for every app; an executor's own list never repeats them.
COMMON_FIELDS = frozenset({"name", "description", "type", "start_version", "build_template_id", "autorun",
                           "view_id", "git_branch", "allow_override_branch_in_task", "allow_parallel_tasks",
                           "suppress_success_alerts", "survey_vars", "runner_tag",
                           "runner_tags", "runner_tags_match"})
#: The form of an app whose executor declares no fields.
DEFAULT_FIELDS = (TemplateField("playbook", "Playbook / script", help="Path inside the repository"),
                  TemplateField("repository_id", "Repository", required=True),
                  TemplateField("inventory_id", "Inventory"),
                  TemplateField("environment_id", "Variable group"))
SURVEY_TYPES = (("", "String"), ("int", "Integer"), ("enum", "Choice (enum)"), ("secret", "Secret"),
                ("text", "Multi-line text"))
TEMPLATE_TYPES = (("", "Task"), ("build", "Build"), ("deploy", "Deploy"))


@dataclass
class FormField:
    """One control of the app's part of the form, ready for the template to render."""

    id: str
    name: str
    label: str
    control: str
    required: bool = False
    help: str = ""
    value: Any = None
    options: list[tuple[Any, str]] = field(default_factory=list)


def app_fields(executor: Executor) -> tuple[TemplateField, ...]:
    """The executor's fields (DEFAULT_FIELDS when it declares none), with ``repository_id``, which
    every template needs, added when missing, and without the common fields."""
    fields = executor.template_fields or tuple(item for item in DEFAULT_FIELDS
                                               if item.name != "inventory_id" or executor.inventory_types)
    if not any(item.name == "repository_id" for item in fields):
        fields = (TemplateField("repository_id", "Repository", required=True), *fields)
    return tuple(item for item in fields if item.name not in COMMON_FIELDS)


def field_value(values: dict[str, Any], name: str) -> Any:
    """A field's current value: a column, or a key of task_params for a dotted name."""
    if "." in name:
        head, _, rest = name.partition(".")
        return field_value(values.get(head) or {}, rest)
    return values.get(name)


class ObjectChoices:
    """The project's repositories, inventories and variable groups as select options, read once."""

    def __init__(self, project_id: int, executor: Executor) -> None:
        self.project_id, self.executor = project_id, executor
        self._read: dict[str, list[tuple[Any, str]]] = {}

    def __call__(self, kind: str) -> list[tuple[Any, str]]:
        if kind not in self._read:
            db = context.db()
            if kind == "repositories":
                rows: list[Any] = REPOSITORIES.list(db, self.project_id, "name")
            elif kind == "inventories":
                types = self.executor.inventory_types
                rows = [row for row in INVENTORIES.list(db, self.project_id, "name") if not types or row.type in types]
            else:
                rows = ENVIRONMENTS.list(db, self.project_id, "name")
            self._read[kind] = [(row.id, row.name) for row in rows]
        return self._read[kind]


def form_fields(executor: Executor, values: dict[str, Any], project_id: int) -> list[FormField]:
    choices = ObjectChoices(project_id, executor)
    result = []
    for item in app_fields(executor):
        control = item.control
        value = field_value(values, item.name)
        options: list[tuple[Any, str]] = list(item.options)
        if control == "select" and not options:
            kind = OBJECT_FIELDS.get(item.name.rsplit(".", 1)[-1])
            if kind is None:
                control = "int"  # an id of something we cannot list
            else:
                options = choices(kind)
        if control == "json" and value is not None and not isinstance(value, str):
            value = json.dumps(value)
        if control == "lines" and isinstance(value, list):
            value = "\n".join(str(line) for line in value)
        if control == "text" and isinstance(value, list):
            value = ", ".join(str(part) for part in value)
        required = item.required or (item.name == "playbook" and executor.requires_playbook)
        result.append(FormField(id="tf-" + item.name.replace(".", "-").replace("_", "-"), name=item.name,
                                label=item.title, control=control, required=required, help=item.help,
                                value=value, options=options))
    return result


def app_choices() -> list[dict[str, Any]]:
    """Apps a template can be created for: installed and active, in the `apps` setting's order."""
    state = app_state()
    return [app for app in list_apps(app_settings(context.db(), state.config), state.registry)
            if app["installed"] and app["active"]]


@blp.get("/project/<int:project_id>/templates/new")
@page_for_users
def new_template_page(project_id: int) -> str:
    access = project_page_access(project_id)
    executor = app_state().registry.executors.get(request.args.get("app", ""))
    if executor is None:
        return render_project_page("template_form.html", access, "templates", apps=app_choices(), tpl=None,
                                   executor=None)
    values: dict[str, Any] = {"app": executor.app_id, "type": "", "survey_vars": [], "task_params": {}, "vaults": []}
    return render_form(access, executor, values, None)


@blp.get("/project/<int:project_id>/templates/<int:template_id>/edit")
@page_for_users
def edit_template_page(project_id: int, template_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    template = TEMPLATES.get(db, project_id, template_id)
    executor = app_state().registry.executors.get(template.app)
    vaults = vaults_by_template(db, [template.id]).get(template.id, [])
    # as the API shows them: the form's vault editor reads them as JSON
    values = {**json_fields(template), "vaults": VaultSchema(many=True).dump(vaults),
              "runner_tags": runner_tags_by_template(db, [template.id]).get(template.id, [])}
    if executor is None:
        return render_project_page("template_form.html", access, "templates", apps=[], tpl=template,
                                   executor=None, missing_app=template.app)
    return render_form(access, executor, values, template)


def render_form(access: Any, executor: Executor, values: dict[str, Any], template: Template | None) -> str:
    db = context.db()
    project_id = access.project.id
    fields = form_fields(executor, values, project_id)
    builds = db.execute(select(Template.id, Template.name).where(
        Template.project_id == project_id, Template.type == "build").order_by(Template.name)).all()
    vault_keys = [(key.id, key.name) for key in KEYS.list(db, project_id, "name") if key.type == "login_password"] \
        if any(item.control == "vaults" for item in fields) else []
    extra: dict[str, Any] = {"project_id": project_id, "app": executor.app_id,
                             "task_params": values.get("task_params") or {}}
    if template is not None:
        extra["id"] = template.id
    return render_project_page(
        "template_form.html", access, "templates", tpl=template, executor=executor, values=values,
        fields=fields, extra=extra, views=[(view.id, view.title) for view in VIEWS.list(db, project_id)],
        builds=[(row.id, row.name) for row in builds if template is None or row.id != template.id],
        vault_keys=vault_keys, survey_types=SURVEY_TYPES, template_types=TEMPLATE_TYPES,
        app_title=executor.title or executor.app_id)
