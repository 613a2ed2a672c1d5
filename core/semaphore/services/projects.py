"""Projects: creation with their defaults, updates, deletion, and leaving."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from semaphore import notifier_settings
from semaphore.db.models import AccessKey, Base, Environment, Project, ProjectUser, User
from semaphore.errors import Forbidden, NotFound, ValidationError
from semaphore.roles import Role
from semaphore.services import activity
from semaphore.services.access import ProjectAccess
from semaphore.services.demo_project import add_demo
from semaphore.services.members import ensure_not_last_owner
from semaphore.state import AppState

MAX_LISTED = 1000


def list_projects(db: DbSession, user: User) -> list[Project]:
    query = select(Project).order_by(Project.name, Project.id).limit(MAX_LISTED)
    if not user.admin:
        query = query.join(ProjectUser, ProjectUser.project_id == Project.id).where(ProjectUser.user_id == user.id)
    return list(db.scalars(query))


def can_create_project(state: AppState, user: User) -> bool:
    return user.admin or state.config.non_admin_can_create_project


def create_project(db: DbSession, state: AppState, user: User, fields: dict[str, Any]) -> Project:
    """A project with a "None" key and an "Empty" environment; with ``demo``, the demo project."""
    demo = fields.pop("demo", False)
    project = new_project(db, state, user, fields, "Project created")
    none_key = AccessKey(name="None", type="none", project_id=project.id)
    empty = Environment(name="Empty", project_id=project.id, json="{}")
    db.add_all([none_key, empty])
    if demo:
        db.flush()
        add_demo(db, state, ProjectAccess(project=project, user=user, role=Role.OWNER.value), none_key, empty)
    return project


def new_project(db: DbSession, state: AppState, user: User, fields: dict[str, Any], event: str) -> Project:
    """An empty project owned by ``user``, if they may create projects; ``event`` describes it."""
    if not can_create_project(state, user):
        raise Forbidden("only admins can create projects")
    _check_notifier_settings(state, fields, {})
    project = Project(**fields)
    db.add(project)
    db.flush()
    db.add(ProjectUser(project_id=project.id, user_id=user.id, role=Role.OWNER.value))
    activity.record(db, user, project.id, "project", project.id, project.name, activity.CREATED, event)
    return project


def update_project(db: DbSession, state: AppState, user: User, project: Project, fields: dict[str, Any]) -> Project:
    """A PUT without ``notifier_settings`` (clients that do not know it) keeps the stored ones."""
    body_id = fields.pop("id", None)
    if body_id is not None and body_id != project.id:
        raise ValidationError("project ID in body and URL must be the same", field="id")
    _check_notifier_settings(state, fields, notifier_settings.parse(project.notifier_settings))
    for name, value in fields.items():
        setattr(project, name, value)
    activity.record(db, user, project.id, "project", project.id, project.name, activity.UPDATED,
                    f"Project {project.name} updated")
    return project


def _check_notifier_settings(state: AppState, fields: dict[str, Any], stored: notifier_settings.Settings) -> None:
    """Replace the request's ``notifier_settings`` object, when it has one, with the checked JSON text to store."""
    if notifier_settings.FIELD in fields:
        settings = notifier_settings.validated(state.registry.notifiers, fields[notifier_settings.FIELD], stored)
        fields[notifier_settings.FIELD] = notifier_settings.serialize(settings)


def delete_project(db: DbSession, user: User, project: Project) -> None:
    activity.record(db, user, None, "project", project.id, project.name, activity.DELETED,
                    f"Project {project.name} deleted")
    _delete_project_rows(db, project.id)
    db.delete(project)


def _delete_project_rows(db: DbSession, project_id: int) -> None:
    """Delete what ``ON DELETE CASCADE`` from the project would, users of a row before the row.
    MySQL/MariaDB run that cascade in no useful order and refuse to delete a key before the
    repository that still uses it; deleting dependants first works on every database."""
    for table in reversed(Base.metadata.sorted_tables):
        for key in table.foreign_keys:
            if key.column.table.name == Project.__tablename__ and key.ondelete == "CASCADE":
                db.execute(delete(table).where(key.parent == project_id))


def leave_project(db: DbSession, user: User, project: Project) -> None:
    membership = db.scalar(select(ProjectUser).where(ProjectUser.project_id == project.id,
                                                     ProjectUser.user_id == user.id))
    if membership is None:
        raise NotFound("you are not a member of this project")
    ensure_not_last_owner(db, membership)
    db.delete(membership)
    activity.record(db, user, project.id, "user", user.id, user.username, activity.DELETED,
                    f"User ID {user.id} left the project")
