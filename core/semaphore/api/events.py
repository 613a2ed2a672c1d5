"""The activity log: /api/events (every project you are in) and /api/project/{id}/events.

Newest first. Page with ``?before=<id of the last event seen>&limit=<n>``.
"""

from __future__ import annotations

from typing import Any

from semaphore.api import context
from semaphore.api.access import project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.schemas.events import EventPageSchema, EventSchema
from semaphore.services.events import DEFAULT_LIMIT, LAST_LIMIT, list_events

blp = Blueprint("events", __name__, url_prefix="/api", description="Activity log")


def _events(page: dict[str, Any], default_limit: int, project_id: int | None = None) -> Any:
    return list_events(context.db(), context.user(), project_id=project_id, before=page.get("before"),
                       limit=page.get("limit", default_limit))


@blp.route("/events", methods=["GET"])
@blp.arguments(EventPageSchema, location="query")
@blp.response(200, EventSchema(many=True))
def events(page: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Events of the projects you are a member of (admins: all events, including user administration)."""
    return _events(page, DEFAULT_LIMIT)


@blp.route("/events/last", methods=["GET"])
@blp.arguments(EventPageSchema, location="query")
@blp.response(200, EventSchema(many=True))
def last_events(page: dict[str, Any]):  # type: ignore[no-untyped-def]
    """As /events, 200 by default."""
    return _events(page, LAST_LIMIT)


@blp.route("/project/<int:project_id>/events", methods=["GET"])
@project_endpoint()
@blp.arguments(EventPageSchema, location="query")
@blp.response(200, EventSchema(many=True))
def project_events(page: dict[str, Any], project_id: int):  # type: ignore[no-untyped-def]
    """Events of this project."""
    return _events(page, DEFAULT_LIMIT, project_id)


@blp.route("/project/<int:project_id>/events/last", methods=["GET"])
@project_endpoint()
@blp.arguments(EventPageSchema, location="query")
@blp.response(200, EventSchema(many=True))
def last_project_events(page: dict[str, Any], project_id: int):  # type: ignore[no-untyped-def]
    """As /project/{id}/events, 200 by default."""
    return _events(page, LAST_LIMIT, project_id)
