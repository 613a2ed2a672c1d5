"""The key store (/api/project/{id}/keys)."""

from __future__ import annotations

from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.schemas.keys import AccessKeySchema, AccessKeyWriteSchema
from semaphore.services.keys import KEYS

blp = Blueprint("keys", __name__, url_prefix="/api/project/<int:project_id>/keys",
                description="Access keys: SSH keys and login/password pairs, stored encrypted and never returned")

add_resource_routes(blp, KEYS, AccessKeySchema, AccessKeyWriteSchema, "key_id")
