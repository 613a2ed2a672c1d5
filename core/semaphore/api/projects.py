"""Projects (/api/projects, /api/project/{id})."""

from __future__ import annotations

from semaphore.api import context
from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.roles import Permission
from semaphore.schemas.backups import ProjectBackupSchema
from semaphore.schemas.projects import ProjectCreateSchema, ProjectSchema, ProjectWriteSchema, RoleSchema
from semaphore.services import projects
from semaphore.services.project_backup import project_backup
from semaphore.services.project_restore import restore_project
from semaphore.state import app_state

blp = Blueprint("projects", __name__, url_prefix="/api", description="Projects")


@blp.route("/projects", methods=["GET"])
@blp.response(200, ProjectSchema(many=True))
def list_projects():  # type: ignore[no-untyped-def]
    """Projects you are a member of (admins: all projects)."""
    return projects.list_projects(context.db(), context.user())


@blp.route("/projects", methods=["POST"])
@blp.arguments(ProjectCreateSchema)
@blp.response(201, ProjectSchema)
def create_project(body: dict):  # type: ignore[no-untyped-def,type-arg]
    """Create a project; you become its owner. It starts with a "None" key and an "Empty" environment."""
    body.pop("id", None)
    return projects.create_project(context.db(), app_state(), context.user(), body)


@blp.route("/projects/restore", methods=["POST"])
@blp.arguments(ProjectBackupSchema)
@blp.response(200, ProjectSchema)
def restore(body: dict):  # type: ignore[no-untyped-def,type-arg]
    """Create a project from a backup (GET /api/project/{id}/backup); you become its owner. Keys come back
    without their secrets and environment secrets with empty values. Needs the right to create projects."""
    return restore_project(context.db(), app_state(), context.user(), body)


@blp.route("/project/<int:project_id>", methods=["GET"])
@blp.response(200, ProjectSchema)
@project_endpoint()
def get_project(project_id: int):  # type: ignore[no-untyped-def]
    return access().project


@blp.route("/project/<int:project_id>", methods=["PUT"])
@blp.arguments(ProjectWriteSchema)
@blp.response(204)
@project_endpoint(Permission.UPDATE_PROJECT)
def update_project(body: dict, project_id: int) -> None:  # type: ignore[type-arg]
    projects.update_project(context.db(), app_state(), context.user(), access().project, body)


@blp.route("/project/<int:project_id>", methods=["DELETE"])
@blp.response(204)
@project_endpoint(Permission.UPDATE_PROJECT)
def delete_project(project_id: int) -> None:
    """Delete the project and everything in it (owners and admins only)."""
    projects.delete_project(context.db(), context.user(), access().project)


@blp.route("/project/<int:project_id>/backup", methods=["GET"])
@blp.response(200, ProjectBackupSchema)
@project_endpoint()
def backup(project_id: int):  # type: ignore[no-untyped-def]
    """The project in the original's backup format: references by name, no secrets."""
    return project_backup(context.db(), access().project)


@blp.route("/project/<int:project_id>/role", methods=["GET"])
@blp.response(200, RoleSchema)
@project_endpoint()
def role(project_id: int):  # type: ignore[no-untyped-def]
    """Your role here and its permission bits (1 run tasks, 2 update project, 4 manage resources, 8 manage users)."""
    project_access = access()
    return {"role": project_access.role or ("owner" if project_access.user.admin else ""),
            "permissions": int(project_access.permissions)}


@blp.route("/project/<int:project_id>/me", methods=["DELETE"])
@blp.response(204)
@project_endpoint()
def leave(project_id: int) -> None:
    """Leave the project (the last owner cannot)."""
    projects.leave_project(context.db(), context.user(), access().project)
