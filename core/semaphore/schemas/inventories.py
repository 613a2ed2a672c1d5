"""Inventories (/api/project/{id}/inventory)."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.inventory_formats import INVENTORY_TYPES
from semaphore.schemas.base import (
    RequestSchema,
    ResponseSchema,
    fits_text_column,
    name_field,
    optional_id,
    read_only_id,
)


class InventorySchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    project_id = fields.Integer()
    inventory = fields.String()
    type = fields.String()
    ssh_key_id = fields.Integer(allow_none=True)
    become_key_id = fields.Integer(allow_none=True)
    repository_id = fields.Integer(allow_none=True)
    holder_id = fields.Integer(allow_none=True)


class InventoryWriteSchema(RequestSchema):
    id = read_only_id()
    project_id = read_only_id()
    name = name_field()
    type = fields.String(required=True, validate=validate.OneOf(INVENTORY_TYPES))
    inventory = fields.String(load_default="", allow_none=True, validate=fits_text_column, metadata={
        "description": "static: INI text; static-yaml: YAML; file: path in the repository; "
                       "terraform-workspace/tofu-workspace: the workspace name"})
    ssh_key_id = optional_id(metadata={"description": "connection user's key"})
    become_key_id = optional_id(metadata={"description": "a login_password key"})
    repository_id = optional_id(
        metadata={"description": "the repository that holds a file inventory"})
    holder_id = optional_id(metadata={"description": "the template that owns it"})
