"""Inventories of a project: static (INI or YAML), a file in a repository, or a Terraform/OpenTofu
workspace name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Inventory, Repository, Template
from semaphore.errors import ValidationError
from semaphore.inventory_formats import check_inventory
from semaphore.services.access import ProjectAccess
from semaphore.services.key_refs import require_key
from semaphore.services.resources import ProjectResource, RefSpec, require_in_project

if TYPE_CHECKING:
    from semaphore.interfaces import Executor
    from semaphore.state import AppState

FIELDS = ("name", "type", "inventory", "ssh_key_id", "become_key_id", "repository_id", "holder_id")


class Inventories(ProjectResource[Inventory]):
    model = Inventory
    object_type = "inventory"
    label = "Inventory"
    sort_columns = {"name": "name", "type": "type"}
    refs = (RefSpec("templates", Template.inventory_id, Template.name),)

    def validate(self, db: DbSession, state: AppState, project_id: int,
                 data: dict[str, Any], existing: Inventory | None) -> None:
        data["inventory"] = data.get("inventory") or ""
        check_inventory(data["type"], data["inventory"])
        require_key(db, data.get("ssh_key_id"), project_id, "ssh_key_id")
        # The become password is handed to --ask-become-pass: only a login/password pair has one.
        require_key(db, data.get("become_key_id"), project_id, "become_key_id", types=("login_password",))
        require_in_project(db, Repository, data.get("repository_id"), project_id, "repository_id")
        require_in_project(db, Template, data.get("holder_id"), project_id, "holder_id")

    def apply(self, db: DbSession, state: AppState, row: Inventory,
              data: dict[str, Any], access: ProjectAccess) -> None:
        for name in FIELDS:
            setattr(row, name, data.get(name))


INVENTORIES = Inventories()


def require_inventory_type(db: DbSession, executor: Executor, inventory_id: int | None, field: str) -> None:
    """The inventory must be of a type the template's app takes (apps that take none accept any)."""
    if inventory_id is None or not executor.inventory_types:
        return
    inventory = db.get(Inventory, inventory_id)
    if inventory is not None and inventory.type not in executor.inventory_types:
        raise ValidationError(f"app {executor.app_id!r} cannot use a {inventory.type!r} inventory "
                              f"(it takes: {', '.join(executor.inventory_types)})", field=field)
