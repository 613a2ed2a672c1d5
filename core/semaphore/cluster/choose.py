"""Which cluster bus a node uses: Redis when ``ha.enabled`` (with ``ha.redis.addr``), else
PostgreSQL's LISTEN/NOTIFY on PostgreSQL, else none (SQLite is single-node; MySQL without Redis
runs one node, or several that find each other's work by polling the database)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from semaphore.cluster.bus import ClusterBus, LocalBus
from semaphore.db.models import Option

if TYPE_CHECKING:
    from semaphore.config import Config
    from semaphore.db.engine import Database

CLUSTER_ID_OPTION = "cluster.id"


def make_bus(config: Config, db: Database, node_id: str) -> ClusterBus:
    if config.db_dialect == "sqlite":
        return LocalBus(node_id)
    if config.ha.enabled and config.ha.redis.addr:
        from semaphore.cluster.redis_bus import RedisBus  # redis is needed only here

        return RedisBus(config.ha.redis, node_id, cluster_id(db))
    if config.db_dialect == "postgres":
        from semaphore.cluster.postgres_bus import PostgresBus

        return PostgresBus(db, node_id)
    return LocalBus(node_id)


def cluster_id(db: Database) -> str:
    """The id of the nodes of this database, made by the first node that asks: nodes on one
    database share it whatever their URLs look like, and other databases' nodes never do."""
    for _attempt in range(2):
        with db.session() as session:
            found = session.get(Option, CLUSTER_ID_OPTION)
            if found is not None:
                return found.value
            session.add(Option(key=CLUSTER_ID_OPTION, value=secrets.token_hex(16)))
            try:
                session.commit()
            except IntegrityError:  # another node made it first: read theirs
                session.rollback()
    raise RuntimeError("the cluster id could not be stored")
