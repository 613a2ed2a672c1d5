"""Project roles and what each may do (the original's four roles and permission bits), and whom each
may manage in the team (as the original's documentation describes)."""

from __future__ import annotations

from enum import IntFlag, StrEnum


class Permission(IntFlag):
    NONE = 0
    RUN_TASKS = 1
    UPDATE_PROJECT = 2
    MANAGE_RESOURCES = 4
    MANAGE_USERS = 8


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    TASK_RUNNER = "task_runner"
    GUEST = "guest"


ROLE_PERMISSIONS: dict[Role, Permission] = {
    Role.OWNER: (Permission.RUN_TASKS | Permission.UPDATE_PROJECT | Permission.MANAGE_RESOURCES
                 | Permission.MANAGE_USERS),
    # Managers manage part of the team (MANAGED_ROLES), so they have the bit the team routes need.
    Role.MANAGER: Permission.RUN_TASKS | Permission.MANAGE_RESOURCES | Permission.MANAGE_USERS,
    Role.TASK_RUNNER: Permission.RUN_TASKS,
    Role.GUEST: Permission.NONE,
}

ROLES = tuple(role.value for role in Role)

# The roles each role may give, change from or to, and take away: owners manage everyone, managers
# task runners and guests (not managers or owners), the others nobody.
MANAGED_ROLES: dict[Role, frozenset[str]] = {
    Role.OWNER: frozenset(ROLES),
    Role.MANAGER: frozenset({Role.TASK_RUNNER.value, Role.GUEST.value}),
    Role.TASK_RUNNER: frozenset(),
    Role.GUEST: frozenset(),
}


def permissions_of(role: str) -> Permission:
    return ROLE_PERMISSIONS.get(Role(role), Permission.NONE) if role in ROLES else Permission.NONE
