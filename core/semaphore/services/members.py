"""Project members and their roles.

Rules (the original's documentation): owners and managers add members; owners (and admins) add,
change and remove anyone; managers add, change and remove task runners and guests only, and make
nobody a manager or owner; the last owner can be neither removed nor demoted.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import ProjectUser, User
from semaphore.errors import Conflict, Forbidden, NotFound, ValidationError
from semaphore.roles import Role
from semaphore.services import activity
from semaphore.services.access import ProjectAccess


def list_members(db: DbSession, project_id: int) -> list[tuple[User, str]]:
    rows = db.execute(select(User, ProjectUser.role).join(ProjectUser, ProjectUser.user_id == User.id)
                      .where(ProjectUser.project_id == project_id).order_by(User.name, User.username))
    return [(user, role) for user, role in rows]


def users_not_in(db: DbSession, project_id: int) -> list[User]:
    """Every user who is not a member of the project (whom a manager could add), by username."""
    members = select(ProjectUser.user_id).where(ProjectUser.project_id == project_id)
    return list(db.scalars(select(User).where(User.id.not_in(members)).order_by(User.username)))


def get_membership(db: DbSession, project_id: int, user_id: int) -> ProjectUser:
    membership = db.scalar(select(ProjectUser).where(ProjectUser.project_id == project_id,
                                                     ProjectUser.user_id == user_id))
    if membership is None:
        raise NotFound("user is not a member of this project")
    return membership


def _require_manages(access: ProjectAccess, *roles: str) -> None:
    """Refuse unless the caller may manage members in each of ``roles`` (a member's current role and
    the one it would get)."""
    for role in roles:
        if role not in access.managed_roles:
            who = "owners" if role in (Role.OWNER.value, Role.MANAGER.value) else "owners and managers"
            raise Forbidden(f"only {who} can add, change or remove a member whose role is or becomes {role}")


def ensure_not_last_owner(db: DbSession, membership: ProjectUser) -> None:
    if membership.role != Role.OWNER.value:
        return
    owners = db.scalar(select(func.count()).select_from(ProjectUser).where(
        ProjectUser.project_id == membership.project_id, ProjectUser.role == Role.OWNER.value))
    if owners is not None and owners <= 1:
        raise Conflict("the last owner of a project cannot be removed or demoted")


def add_member(db: DbSession, access: ProjectAccess, user_id: int, role: str) -> ProjectUser:
    _require_manages(access, role)
    if db.get(User, user_id) is None:
        raise ValidationError(f"no such user (id {user_id})", field="user_id")
    if db.scalar(select(ProjectUser.id).where(ProjectUser.project_id == access.project.id,
                                              ProjectUser.user_id == user_id)) is not None:
        raise Conflict("user is already a member of this project")
    membership = ProjectUser(project_id=access.project.id, user_id=user_id, role=role)
    db.add(membership)
    activity.record(db, access.user, access.project.id, "user", user_id, str(user_id), activity.CREATED,
                    f"User ID {user_id} added to team")
    return membership


def change_role(db: DbSession, access: ProjectAccess, user_id: int, role: str) -> None:
    membership = get_membership(db, access.project.id, user_id)
    _require_manages(access, membership.role, role)
    if membership.role == Role.OWNER.value and role != Role.OWNER.value:
        ensure_not_last_owner(db, membership)
    membership.role = role
    activity.record(db, access.user, access.project.id, "user", user_id, str(user_id), activity.UPDATED,
                    f"Changed role for User ID {user_id}")


def remove_member(db: DbSession, access: ProjectAccess, user_id: int) -> None:
    membership = get_membership(db, access.project.id, user_id)
    _require_manages(access, membership.role)
    ensure_not_last_owner(db, membership)
    db.delete(membership)
    activity.record(db, access.user, access.project.id, "user", user_id, str(user_id), activity.DELETED,
                    f"User ID {user_id} removed from team")
