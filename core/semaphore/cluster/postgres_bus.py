"""The cluster bus over PostgreSQL's LISTEN/NOTIFY: nothing else to run beside the database.

A listener thread holds one connection of its own (autocommit, ``LISTEN``) and hands each
notification to the handlers; it reconnects with a growing pause when the connection drops.
``publish`` sends ``pg_notify`` through the application's connection pool. NOTIFY carries at most
8000 bytes: a longer message is stored in ``cluster_message`` and only its id travels; rows older
than :data:`KEEP_MESSAGES` are pruned.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import delete, insert, text

from semaphore.cluster.bus import Envelopes, Handler, OutageLog
from semaphore.db.models import ClusterMessage
from semaphore.db.types import utcnow

if TYPE_CHECKING:
    from semaphore.db.engine import Database

log = logging.getLogger(__name__)

CHANNEL = "semaphore_cluster"
MAX_INLINE = 7_900  # bytes of a NOTIFY payload (PostgreSQL's limit is 8000)
KEEP_MESSAGES = timedelta(minutes=5)
PRUNE_EVERY = 60.0  # seconds
RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)  # the last repeats
CONNECT_TIMEOUT = 5


class PostgresBus:
    def __init__(self, db: Database, node_id: str) -> None:
        self.node_id = node_id
        self._db = db
        self._envelopes = Envelopes(node_id)
        self._outage = OutageLog("PostgreSQL LISTEN/NOTIFY")
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._listen_loop, name="cluster-bus", daemon=True)
        self._conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._envelopes.subscribe(topic, handler)

    def start(self) -> None:
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener is connected (tests)."""
        return self._listening.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        payload = self._envelopes.encode(topic, message)
        try:
            with self._db.engine.begin() as conn:
                if len(payload.encode()) > MAX_INLINE:
                    stored = insert(ClusterMessage).values(topic=topic, payload=payload, created=utcnow())
                    message_id = conn.scalar(stored.returning(ClusterMessage.id))
                    payload = json.dumps({"ref": message_id})
                conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})
        except Exception as exc:
            self._outage.failed("publishing", exc)

    # -- the listener --------------------------------------------------------------------------

    def _listen_loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    self._outage.worked()
                    failures = 0
                    next_prune = 0.0
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self._receive(notify.payload)
                        if time.monotonic() >= next_prune:
                            self._prune()
                            next_prune = time.monotonic() + PRUNE_EVERY
            except Exception as exc:
                self._listening.clear()
                self._outage.failed("listening", exc)
                self._stop.wait(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)])
                failures += 1

    def _receive(self, payload: str) -> None:
        if payload.startswith('{"ref":'):
            payload = self._stored(json.loads(payload)["ref"]) or ""
            if not payload:
                return
        self._envelopes.deliver(payload)

    def _stored(self, message_id: int) -> str | None:
        with self._db.engine.connect() as conn:
            found = conn.execute(text("SELECT payload FROM cluster_message WHERE id = :id"), {"id": message_id}).first()
        if found is None:
            log.warning("cluster bus: message %s is gone before it was read", message_id)
        return None if found is None else str(found[0])

    def _prune(self) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(delete(ClusterMessage).where(ClusterMessage.created < utcnow() - KEEP_MESSAGES))
