"""The run's inventory: read from the database as an :class:`InventorySpec`, then static
inventories written to the private directory, file inventories found inside a checkout,
Terraform/OpenTofu workspaces passed by name."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from semaphore.db.models import Inventory
from semaphore.engine.job_spec import InventorySpec
from semaphore.engine.private_files import KeyFiles, write_private_file
from semaphore.engine.run_keys import RunKeys, RunPreparationError
from semaphore.execution import Credentials, InventoryFile

#: The file a static inventory is written to. No extension for "static": Ansible then tries its
#: YAML and INI parsers both (a static inventory may be either).
STATIC_FILES = {"static": "inventory", "static-yaml": "inventory.yml"}
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


def inventory_spec(inventory: Inventory, keys: RunKeys, in_own_repository: bool) -> InventorySpec:
    """The inventory and its keys as data; a file inventory's path must be relative."""
    label = inventory.name
    text = inventory.inventory or ""
    spec = InventorySpec(type=inventory.type, label=label, text=text,
                         ssh=keys.key(inventory.ssh_key_id, f"the ssh key of inventory {label!r}"),
                         become=keys.key(inventory.become_key_id, f"the become key of inventory {label!r}"))
    if inventory.type == "file":
        return replace(spec, text="", path_in_repository=relative_path(text, label),
                       in_own_repository=in_own_repository)
    if inventory.type in WORKSPACE_TYPES:
        return replace(spec, text=text.strip() or DEFAULT_WORKSPACE)
    if inventory.type not in STATIC_FILES:
        raise RunPreparationError(f"inventory {label!r} has an unknown type {inventory.type!r}")
    return spec


def plan_inventory(spec: InventorySpec, key_files: KeyFiles) -> PlannedInventory:
    """Writes the keys and a static inventory to the private directory."""
    label = spec.label
    ssh, become = key_files.given(spec.ssh), key_files.given(spec.become)
    if spec.type in STATIC_FILES:
        path = write_private_file(key_files.private_dir, STATIC_FILES[spec.type], spec.text)
        return PlannedInventory(type=spec.type, label=label, path=path, ssh=ssh, become=become)
    if spec.type == "file":
        return PlannedInventory(type=spec.type, label=label, ssh=ssh, become=become,
                                path_in_repository=relative_path(spec.path_in_repository or "", label),
                                in_own_repository=spec.in_own_repository)
    if spec.type in WORKSPACE_TYPES:
        return PlannedInventory(type=spec.type, label=label, name=spec.text, ssh=ssh, become=become)
    raise RunPreparationError(f"inventory {label!r} has an unknown type {spec.type!r}")


def relative_path(text: str, label: str) -> str:
    if not text.strip():
        raise RunPreparationError(f"inventory {label!r}: no file path is set")
    if PurePosixPath(text).is_absolute() or Path(text).is_absolute():
        raise RunPreparationError(f"inventory {label!r}: the file path {text!r} must be relative to the repository")
    return text


def file_in_checkout(root: Path, relative: str, label: str) -> Path:
    """``relative`` inside ``root``, refusing a path that leaves it by ``..`` or through a symlink."""
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise RunPreparationError(f"inventory {label!r}: the file path {relative!r} leads outside the repository")
    if not target.exists():
        raise RunPreparationError(f"inventory {label!r}: {relative!r} does not exist in the repository")
    return target
