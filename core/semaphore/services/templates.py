"""Templates: validation of everything a template points at, vault passwords, and what the API
shows (survey variables as a list, vaults, the newest task)."""

from __future__ import annotations

import builtins
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db import like
from semaphore.db.models import Environment, Integration, Inventory, Repository, Schedule, Template, View
from semaphore.errors import InUse, ValidationError
from semaphore.schemas.base import TEXT_MAX_BYTES
from semaphore.services import activity
from semaphore.services.access import ProjectAccess
from semaphore.services.apps import app_settings
from semaphore.services.inventories import require_inventory_type
from semaphore.services.resources import ProjectResource, RefSpec, require_in_project
from semaphore.services.tasks import last_tasks
from semaphore.services.template_fields import WRITABLE_COLUMNS, json_fields
from semaphore.services.template_runner_tags import (
    normalize_runner_tags,
    replace_runner_tags,
    runner_tags_by_template,
)
from semaphore.services.template_vaults import check_vaults, replace_vaults, vaults_by_template
from semaphore.services.versions import parse_version

if TYPE_CHECKING:
    from semaphore.state import AppState

#: App ids a template may name even when no executor for them is installed yet.
KNOWN_APPS = ("ansible", "terraform", "tofu", "terragrunt", "bash", "powershell", "python", "pulumi")

_REFERENCES = (("repository_id", Repository), ("inventory_id", Inventory), ("environment_id", Environment),
               ("view_id", View))
_SORT_BY_NAME_OF = {"inventory": (Inventory, Template.inventory_id),
                    "environment": (Environment, Template.environment_id),
                    "repository": (Repository, Template.repository_id)}


class Templates(ProjectResource[Template]):
    model = Template
    object_type = "template"
    label = "Template"
    sort_columns = {"name": "name", "playbook": "playbook", "inventory": "inventory_id",
                    "environment": "environment_id", "repository": "repository_id"}
    refs = (
        RefSpec("templates", Template.build_template_id, Template.name),
        RefSpec("schedules", Schedule.template_id, Schedule.name),
        RefSpec("integrations", Integration.template_id, Integration.name),
    )

    # -- reading ------------------------------------------------------------------------------

    def list(self, db: DbSession, project_id: int, sort: str | None = None, order: str = "asc") -> list[Template]:
        if sort not in _SORT_BY_NAME_OF:
            return super().list(db, project_id, sort, order)
        model, column = _SORT_BY_NAME_OF[sort]
        name = model.name.desc() if order == "desc" else model.name  # type: ignore[attr-defined]
        query = self.query(project_id).outerjoin(model, model.id == column).order_by(name, Template.id)  # type: ignore[attr-defined]
        return builtins.list(db.scalars(query))

    def search(self, db: DbSession, project_id: int, *, name: str = "", view_id: int | None = None,
               offset: int = 0, limit: int = 50) -> builtins.list[Template]:
        """A page of the project's templates by name: those whose name contains ``name`` (any
        case), of one view when ``view_id`` is given."""
        query = self.query(project_id)
        if name.strip():
            pattern = "%" + like.literal(name.strip().lower()) + "%"
            query = query.where(func.lower(Template.name).like(pattern, escape=like.ESCAPE))
        if view_id is not None:
            query = query.where(Template.view_id == view_id)
        return builtins.list(db.scalars(query.order_by(Template.name, Template.id).offset(offset).limit(limit)))

    def present(self, db: DbSession, state: AppState, rows: builtins.list[Template]) -> builtins.list[dict[str, Any]]:
        if not rows:
            return []
        ids = [row.id for row in rows]
        newest = last_tasks(db, rows[0].project_id, ids)
        vaults = vaults_by_template(db, ids)
        tags = runner_tags_by_template(db, ids)
        return [{**json_fields(row), "runner_tags": tags.get(row.id, []), "tasks": row.tasks,
                 "vaults": vaults.get(row.id, []),
                 "last_task": newest.get(row.id)} for row in rows]

    # -- validation ---------------------------------------------------------------------------

    def validate(self, db: DbSession, state: AppState, project_id: int,
                 data: dict[str, Any], existing: Template | None) -> None:
        _normalize(data)
        for name in ("survey_vars", "task_params"):
            if len(json.dumps(data[name]).encode()) > TEXT_MAX_BYTES:
                raise ValidationError(f"must be at most {TEXT_MAX_BYTES} bytes as JSON", field=name)
        for field, model in _REFERENCES:
            require_in_project(db, model, data[field], project_id, field)
        self._check_app(db, state, data["app"])
        self._check_kind(db, project_id, data, existing)
        check_vaults(db, project_id, data["vaults"], existing.id if existing else None)
        executor = state.registry.executors.get(data["app"])
        if executor is not None:
            if executor.requires_playbook and not data["playbook"].strip():
                raise ValidationError(f"required for app {data['app']!r}", field="playbook")
            require_inventory_type(db, executor, data["inventory_id"], "inventory_id")
            executor.validate_template({**data, "id": existing.id if existing else None, "project_id": project_id})

    @staticmethod
    def _check_app(db: DbSession, state: AppState, app_id: str) -> None:
        available = set(state.registry.executors) | set(KNOWN_APPS) | set(app_settings(db, state.config))
        if app_id not in available:
            raise ValidationError(f"unknown app {app_id!r} (available: {', '.join(sorted(available))})", field="app")

    @staticmethod
    def _check_kind(db: DbSession, project_id: int, data: dict[str, Any], existing: Template | None) -> None:
        """Build templates carry a start version; deploy templates name their build template."""
        kind = data["type"]
        if data["start_version"] is not None:
            if kind != "build":
                raise ValidationError("only build templates have a start version", field="start_version")
            if parse_version(data["start_version"]) is None:
                raise ValidationError("must contain a number, e.g. 1.0.0", field="start_version")
        if data["autorun"] and kind != "deploy":
            raise ValidationError("only deploy templates run automatically after a build", field="autorun")
        build_id = data["build_template_id"]
        if kind != "deploy" and build_id is not None:
            raise ValidationError("only deploy templates have a build template", field="build_template_id")
        if kind == "deploy":
            if build_id is None:
                raise ValidationError("required for a deploy template", field="build_template_id")
            require_in_project(db, Template, build_id, project_id, "build_template_id")
            if existing is not None and build_id == existing.id:
                raise ValidationError("a template cannot be its own build template", field="build_template_id")
            if db.get(Template, build_id).type != "build":  # type: ignore[union-attr]
                raise ValidationError("must be a build template", field="build_template_id")
        if existing is not None and existing.type == "build" and kind != "build":
            users = db.scalars(select(Template.name).where(Template.build_template_id == existing.id)).all()
            if users:
                raise ValidationError(f"deploy templates build from this template: {', '.join(users)}", field="type")

    # -- saving -------------------------------------------------------------------------------

    def apply(self, db: DbSession, state: AppState, row: Template, data: dict[str, Any], access: ProjectAccess) -> None:
        for name in WRITABLE_COLUMNS:
            setattr(row, name, data[name])
        row.survey_vars = json.dumps(data["survey_vars"]) if data["survey_vars"] else None
        row.task_params = json.dumps(data["task_params"]) if data["task_params"] else None

    def after_save(self, db: DbSession, state: AppState, row: Template,
                   data: dict[str, Any], access: ProjectAccess) -> None:
        replace_vaults(db, row, data["vaults"])
        replace_runner_tags(db, row, data["runner_tags"])

    def delete(self, db: DbSession, access: ProjectAccess, row: Template) -> None:
        """Refused while deploy templates build from it; its tasks, schedules, integrations and
        vaults go with it."""
        deploys = self.referrers(db, row).get("templates")
        if deploys:
            names = ", ".join(str(item["name"]) for item in deploys)
            raise InUse(f"Template is the build template of: {names}", refs={"templates": deploys})
        db.execute(update(Inventory).where(Inventory.holder_id == row.id).values(holder_id=None),
                   execution_options={"synchronize_session": False})
        self.record(db, access, row, activity.DELETED)
        db.delete(row)


def _normalize(data: dict[str, Any]) -> None:
    """Empty strings mean "not set"; missing lists and objects mean empty."""
    normalize_runner_tags(data)
    for name in ("start_version", "git_branch"):
        if not (data.get(name) or "").strip():
            data[name] = None
    for name, empty in (("survey_vars", []), ("task_params", {}), ("vaults", [])):
        if data.get(name) is None:
            data[name] = empty
    for vault in data["vaults"]:
        vault["name"] = vault.get("name") or None
        vault["script"] = (vault.get("script") or "").strip() or None


TEMPLATES = Templates()
