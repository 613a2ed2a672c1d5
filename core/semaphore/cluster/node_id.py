"""A node's id: ``ha.node_id`` when set, else the host name and a random part; each worker of
`semaphore server --workers N` adds its number."""

from __future__ import annotations

import re
import secrets
import socket

MAX_LENGTH = 64  # the node table's id column


def new_node_id(configured: str = "", worker: int | None = None) -> str:
    base = configured or f"{_host_part()}-{secrets.token_hex(3)}"
    node_id = base if worker is None else f"{base}-{worker}"
    return node_id[:MAX_LENGTH]


def _host_part() -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:40] or "node"
