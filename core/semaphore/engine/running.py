"""A run in progress as its owner steers it: the stop signal its process watches, and the status
the owner last saw stored for it (a run waiting for confirmation waits on it).

The owner is the server's task engine, or a remote runner that learns the server's wanted status
by polling; both stop a run through the same :class:`~semaphore.engine.process.StopRequest`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from semaphore.engine.process import StopRequest, StopSignal
from semaphore.services.task_status import FINISHED, TaskStatus

__all__ = ["RunningTask"]


@dataclass
class RunningTask:
    task_id: int
    stop: StopSignal = field(default_factory=StopSignal)
    status_seen: threading.Condition = field(default_factory=threading.Condition)
    status: str = TaskStatus.STARTING.value
    started: float = field(default_factory=time.monotonic)
    thread: threading.Thread | None = None
    #: Told the group id of each process the run starts (a runner records them: see runners/leftovers.py).
    process_started: Callable[[int], None] | None = None

    def see_status(self, status: str) -> None:
        with self.status_seen:
            self.status = status
            self.status_seen.notify_all()

    def request_stop(self, request: StopRequest) -> None:
        """Stop the run: its process, or its wait for a confirmation."""
        with self.status_seen:
            self.stop.set(request)
            self.status_seen.notify_all()

    def stopped_by_user(self, *, force: bool) -> None:
        """A user asked to stop the task: its process gets SIGTERM, then SIGKILL after the grace
        period (``force``: SIGKILL at once), and the task ends ``stopped``."""
        self.request_stop(StopRequest("Task stopped by a user.", graceful=not force, status=TaskStatus.STOPPED.value))

    def status_changed(self, status: str) -> None:
        """The task's stored status moved: a run waiting for confirmation sees it, and a run whose
        task was finished otherwise than by a stop request (rejected) ends in that status."""
        if status in FINISHED and status != TaskStatus.STOPPED:
            self.request_stop(StopRequest(f"Task {status} by a user.", graceful=False, status=status))
        self.see_status(status)
