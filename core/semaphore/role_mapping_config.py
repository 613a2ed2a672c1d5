"""Role mappings as an operator configures them: the JSON array of ``ldap_role_mappings`` or an
OpenID provider's ``role_mappings``, parsed into :class:`RoleMapping` values. Pure rules, no
database: configuration and the plugin front door read them; the service that applies them to a
user at login is :mod:`semaphore.services.role_mappings`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from semaphore.errors import ConfigError
from semaphore.roles import ROLES

MAPPING_KEYS = {"group", "admin", "project", "project_id", "role"}


@dataclass(frozen=True)
class RoleMapping:
    """Members of ``group`` are admins (``admin``) and/or have ``role`` in one project, named by
    ``project_id`` or by its ``project`` name."""

    group: str
    admin: bool = False
    project_id: int | None = None
    project: str | None = None
    role: str | None = None

    @property
    def names_project(self) -> bool:
        return self.project_id is not None or self.project is not None


def parse_role_mappings(value: Any, where: str) -> tuple[RoleMapping, ...]:
    """Config (a JSON array of objects) to mappings; a ConfigError names ``where`` and the entry."""
    if value in (None, ""):
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where}: must be a JSON array of objects")
    return tuple(_parse_one(entry, f"{where}[{index}]") for index, entry in enumerate(value))


def _parse_one(entry: Any, where: str) -> RoleMapping:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: must be a JSON object")
    unknown = sorted(set(entry) - MAPPING_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(MAPPING_KEYS))})")
    group = entry.get("group")
    if not isinstance(group, str) or not group.strip():
        raise ConfigError(f"{where}.group: required, the group's name or DN")
    admin = entry.get("admin", False)
    if not isinstance(admin, bool):
        raise ConfigError(f"{where}.admin: must be true or false")
    project_id, project, role = entry.get("project_id"), entry.get("project"), entry.get("role")
    if project_id is not None and (isinstance(project_id, bool) or not isinstance(project_id, int)):
        raise ConfigError(f"{where}.project_id: must be a project id (a whole number)")
    if project is not None and (not isinstance(project, str) or not project.strip()):
        raise ConfigError(f"{where}.project: must be a project name")
    if project_id is not None and project is not None:
        raise ConfigError(f"{where}: give project_id or project, not both")
    names_project = project_id is not None or project is not None
    if names_project and role not in ROLES:
        raise ConfigError(f"{where}.role: must be one of {', '.join(ROLES)}")
    if role is not None and not names_project:
        raise ConfigError(f"{where}.role: needs the project (project_id or project) it applies to")
    if not admin and not names_project:
        raise ConfigError(f"{where}: grants nothing; set admin, or a project and role")
    return RoleMapping(group=group.strip(), admin=admin, project_id=project_id,
                       project=project.strip() if project else None, role=role)
