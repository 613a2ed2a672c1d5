"""Task events and live log lines between nodes, over the cluster bus.

Each task event of this node goes to the other nodes (topic ``tasks``): there the task is read
from the database and the event delivered to the listeners that act for that node
(:meth:`TaskEvents.publish_remote`): its engine (a queued task wakes it at once; a stop, a
confirmation or a rejection reaches the node that runs the task at once) and its websocket
viewers (task updates). Each log batch stored on this node is announced (topic ``live``: task,
project and the batch's first and last line numbers); a node with viewers of that project reads
those lines from the database and shows them. The lines are in the database before they are
announced, so a node never shows a line that is not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from semaphore.cluster.bus import ClusterBus
from semaphore.db.models import Task, TaskOutput
from semaphore.task_events import TaskEvent, TaskQueued, TaskStatusChanged, TaskStopRequested

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)

TASKS, LIVE = "tasks", "live"


def connect(state: AppState, bus: ClusterBus) -> Callable[[], None]:
    """Send this node's task events and log batches over ``bus`` and take the other nodes';
    returns the function that stops sending (the bus's subscriptions end when it closes)."""
    bridge = _Bridge(state, bus)
    bus.subscribe(TASKS, bridge.receive_event)
    bus.subscribe(LIVE, bridge.receive_log)
    state.live.on_local_log = bridge.send_log
    unsubscribe = state.events.subscribe(bridge.send_event)

    def disconnect() -> None:
        unsubscribe()
        state.live.on_local_log = None
    return disconnect


class _Bridge:
    def __init__(self, state: AppState, bus: ClusterBus) -> None:
        self.state = state
        self.bus = bus

    # -- this node's news --------------------------------------------------------------------

    def send_event(self, event: TaskEvent) -> None:
        message: dict[str, Any] = {"task_id": event.task.id}
        if isinstance(event, TaskQueued):
            message["kind"] = "queued"
        elif isinstance(event, TaskStatusChanged):
            message.update(kind="status", old=str(event.old), new=str(event.new))
        elif isinstance(event, TaskStopRequested):
            message.update(kind="stop", force=event.force)
        self.bus.publish(TASKS, message)

    def send_log(self, task_id: int, project_id: int, first_seq: int, last_seq: int) -> None:
        self.bus.publish(LIVE, {"task_id": task_id, "project_id": project_id, "first": first_seq, "last": last_seq})

    # -- the other nodes' news ---------------------------------------------------------------

    def receive_event(self, message: dict[str, Any]) -> None:
        with self.state.db.session() as db:
            task = db.get(Task, int(message["task_id"]))
            if task is None:
                return  # deleted meanwhile
            db.expunge(task)  # a detached copy with its columns loaded, for listeners on other threads
        kind = message.get("kind")
        event: TaskEvent
        if kind == "queued":
            event = TaskQueued(task)
        elif kind == "status":
            event = TaskStatusChanged(task, str(message["old"]), str(message["new"]))
        elif kind == "stop":
            event = TaskStopRequested(task, bool(message.get("force")), None)
        else:
            log.warning("cluster bus: unknown task event %r", kind)
            return
        self.state.events.publish_remote(event)

    def receive_log(self, message: dict[str, Any]) -> None:
        project_id = int(message["project_id"])
        if not self.state.live.watched(project_id):
            return  # nobody here watches: nothing to read
        task_id = int(message["task_id"])
        with self.state.db.session() as db:
            rows = db.execute(select(TaskOutput.seq, TaskOutput.time, TaskOutput.output)
                              .where(TaskOutput.task_id == task_id,
                                     TaskOutput.seq.between(int(message["first"]), int(message["last"])))
                              .order_by(TaskOutput.seq)).all()
        chunks: list[tuple[Any, int, list[str]]] = []  # consecutive lines of one time, as stored
        for row in rows:
            last = chunks[-1] if chunks else None
            if last is not None and last[0] == row.time and last[1] + len(last[2]) == row.seq:
                last[2].append(row.output)
            else:
                chunks.append((row.time, row.seq, [row.output]))
        if chunks:
            self.state.live.deliver_log(task_id, project_id, chunks)
