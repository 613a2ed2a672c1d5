"""The run's inventory: static inventories written to the private directory, file inventories
found inside a checkout, Terraform/OpenTofu workspaces passed by name."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from semaphore.db.models import Inventory
from semaphore.engine.run_keys import RunKeys, RunPreparationError, write_private_file
from semaphore.execution import Credentials, InventoryFile

#: No extension: Ansible then tries its YAML and INI parsers both (a static inventory may be either).
STATIC_FILE = "inventory"
YAML_FILE = "inventory.yml"
WORKSPACE_TYPES = ("terraform-workspace", "tofu-workspace")
DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True)
class PlannedInventory:
    """The inventory as far as it is known before the checkout."""

    type: str
    label: str  # the inventory's name, for messages
    path: Path | None = None  # static inventories: the file written in the private directory
    name: str = ""  # workspaces: the workspace name
    path_in_repository: str | None = None  # file inventories
    in_own_repository: bool = False  # the file lies in the inventory's repository, not the template's
    ssh: Credentials | None = None
    become: Credentials | None = None

    def resolve(self, checkout: Path, inventory_checkout: Path | None = None) -> InventoryFile:
        path = self.path
        if self.path_in_repository is not None:
            root = checkout
            if self.in_own_repository:
                if inventory_checkout is None:
                    raise RunPreparationError(f"inventory {self.label!r}: its repository was not checked out")
                root = inventory_checkout
            path = file_in_checkout(root, self.path_in_repository, self.label)
        return InventoryFile(type=self.type, path=path, name=self.name, ssh=self.ssh, become=self.become)


def plan_inventory(inventory: Inventory, keys: RunKeys, in_own_repository: bool) -> PlannedInventory:
    """Reads the inventory's keys and writes a static inventory to the private directory."""
    label = inventory.name
    ssh = _given(keys.credentials(inventory.ssh_key_id, f"the ssh key of inventory {label!r}"))
    become = _given(keys.credentials(inventory.become_key_id, f"the become key of inventory {label!r}"))
    text = inventory.inventory or ""
    base = PlannedInventory(type=inventory.type, label=label, ssh=ssh, become=become)
    if inventory.type == "static":
        return replace(base, path=write_private_file(keys.private_dir, STATIC_FILE, text))
    if inventory.type == "static-yaml":
        return replace(base, path=write_private_file(keys.private_dir, YAML_FILE, text))
    if inventory.type == "file":
        if not text.strip():
            raise RunPreparationError(f"inventory {label!r}: no file path is set")
        if PurePosixPath(text).is_absolute() or Path(text).is_absolute():
            raise RunPreparationError(f"inventory {label!r}: the file path {text!r} must be relative to the repository")
        return replace(base, path_in_repository=text, in_own_repository=in_own_repository)
    if inventory.type in WORKSPACE_TYPES:
        return replace(base, name=text.strip() or DEFAULT_WORKSPACE)
    raise RunPreparationError(f"inventory {label!r} has an unknown type {inventory.type!r}")


def file_in_checkout(root: Path, relative: str, label: str) -> Path:
    """``relative`` inside ``root``, refusing a path that leaves it by ``..`` or through a symlink."""
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise RunPreparationError(f"inventory {label!r}: the file path {relative!r} leads outside the repository")
    if not target.exists():
        raise RunPreparationError(f"inventory {label!r}: {relative!r} does not exist in the repository")
    return target


def _given(credentials: Credentials) -> Credentials | None:
    return None if credentials.type == "none" else credentials
