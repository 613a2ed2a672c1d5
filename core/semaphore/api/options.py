"""Stored options (/api/options): settings with dotted keys, for admins, as in the original."""

from __future__ import annotations

from typing import Any

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import admin_only
from semaphore.schemas.admin import OptionSchema, OptionWriteSchema
from semaphore.services import options

blp = Blueprint("options", __name__, url_prefix="/api/options",
                description="Stored options: dotted keys such as apps.ansible.active (admins only)")


@blp.route("", methods=["GET"])
@blp.response(200)
@blp.doc(responses={"200": {"description": "Every option, by key", "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": {"type": "string"}}}}}})
@admin_only
def list_options():  # type: ignore[no-untyped-def]
    """Every stored option as ``{key: value}``."""
    return options.all_options(context.db())


@blp.route("", methods=["POST"])
@blp.arguments(OptionWriteSchema)
@blp.response(200, OptionSchema)
@admin_only
def set_option(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Insert or update one option; answers it. Keys ``apps.<id>.<field>`` are app settings (see
    /api/apps); other keys are kept for clients of the original and change nothing here."""
    return options.set_option(context.db(), body["key"], body["value"])
