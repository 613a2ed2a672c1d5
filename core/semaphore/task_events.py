"""The in-process channel of task events: what happened to a task, told to whoever listens.

Publishers (:func:`semaphore.services.tasks.enqueue`, the status transition, a stop request) never
know their listeners; the websocket hub, the ``task_status_changed`` hook, deploy autoruns and the
task engine subscribe. This is the seam where a cluster bus (several servers) and remote runners plug in.

An event is published after its change was committed, and delivered synchronously, one listener
at a time in the order they subscribed; a failing listener is logged and never stops the others
or the publisher.

With several server processes, the cluster bus brings the events of the other nodes
(:mod:`semaphore.cluster.task_bridge`): :meth:`TaskEvents.publish_remote` delivers them only to
the listeners that subscribed with ``remote=True`` — those that act for this node (its websocket
viewers, its engine). The others (alerts, autorun deploys, the status hook) hear each event once,
on the node where it happened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskQueued:
    """A task was queued (status ``waiting``) and committed."""

    task: Any  # semaphore.db.models.Task


@dataclass(frozen=True)
class TaskStatusChanged:
    """The status transition moved a task from ``old`` to ``new`` and committed it."""

    task: Any  # semaphore.db.models.Task
    old: str
    new: str


@dataclass(frozen=True)
class TaskStopRequested:
    """Someone asked to stop a task, and its new status (``stopping``, or ``stopped`` at once) was
    committed. Whoever runs the task ends its process: after the grace period, or with ``force``
    at once (asked for, or the task had not started). ``user`` asked (None: the system)."""

    task: Any  # semaphore.db.models.Task
    force: bool
    user: Any  # semaphore.db.models.User | None


TaskEvent = TaskQueued | TaskStatusChanged | TaskStopRequested
Listener = Callable[[TaskEvent], None]


class TaskEvents:
    def __init__(self) -> None:
        self._listeners: list[tuple[Listener, bool]] = []  # (listener, hears other nodes' events)
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener, *, remote: bool = False) -> Callable[[], None]:
        """Listen to every event of this node from now on, and with ``remote`` to those of the
        other nodes too; returns the function that stops listening."""
        entry = (listener, remote)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)
        return unsubscribe

    def publish(self, event: TaskEvent) -> None:
        """An event of this node: every listener hears it."""
        self._deliver(event, remote=False)

    def publish_remote(self, event: TaskEvent) -> None:
        """An event of another node: the listeners that asked for those hear it."""
        self._deliver(event, remote=True)

    def _deliver(self, event: TaskEvent, *, remote: bool) -> None:
        with self._lock:
            listeners = [listener for listener, hears_remote in self._listeners if hears_remote or not remote]
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a listener of task events failed on %s of task %s", type(event).__name__,
                              getattr(event.task, "id", None))
