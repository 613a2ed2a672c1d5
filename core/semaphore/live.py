"""The in-process hub behind ``/api/ws``: task log batches and task updates, delivered only to
the viewers allowed to see the task's project.

Publishing never blocks and never touches the database: each subscription keeps the projects its
viewer may see (refreshed by the viewer's own connection thread every few seconds, so a removed
member stops receiving within seconds) and a bounded queue. A viewer whose queue is full (slow or
stuck) is disconnected with a reason; it reconnects and reads the output endpoint. A slow viewer
never slows the task.

Messages keep the original's shapes, one JSON text frame per log line. Each published item is
encoded once (JSON and websocket framing together) and the same bytes go to every viewer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json import dumps
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from semaphore.db.models import ProjectUser, User

if TYPE_CHECKING:
    from semaphore.db.engine import Database
    from semaphore.db.models import Task

log = logging.getLogger(__name__)

LogChunk = tuple[datetime, int, Sequence[str]]  # lines logged together: their time, the first one's seq, the lines

ACCESS_TTL = 5.0  # seconds a viewer's project list is trusted before it is read again
MAX_QUEUED_ITEMS = 256  # published items waiting for one viewer...
MAX_QUEUED_COST = 32 * 1024 * 1024  # ...or their estimated size in bytes; beyond either, it is disconnected
LINE_OVERHEAD = 120  # bytes a log line's JSON envelope and frame header add to its text
TOO_SLOW = "too slow to follow the live output; reconnect and read the task's output endpoint"


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- websocket framing ---------------------------------------------------------------------------

_SHORT_HEADERS = [bytes((0x81, n)) for n in range(126)]


def text_frame_header(length: int) -> bytes:
    """The header of an unmasked, final text frame (server to client) carrying ``length`` bytes."""
    if length < 126:
        return _SHORT_HEADERS[length]
    if length < 65536:
        return b"\x81\x7e" + length.to_bytes(2, "big")
    return b"\x81\x7f" + length.to_bytes(8, "big")


def text_frames(texts: Iterable[str]) -> bytes:
    """One websocket text frame per message, concatenated: sent with a single write."""
    parts: list[bytes] = []
    append = parts.append
    for text in texts:
        data = text.encode()
        append(text_frame_header(len(data)))
        append(data)
    return b"".join(parts)


# -- what is published ---------------------------------------------------------------------------

class LiveItem:
    """Something published to the viewers of one project."""

    project_id: int
    cost: int
    _wire: bytes | None = None

    def messages(self) -> list[str]:
        raise NotImplementedError

    def wire(self) -> bytes:
        """The websocket frames of :meth:`messages`, built once for all viewers."""
        if self._wire is None:
            self._wire = text_frames(self.messages())
        return self._wire


class LogBatch(LiveItem):
    """Stored lines of one task in ``seq`` order, as ``(time, first seq, lines)`` chunks."""

    def __init__(self, task_id: int, project_id: int, chunks: Sequence[LogChunk]) -> None:
        self.task_id = task_id
        self.project_id = project_id
        self.chunks = chunks
        self.lines = sum(len(lines) for _, _, lines in chunks)
        self.cost = sum(sum(map(len, lines)) for _, _, lines in chunks) + LINE_OVERHEAD * self.lines

    def messages(self) -> list[str]:
        """The original's ``log`` message per line, plus the line's ``seq``: a client that reconnects
        reads the output endpoint from the last seq it saw."""
        texts: list[str] = []
        head = '{"type":"log","output":'
        for moment, first_seq, lines in self.chunks:
            tail = f',"time":"{rfc3339(moment)}","task_id":{self.task_id},"project_id":{self.project_id},"seq":'
            texts.extend([f"{head}{encode_basestring(line)}{tail}{seq}}}" for seq, line in enumerate(lines, first_seq)])
        return texts


class TaskUpdate(LiveItem):
    """A task's new status (and start, end, version), as the original's ``update`` message, plus
    the commit the run checked out (ours: it is known from the "running" update on) and the remote
    runner it was handed to (``runner_id``; its name, and why a task waits, need the database: a
    page reads them from the task's endpoint when the status or the runner changes)."""

    def __init__(self, task: Task) -> None:
        self.project_id = task.project_id
        self.message = {
            "type": "update", "start": rfc3339(task.start), "end": rfc3339(task.end), "status": task.status,
            "task_id": task.id, "template_id": task.template_id, "project_id": task.project_id,
            "version": task.version, "commit_hash": task.commit_hash, "commit_message": task.commit_message,
            "runner_id": task.runner_id,
        }
        self.cost = 256 + len(task.commit_message or "")

    def messages(self) -> list[str]:
        return [dumps(self.message, separators=(",", ":"), ensure_ascii=False)]


# -- subscriptions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Viewer:
    """Who watches: the user behind a websocket connection."""

    user_id: int
    admin: bool


class Subscription:
    """One websocket connection's view of the hub: what it may see and what waits for it."""

    def __init__(self, viewer: Viewer, projects: frozenset[int]) -> None:
        self.user_id = viewer.user_id
        self.admin = viewer.admin
        self.projects = projects
        self.checked_at = time.monotonic()
        self.closed: str | None = None  # why the hub ended it
        self._queue: deque[LiveItem] = deque()
        self._cost = 0
        self._cond = threading.Condition()

    def may_see(self, project_id: int) -> bool:
        return self.admin or project_id in self.projects

    def offer(self, item: LiveItem, max_items: int, max_cost: int) -> None:
        """Queue ``item`` without ever waiting; a full queue ends the subscription instead."""
        with self._cond:
            if self.closed is not None:
                return
            if len(self._queue) >= max_items or self._cost + item.cost > max_cost:
                self._end(TOO_SLOW)
                return
            self._queue.append(item)
            self._cost += item.cost
            self._cond.notify()

    def take(self, timeout: float) -> list[LiveItem]:
        """Everything queued, waiting up to ``timeout`` seconds for something (or for the end)."""
        with self._cond:
            if not self._queue and self.closed is None:
                self._cond.wait(timeout)
            items = list(self._queue)
            self._queue.clear()
            self._cost = 0
            return items

    def close(self, reason: str) -> None:
        with self._cond:
            if self.closed is None:
                self._end(reason)

    def _end(self, reason: str) -> None:
        self.closed = reason
        self._queue.clear()  # free the memory now; the viewer reads the rest from the output endpoint
        self._cost = 0
        self._cond.notify_all()


class LiveHub:
    def __init__(self, db: Database, *, access_ttl: float = ACCESS_TTL, max_items: int = MAX_QUEUED_ITEMS,
                 max_cost: int = MAX_QUEUED_COST) -> None:
        self.db = db
        self.access_ttl = access_ttl
        self.max_items = max_items
        self.max_cost = max_cost
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()
        #: Told of each log batch stored on this node, ``(task_id, project_id, first_seq, last_seq)``:
        #: the cluster bus tells the other nodes (semaphore.cluster.task_bridge).
        self.on_local_log: Callable[[int, int, int, int], None] | None = None

    # The viewer's side (its connection thread): these may read the database.

    def subscribe(self, viewer: Viewer) -> Subscription:
        subscription = Subscription(viewer, self._projects_of(viewer.user_id) if not viewer.admin else frozenset())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close("unsubscribed")
        with self._lock:
            self._subscriptions.discard(subscription)

    def refresh_access(self, subscription: Subscription, *, force: bool = False) -> None:
        """Read again which projects the viewer may see, when the last reading is older than the TTL.
        A viewer whose account is gone is disconnected."""
        now = time.monotonic()
        if not force and now - subscription.checked_at < self.access_ttl:
            return
        subscription.checked_at = now
        try:
            with self.db.session() as db:
                admin = db.scalar(select(User.admin).where(User.id == subscription.user_id))
                projects = frozenset(db.scalars(select(ProjectUser.project_id)
                                                .where(ProjectUser.user_id == subscription.user_id)))
        except SQLAlchemyError as exc:  # keep what we knew; the next refresh tries again
            log.warning("cannot refresh the projects of websocket viewer %s: %s", subscription.user_id, exc)
            return
        if admin is None:
            subscription.close("the user no longer exists")
            return
        subscription.admin, subscription.projects = bool(admin), projects

    def _projects_of(self, user_id: int) -> frozenset[int]:
        with self.db.session() as db:
            return frozenset(db.scalars(select(ProjectUser.project_id).where(ProjectUser.user_id == user_id)))

    # The publisher's side (task log writers, status changes): never blocks, never reads the database.

    def publish(self, item: LiveItem) -> int:
        """Queue ``item`` for every viewer allowed to see its project; returns how many."""
        return self._deliver(self._viewers_of(item.project_id), item)

    def publish_log(self, task_id: int, project_id: int, chunks: Sequence[LogChunk]) -> int:
        """Log lines of a task stored on this node; nothing is built when nobody watches the project."""
        if self.on_local_log is not None and chunks:
            self.on_local_log(task_id, project_id, chunks[0][1], chunks[-1][1] + len(chunks[-1][2]) - 1)
        return self.deliver_log(task_id, project_id, chunks)

    def deliver_log(self, task_id: int, project_id: int, chunks: Sequence[LogChunk]) -> int:
        """Stored log lines of a task, to this node's viewers only."""
        viewers = self._viewers_of(project_id)
        return self._deliver(viewers, LogBatch(task_id, project_id, chunks)) if viewers else 0

    def watched(self, project_id: int) -> bool:
        """Whether a viewer on this node may see the project's tasks."""
        return bool(self._viewers_of(project_id))

    def publish_update(self, task: Task) -> int:
        return self.publish(TaskUpdate(task))

    def _viewers_of(self, project_id: int) -> list[Subscription]:
        with self._lock:
            return [s for s in self._subscriptions if s.closed is None and s.may_see(project_id)]

    def _deliver(self, viewers: list[Subscription], item: LiveItem) -> int:
        for subscription in viewers:
            subscription.offer(item, self.max_items, self.max_cost)
        return len(viewers)

    def close_all(self, reason: str = "server shutting down") -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.close(reason)

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)
