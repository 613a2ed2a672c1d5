"""Views (/api/project/{id}/views): tabs that group templates."""

from __future__ import annotations

from semaphore.api import context
from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.roles import Permission
from semaphore.schemas.templates import TemplateSchema
from semaphore.schemas.views import ViewPositionsSchema, ViewSchema, ViewWriteSchema
from semaphore.services.templates import TEMPLATES
from semaphore.services.views import VIEWS
from semaphore.state import app_state

blp = Blueprint("views", __name__, url_prefix="/api/project/<int:project_id>/views",
                description="Views: named tabs that group templates, ordered by position")

add_resource_routes(blp, VIEWS, ViewSchema, ViewWriteSchema, "view_id")


@blp.route("/positions", methods=["POST"], endpoint="positions")
@blp.arguments(ViewPositionsSchema)
@blp.response(204)
@project_endpoint(Permission.MANAGE_RESOURCES)
def set_positions(positions: dict[int, int], project_id: int) -> None:
    """Move several views at once: ``{"<view_id>": position, ...}``."""
    VIEWS.set_positions(context.db(), access(), positions)


@blp.route("/<int:view_id>/templates", methods=["GET"], endpoint="templates")
@blp.response(200, TemplateSchema(many=True))
@project_endpoint()
def view_templates(project_id: int, view_id: int):  # type: ignore[no-untyped-def]
    """The templates shown in this view."""
    db = context.db()
    return TEMPLATES.present(db, app_state(), VIEWS.templates(db, project_id, VIEWS.get(db, project_id, view_id)))
