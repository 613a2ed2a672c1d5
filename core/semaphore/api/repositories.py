"""Repositories (/api/project/{id}/repositories)."""

from __future__ import annotations

from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.schemas.repositories import RepositorySchema, RepositoryWriteSchema
from semaphore.services.repositories import REPOSITORIES

blp = Blueprint("repositories", __name__, url_prefix="/api/project/<int:project_id>/repositories",
                description="Git repositories that hold playbooks, scripts and file inventories")

add_resource_routes(blp, REPOSITORIES, RepositorySchema, RepositoryWriteSchema, "repository_id")
