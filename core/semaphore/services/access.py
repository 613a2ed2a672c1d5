"""Who may see and change a project: membership, roles, and the admin override."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Project, ProjectUser, User
from semaphore.errors import Forbidden, NotFound
from semaphore.roles import MANAGED_ROLES, ROLES, Permission, Role, permissions_of


@dataclass
class ProjectAccess:
    """The caller's standing in one project."""

    project: Project
    user: User
    role: str | None  # None: an admin who is not a member

    @property
    def permissions(self) -> Permission:
        if self.user.admin:
            return permissions_of(Role.OWNER)
        return permissions_of(self.role) if self.role else Permission.NONE

    @property
    def managed_roles(self) -> frozenset[str]:
        """The roles of the members this caller may add, change (from and to) and remove; admins act
        as owners."""
        if self.user.admin:
            return MANAGED_ROLES[Role.OWNER]
        return MANAGED_ROLES[Role(self.role)] if self.role in ROLES else frozenset()

    def require(self, permission: Permission) -> None:
        if permission and not (self.permissions & permission) == permission:
            raise Forbidden(f"your role in this project does not allow this ({str(permission.name).lower()})")


def project_access(db: DbSession, user: User, project_id: int) -> ProjectAccess:
    """The caller's access, or 404 for a project that is missing or that they are not in."""
    project = db.get(Project, project_id)
    if project is None:
        raise NotFound("project not found")
    role = db.scalar(select(ProjectUser.role).where(
        ProjectUser.project_id == project_id, ProjectUser.user_id == user.id))
    if role is None and not user.admin:
        raise NotFound("project not found")
    return ProjectAccess(project=project, user=user, role=role)


def can_see_project(db: DbSession, user: User, project_id: int) -> bool:
    """Whether ``user`` may see the project: a member, or an admin; False for a missing project."""
    try:
        project_access(db, user, project_id)
    except NotFound:
        return False
    return True
