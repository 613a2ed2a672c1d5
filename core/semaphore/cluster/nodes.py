"""The node table: the life of each server process (node) on the database.

A node registers its row when its task engine starts, renews ``heartbeat`` every
``HEARTBEAT_SECONDS`` from the engine's monitor and marks ``stopped`` at a clean stop. A node is
**dead** when it stopped or its heartbeat is older than ``NODE_TIMEOUT_SECONDS`` (four missed
heartbeats: a busy database or a long garbage collection is no death); the tasks it ran are then
finished by the live nodes (engine/recovery.py). Heartbeats are written with each node's clock,
so the nodes' clocks must agree (NTP) to well within the timeout.

An admin may set a node **draining** (``POST /api/nodes/{id}/drain``): its engine claims nothing
new, finishes its running tasks, and with the first heartbeat after the last one ended sets
``drained`` and says so in its log. Resuming clears both. A (re)start is a new life: it clears
``draining``, ``drained`` and ``stopped``. Rows of nodes gone for ``FORGET_AFTER`` are deleted.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Node, Task
from semaphore.db.types import utcnow
from semaphore.services.task_status import ACTIVE_VALUES
from semaphore.version import __version__

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
NODE_TIMEOUT_SECONDS = 20
FORGET_AFTER = timedelta(days=1)


def register(db: DbSession, node_id: str) -> None:
    """Write this node's row at start (a node restarted with the same ``ha.node_id`` starts anew)."""
    now = utcnow()
    row = db.get(Node, node_id) or Node(id=node_id)
    row.host, row.pid, row.version = socket.gethostname()[:255], os.getpid(), __version__
    row.started = row.heartbeat = now
    row.draining, row.drained, row.stopped = False, None, None
    db.add(row)
    db.execute(delete(Node).where(Node.heartbeat < now - FORGET_AFTER))
    db.commit()
    log.info("node %s registered", node_id)


def beat(db: DbSession, node_id: str) -> None:
    """Renew the heartbeat; a draining node whose last task ended says it is drained."""
    renewed = db.execute(update(Node).where(Node.id == node_id).values(heartbeat=utcnow()))
    if not renewed.rowcount:  # type: ignore[attr-defined]
        db.rollback()
        register(db, node_id)  # its row was deleted (forgotten while this node was frozen)
        return
    row = db.get(Node, node_id)
    if row is not None and row.draining and row.drained is None and not running_count(db, node_id):
        row.drained = utcnow()
        log.info("node %s drained: it runs no task and takes no new ones until resumed", node_id)
    db.commit()


def is_draining(db: DbSession, node_id: str) -> bool:
    return bool(db.scalar(select(Node.draining).where(Node.id == node_id)))


def mark_stopped(db: DbSession, node_id: str) -> None:
    """A clean stop: the node is dead at once for the others (its unfinished tasks are theirs to end)."""
    db.execute(update(Node).where(Node.id == node_id).values(stopped=utcnow()))
    db.commit()


def set_draining(db: DbSession, node: Node, draining: bool) -> None:
    if node.draining != draining:
        node.draining, node.drained = draining, None
    db.commit()


def alive_ids(db: DbSession, node_ids: set[str]) -> set[str]:
    """Which of ``node_ids`` are alive: not stopped, heartbeat within the node timeout."""
    if not node_ids:
        return set()
    return set(db.scalars(select(Node.id).where(Node.id.in_(node_ids), Node.stopped.is_(None),
                                                Node.heartbeat >= utcnow() - node_timeout())))


def is_online(node: Node, now: datetime | None = None) -> bool:
    return node.stopped is None and node.heartbeat >= (now or utcnow()) - node_timeout()


def node_timeout() -> timedelta:
    return timedelta(seconds=NODE_TIMEOUT_SECONDS)


def running_count(db: DbSession, node_id: str) -> int:
    return running_counts(db, [node_id]).get(node_id, 0)


def running_counts(db: DbSession, node_ids: list[str]) -> dict[str, int]:
    """Unfinished tasks claimed by each node."""
    if not node_ids:
        return {}
    rows = db.execute(select(Task.claimed_by, func.count()).where(
        Task.claimed_by.in_(node_ids), Task.status.in_(ACTIVE_VALUES)).group_by(Task.claimed_by))
    return {node_id: int(count) for node_id, count in rows if node_id is not None}


def list_nodes(db: DbSession) -> list[Node]:
    """Every node the table remembers, live ones first, newest first."""
    return list(db.scalars(select(Node).order_by(or_(Node.stopped.is_not(None),
                                                     Node.heartbeat < utcnow() - node_timeout()),
                                                 Node.started.desc(), Node.id)))
