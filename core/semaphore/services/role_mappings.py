"""Directory groups (LDAP) and identity-provider claims (OIDC) that grant admin or project roles.

A login method that is configured with role mappings hands the user's groups to the core with its
identity; on every login the mappings then decide, for that external user:

* ``admin``, when at least one mapping grants admin (a user in none of those groups loses it);
* the role in every project some mapping names: the highest role among the user's matching
  mappings, or no membership when none matches. Projects no mapping names are left alone, so
  memberships added by hand in other projects stay.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Project, ProjectUser, User
from semaphore.role_mapping_config import RoleMapping
from semaphore.roles import Role

log = logging.getLogger(__name__)

#: Strongest first: when several mappings name one project, the first of these wins.
ROLE_STRENGTH = (Role.OWNER.value, Role.MANAGER.value, Role.TASK_RUNNER.value, Role.GUEST.value)


def apply_role_mappings(db: DbSession, user: User, groups: Iterable[str],
                        mappings: Sequence[RoleMapping]) -> None:
    """Make ``user``'s admin flag and mapped project roles what ``groups`` grant (see module doc)."""
    member_of = {group.strip().lower() for group in groups}
    matching = [m for m in mappings if m.group.lower() in member_of]
    if any(m.admin for m in mappings):
        user.admin = any(m.admin for m in matching)
    wanted: dict[int, str | None] = {}
    for mapping in (m for m in mappings if m.names_project):
        project_id = _project_id(db, mapping)
        if project_id is None:
            continue
        wanted.setdefault(project_id, None)
        if mapping in matching:
            wanted[project_id] = _stronger(wanted[project_id], mapping.role)
    for project_id, role in wanted.items():
        _set_membership(db, user, project_id, role)


def _project_id(db: DbSession, mapping: RoleMapping) -> int | None:
    if mapping.project_id is not None:
        found = db.get(Project, mapping.project_id)
        if found is None:
            log.warning("role mapping for group %r: no project with id %s", mapping.group, mapping.project_id)
        return found.id if found else None
    ids = db.scalars(select(Project.id).where(Project.name == mapping.project)).all()
    if len(ids) != 1:
        log.warning("role mapping for group %r: %s project named %r; use project_id", mapping.group,
                    "no" if not ids else "more than one", mapping.project)
        return None
    return ids[0]


def _stronger(current: str | None, role: str | None) -> str | None:
    candidates = [r for r in (current, role) if r is not None]
    return min(candidates, key=ROLE_STRENGTH.index) if candidates else None


def _set_membership(db: DbSession, user: User, project_id: int, role: str | None) -> None:
    membership = db.scalar(select(ProjectUser).where(ProjectUser.project_id == project_id,
                                                     ProjectUser.user_id == user.id))
    if role is None:
        if membership is not None:
            db.delete(membership)
    elif membership is None:
        db.add(ProjectUser(project_id=project_id, user_id=user.id, role=role))
    else:
        membership.role = role
