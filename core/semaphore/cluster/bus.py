"""The cluster bus: messages between the server processes (nodes) on one database.

The database stays the truth; the bus only makes things fast. A task queued on one node wakes
every node's engine at once instead of at its next poll, a stop reaches the node that runs the task
at once instead of at its monitor's next look, and log lines and task updates reach websocket
viewers connected to any node. A message the bus loses delays one of these by a poll; it never
loses or repeats a task, a line or an alert, because each of them is in the database first.

Every backend has the same small interface (:class:`ClusterBus`): ``publish`` never raises and
never blocks for long (a bus that is down is logged once, and the message dropped), handlers run
on the bus's own thread, and a node never hears its own messages. :class:`LocalBus` is the bus of
a single node: there is nobody to tell.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]


class ClusterBus(Protocol):
    node_id: str

    def publish(self, topic: str, message: dict[str, Any]) -> None: ...

    def subscribe(self, topic: str, handler: Handler) -> None: ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class LocalBus:
    """One node: messages have nobody to go to."""

    def __init__(self, node_id: str = "") -> None:
        self.node_id = node_id

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        pass

    def subscribe(self, topic: str, handler: Handler) -> None:
        pass

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class Envelopes:
    """What every backend shares: the wire form (``{"n": node, "t": topic, "m": message}``) and
    the handlers by topic, which never see this node's own messages."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    def encode(self, topic: str, message: dict[str, Any]) -> str:
        return json.dumps({"n": self.node_id, "t": topic, "m": message}, separators=(",", ":"))

    def deliver(self, raw: str | bytes) -> None:
        """Hand one received envelope to its topic's handlers (a bad one is logged and dropped)."""
        try:
            envelope = json.loads(raw)
            node, topic, message = envelope["n"], envelope["t"], envelope["m"]
        except (ValueError, KeyError, TypeError):
            log.warning("cluster bus: dropped a message that is no envelope of ours")
            return
        if node != self.node_id:
            self.dispatch(topic, message)

    def dispatch(self, topic: str, message: dict[str, Any]) -> None:
        for handler in self._handlers.get(topic, ()):
            try:
                handler(message)
            except Exception:  # one handler's bug must not stop the bus or the others
                log.exception("cluster bus: a handler of %r failed", topic)


class OutageLog:
    """Says once that the bus is down, and once that it is back."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.down = False

    def failed(self, what: str, exc: BaseException) -> None:
        if not self.down:
            log.warning("cluster bus (%s): %s failed: %s; nodes fall back to polling the database until it is back",
                        self.name, what, exc)
        self.down = True

    def worked(self) -> None:
        if self.down:
            log.info("cluster bus (%s) is back", self.name)
        self.down = False
