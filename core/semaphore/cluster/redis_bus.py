"""The cluster bus over Redis pub/sub (``ha.enabled`` with ``ha.redis.*``): what nodes on
MySQL/MariaDB use, which have no LISTEN/NOTIFY.

A listener thread subscribes to one channel and hands each message to the handlers; it
reconnects with a growing pause when Redis goes away. Every call has a socket timeout, so a Redis
that hangs never hangs a request: ``publish`` gives up after :data:`SOCKET_TIMEOUT` seconds.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import redis

from semaphore.cluster.bus import Envelopes, Handler, OutageLog

if TYPE_CHECKING:
    from semaphore.config import HaRedisConfig

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "semaphore:cluster:"
SOCKET_TIMEOUT = 2.0
RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)  # the last repeats


def redis_client(settings: HaRedisConfig) -> redis.Redis:
    host, _, port = settings.addr.rpartition(":")
    return redis.Redis(host=host or settings.addr, port=int(port) if host else 6379, db=settings.db,
                       username=settings.user or None, password=settings.password or None,
                       ssl=settings.tls, ssl_cert_reqs="none" if settings.tls_skip_verify else "required",
                       socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT)


class RedisBus:
    """``cluster_id`` names the nodes of one database (semaphore.cluster.choose.cluster_id): the
    channel is theirs, so clusters sharing a Redis never hear each other (pub/sub channels span
    Redis's numbered databases, and one cluster's task 42 is another task in another)."""

    def __init__(self, settings: HaRedisConfig, node_id: str, cluster_id: str) -> None:
        self.node_id = node_id
        self.channel = CHANNEL_PREFIX + cluster_id
        self._client = redis_client(settings)
        self._envelopes = Envelopes(node_id)
        self._outage = OutageLog(f"Redis at {settings.addr}")
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._listen_loop, name="cluster-bus", daemon=True)

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._envelopes.subscribe(topic, handler)

    def start(self) -> None:
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener is subscribed (tests)."""
        return self._listening.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._client.close()

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        try:
            self._client.publish(self.channel, self._envelopes.encode(topic, message))
        except (redis.RedisError, OSError) as exc:
            self._outage.failed("publishing", exc)

    def _listen_loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self._listening.set()
                self._outage.worked()
                failures = 0
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._envelopes.deliver(message["data"])
            except (redis.RedisError, OSError) as exc:
                self._listening.clear()
                self._outage.failed("listening", exc)
                self._stop.wait(RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)])
                failures += 1
            finally:
                pubsub.close()
