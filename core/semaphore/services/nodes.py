"""The server processes (nodes) as admins see and drain them: /api/nodes and the admin page.
What a node is and how it lives: :mod:`semaphore.cluster.nodes`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as DbSession

from semaphore.cluster import nodes
from semaphore.db.models import Node, User
from semaphore.db.types import utcnow
from semaphore.errors import NotFound
from semaphore.services import activity

NODE_FIELDS = ("id", "host", "pid", "version", "started", "heartbeat", "draining", "drained", "stopped")


def present(db: DbSession, rows: list[Node]) -> list[dict[str, Any]]:
    counts = nodes.running_counts(db, [row.id for row in rows])
    now = utcnow()
    return [{**{name: getattr(row, name) for name in NODE_FIELDS}, "online": nodes.is_online(row, now),
             "running_tasks": counts.get(row.id, 0)} for row in rows]


def list_nodes(db: DbSession) -> list[dict[str, Any]]:
    return present(db, nodes.list_nodes(db))


def get_node(db: DbSession, node_id: str) -> Node:
    node = db.get(Node, node_id)
    if node is None:
        raise NotFound("node not found")
    return node


def set_draining(db: DbSession, user: User, node: Node, draining: bool) -> None:
    """Drain (the node takes no new task, finishes its running ones, then says it is drained) or resume."""
    activity.record(db, user, None, "node", None, node.id, activity.UPDATED,
                    f"Node {node.id} {'draining' if draining else 'resumed'}")
    nodes.set_draining(db, node, draining)
