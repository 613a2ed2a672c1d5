"""Template apps (/api/apps): the installed executors and their settings. Admins change an app's
settings, stored as ``apps.<id>.<field>`` options as in the original."""

from __future__ import annotations

from typing import Any

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import admin_only
from semaphore.schemas.admin import AppActiveSchema, AppSchema, AppWriteSchema
from semaphore.services import apps
from semaphore.state import app_state

blp = Blueprint("apps", __name__, url_prefix="/api/apps",
                description="Template apps: installed executors and their settings (title, priority, path, args, ...)")


def _settings() -> dict[str, dict[str, Any]]:
    return apps.app_settings(context.db(), app_state().config)


@blp.route("", methods=["GET"])
@blp.response(200, AppSchema(many=True))
def list_apps():  # type: ignore[no-untyped-def]
    """Every registered executor and every app with settings (config file or stored options),
    highest priority first. An app without an installed executor has ``installed: false`` and is
    never ``active``."""
    return apps.list_apps(_settings(), app_state().registry)


@blp.route("/<string:app_id>", methods=["GET"])
@blp.response(200, AppSchema)
@admin_only
def get_app(app_id: str):  # type: ignore[no-untyped-def]
    """One app (404 for an id with neither an executor nor settings)."""
    return apps.get_app(_settings(), app_state().registry, apps.require_app_id(app_id))


@blp.route("/<string:app_id>", methods=["PUT", "POST"])
@blp.arguments(AppWriteSchema)
@blp.response(204)
@admin_only
def save_app(body: dict[str, Any], app_id: str) -> None:
    """Store the app's settings, each as the option ``apps.<id>.<field>``; a field that is absent,
    null, "" or [] goes back to the executor's or the config file's value. An app whose executor is
    not installed may be given settings; it stays ``installed: false`` and cannot run tasks."""
    apps.save_app(context.db(), app_id, body)


@blp.route("/<string:app_id>/active", methods=["POST"])
@blp.arguments(AppActiveSchema)
@blp.response(204)
@admin_only
def set_active(body: dict[str, Any], app_id: str) -> None:
    """Switch the app on or off for new templates (option ``apps.<id>.active``)."""
    apps.save_app(context.db(), app_id, {"active": body["active"]})


@blp.route("/<string:app_id>", methods=["DELETE"])
@blp.response(204)
@admin_only
def delete_app(app_id: str) -> None:
    """Remove the app's stored settings (``apps.<id>`` and ``apps.<id>.*`` options)."""
    apps.delete_app(context.db(), app_id)
