"""Runners for system admins (/api/runners): every runner, global and project ones; runners added
here are global."""

from __future__ import annotations

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import admin_only
from semaphore.api.runner_routes import add_runner_routes

blp = Blueprint("runners", __name__, url_prefix="/api/runners",
                description="Remote runners (admins only): status, registration tokens, enable, disable, remove")

add_runner_routes(blp, admin_only, context.user)
