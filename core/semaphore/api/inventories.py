"""Inventories (/api/project/{id}/inventory: singular, as in the original)."""

from __future__ import annotations

from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.schemas.inventories import InventorySchema, InventoryWriteSchema
from semaphore.services.inventories import INVENTORIES

blp = Blueprint("inventories", __name__, url_prefix="/api/project/<int:project_id>/inventory",
                description="Inventories: static INI or YAML, a file in a repository, or a Terraform workspace")

add_resource_routes(blp, INVENTORIES, InventorySchema, InventoryWriteSchema, "inventory_id")
