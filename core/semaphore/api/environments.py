"""Environments (/api/project/{id}/environment: singular, as in the original)."""

from __future__ import annotations

from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.schemas.environments import EnvironmentSchema, EnvironmentWriteSchema
from semaphore.services.environments import ENVIRONMENTS

blp = Blueprint("environments", __name__, url_prefix="/api/project/<int:project_id>/environment",
                description="Variable groups: extra variables, environment variables and write-only secrets")

add_resource_routes(blp, ENVIRONMENTS, EnvironmentSchema, EnvironmentWriteSchema, "environment_id")
