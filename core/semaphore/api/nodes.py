"""The server processes on the database (/api/nodes), for admins: their heartbeats and running
tasks, and draining one (it takes no new task, finishes its running ones, then says it is drained)."""

from __future__ import annotations

from typing import Any

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import admin_only
from semaphore.schemas.nodes import NodeDrainSchema, NodeSchema
from semaphore.services import nodes

blp = Blueprint("nodes", __name__, url_prefix="/api/nodes",
                description="The server processes (nodes) on the database: heartbeats, drain (admins only)")


@blp.route("", methods=["GET"])
@blp.response(200, NodeSchema(many=True))
@admin_only
def list_nodes():  # type: ignore[no-untyped-def]
    """Every node the database remembers (a day after it was last seen), live ones first."""
    return nodes.list_nodes(context.db())


@blp.route("/<string:node_id>/drain", methods=["POST"])
@blp.arguments(NodeDrainSchema)
@blp.response(204)
@admin_only
def drain(body: dict[str, Any], node_id: str) -> None:
    """Drain the node (``true``) or resume it (``false``); it notices within a second."""
    db = context.db()
    nodes.set_draining(db, context.user(), nodes.get_node(db, node_id), body["draining"])
