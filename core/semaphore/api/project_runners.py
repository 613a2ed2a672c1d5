"""A project's own runners (/api/project/{id}/runners), for its owners and managers: they run
only that project's tasks."""

from __future__ import annotations

from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.api.runner_routes import add_runner_routes
from semaphore.roles import Permission

blp = Blueprint("project_runners", __name__, url_prefix="/api/project/<int:project_id>/runners",
                description="A project's runners (owners and managers): status, registration tokens, enable, remove")

add_runner_routes(blp, project_endpoint(Permission.MANAGE_RESOURCES), lambda: access().user)
