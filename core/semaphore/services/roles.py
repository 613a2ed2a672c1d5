"""Project roles and what each may do (the original's four roles and permission bits)."""

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
    Role.MANAGER: Permission.RUN_TASKS | Permission.MANAGE_RESOURCES,
    Role.TASK_RUNNER: Permission.RUN_TASKS,
    Role.GUEST: Permission.NONE,
}

ROLES = tuple(role.value for role in Role)


def permissions_of(role: str) -> Permission:
    return ROLE_PERMISSIONS.get(Role(role), Permission.NONE) if role in ROLES else Permission.NONE
