"""The task engine of one server process: claims waiting tasks and runs each in a thread.

Dispatch is woken at once when a task is queued or a slot frees (an in-process event), with a
short fallback poll for tasks queued by other server processes. Stop requests, confirmations and
rejections made in this process arrive as task events (semaphore.task_events). The engine is this
server process's node (:mod:`semaphore.cluster.nodes`): it registers the node's row at start and
marks it stopped at a clean stop, and claims tasks under the node's id unless the node drains. A
monitor thread renews the node's heartbeat, notices stop and confirm requests made through other
processes, enforces ``max_task_duration_sec``, finishes orphans of dead nodes
(:mod:`semaphore.engine.recovery`), decides the tasks of remote runners that stopped polling
(:mod:`semaphore.engine.runner_reconcile`) and applies retention. With ``use_remote_runner`` on,
the engine claims nothing: runners claim tasks when they poll
(:mod:`semaphore.engine.runner_dispatch`). The engine is given the app's state and needs no Flask
app context.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from semaphore.cluster import nodes
from semaphore.db.models import Task
from semaphore.db.types import utcnow
from semaphore.engine import recovery, retention, runner_reconcile
from semaphore.engine.checkout import Checkout, RepositoryCache
from semaphore.engine.isolation import Isolation
from semaphore.engine.process import StopRequest
from semaphore.engine.queue import Limits, TaskQueue
from semaphore.engine.running import RunningTask
from semaphore.services.task_status import TaskStatus, change_status
from semaphore.task_events import TaskEvent, TaskQueued, TaskStatusChanged, TaskStopRequested

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)

FALLBACK_POLL_SECONDS = 1.0  # tasks queued by another server process
MONITOR_SECONDS = 0.5


class TaskEngine:
    sweep_seconds: float = nodes.HEARTBEAT_SECONDS  # how often orphans of dead nodes are looked for

    def __init__(self, state: AppState) -> None:
        self.state = state
        config = state.config
        self.config = config
        self.queue = TaskQueue(state.events, Limits(config.max_parallel_tasks), state.node_id)
        self.isolation = Isolation.from_config(config)
        self.repositories = RepositoryCache(Path(config.tmp_path) / "repositories",
                                            ssh_config_path=config.ssh_config_path)
        self.runs_dir = Path(config.tmp_path) / "runs"
        self.started_at = utcnow()  # runners' timeouts count from here at the earliest
        self._running: dict[int, RunningTask] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._retention: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Register the node, finish orphans of dead nodes, then start dispatching."""
        # Traversable but not listable: a task running as another user reaches only its own run.
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.runs_dir.chmod(0o711)
        self.started_at = utcnow()
        with self.state.db.session() as db:
            nodes.register(db, self.state.node_id)
            recovery.finish_orphans(self.state, db, (), at_start=True)
        self.state.engine = self
        self._unsubscribe = self.state.events.subscribe(self._on_task_event, remote=True)  # other nodes: wake, stop
        loops = [] if self.config.use_remote_runner else [(self._dispatch_loop, "dispatch")]  # else runners claim
        loops += [(self._monitor_loop, "monitor"), (self._retention_loop, "retention")]
        for target, name in loops:
            thread = threading.Thread(target=target, name=f"semaphore-tasks-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.config.max_tasks_per_template:
            self._retention.put(None)  # None: every template
        self.wake()

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop dispatching, stop running tasks (they end as ``error``: the server went away)."""
        self._stopping.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._wake.set()
        self._retention.put(None)
        for running in self.running():
            running.request_stop(StopRequest("Server shutting down: the task was stopped.", graceful=True,
                                              status=TaskStatus.ERROR.value))
        deadline = time.monotonic() + timeout
        for running in self.running():
            if running.thread is not None:
                running.thread.join(max(0.0, deadline - time.monotonic()))
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        try:
            with self.state.db.session() as db:
                nodes.mark_stopped(db, self.state.node_id)
        except Exception:
            log.exception("could not mark node %s stopped; it is dead once its heartbeat is old", self.state.node_id)
        if self.state.engine is self:
            self.state.engine = None

    def running(self) -> list[RunningTask]:
        with self._lock:
            return list(self._running.values())

    def _running_ids(self) -> set[int]:
        with self._lock:
            return set(self._running)

    # -- events -----------------------------------------------------------------------------

    def _on_task_event(self, event: TaskEvent) -> None:
        if isinstance(event, TaskQueued):
            self.wake()
        elif isinstance(event, TaskStopRequested):
            self.stop(event.task.id, force=event.force)
        elif isinstance(event, TaskStatusChanged):
            self.status_changed(event.task.id, event.new)

    def wake(self) -> None:
        """A task was queued or a slot freed: look for work now."""
        self._wake.set()

    def stop(self, task_id: int, *, force: bool) -> None:
        """A user asked to stop the task: its process gets SIGTERM, then SIGKILL after the grace
        period (``force``: SIGKILL at once), and the task ends ``stopped``. Told by the stop
        request event (this process) and by the monitor (requests made through other processes)."""
        running = self._run_of(task_id)
        if running is not None:
            running.stopped_by_user(force=force)

    def status_changed(self, task_id: int, status: str) -> None:
        """The task's stored status moved: a run waiting for confirmation sees it, and a run whose
        task was finished otherwise than by a stop request (rejected) ends in that status. Told
        by the status transition's event (this process) and by the monitor (other processes)."""
        running = self._run_of(task_id)
        if running is not None:
            running.status_changed(status)

    def _run_of(self, task_id: int) -> RunningTask | None:
        with self._lock:
            return self._running.get(task_id)

    # -- writes on behalf of a run ----------------------------------------------------------

    def set_status(self, task_id: int, status: TaskStatus) -> bool:
        with self.state.db.session() as db:
            task = db.get(Task, task_id)
            return task is not None and change_status(db, self.state.events, task, status)

    def record_commit(self, task_id: int, checkout: Checkout) -> None:
        with self.state.db.session() as db:
            db.execute(update(Task).where(Task.id == task_id).values(
                commit_hash=checkout.commit_hash or None, commit_message=checkout.commit_message[:1000] or None))
            db.commit()

    def finish(self, task_id: int, final: TaskStatus) -> None:
        """Write the final status (unless a user already finished the task) and forget the run's
        secret (a successful build's autorun deploys listen to the status change)."""
        with self.state.db.session() as db:
            db.execute(update(Task).where(Task.id == task_id).values(secret=None))
            db.commit()
            task = db.get(Task, task_id)
            if task is None:
                return
            change_status(db, self.state.events, task, final)
            if self.config.max_tasks_per_template:
                self._retention.put(task.template_id)

    def task_finished(self, task_id: int) -> None:
        """The run's thread is done: free its slot."""
        with self._lock:
            self._running.pop(task_id, None)
        self.wake()

    # -- threads ----------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(FALLBACK_POLL_SECONDS)
            self._wake.clear()
            try:
                self._dispatch()
            except Exception:
                log.exception("task dispatch failed; retrying")
                time.sleep(FALLBACK_POLL_SECONDS)

    def _dispatch(self) -> None:
        from semaphore.engine.job import run_task  # the job imports the executors' world; keep start-up light

        limit = self.config.max_parallel_tasks
        while not self._stopping.is_set() and not (limit and len(self._running) >= limit):
            with self.state.db.session() as db:
                if nodes.is_draining(db, self.state.node_id):
                    return
                task = self.queue.claim_next(db)
                if task is None:
                    return
                running = RunningTask(task.id)
            with self._lock:
                self._running[running.task_id] = running
            running.thread = threading.Thread(target=run_task, args=(self, running), daemon=True,
                                              name=f"semaphore-task-{running.task_id}")
            running.thread.start()

    def _monitor_loop(self) -> None:
        next_heartbeat = next_sweep = next_reconcile = time.monotonic()
        while not self._stopping.wait(MONITOR_SECONDS):
            try:
                with self.state.db.session() as db:
                    self._watch_statuses(db)
                    self._enforce_duration()
                    now = time.monotonic()
                    if now >= next_heartbeat:
                        nodes.beat(db, self.state.node_id)
                        next_heartbeat = now + nodes.HEARTBEAT_SECONDS
                    if now >= next_sweep:
                        if recovery.finish_orphans(self.state, db, self._running_ids(), at_start=False):
                            self.wake()
                        next_sweep = now + self.sweep_seconds
                    if now >= next_reconcile:
                        runner_reconcile.reconcile(self.state, db, up_since=self.started_at)
                        next_reconcile = now + self.config.runners.reconcile_interval_sec
            except Exception:
                log.exception("task monitor failed; retrying")

    def _watch_statuses(self, db: DbSession) -> None:
        running = self.running()
        if not running:
            return
        ids = [r.task_id for r in running]
        statuses: dict[int, str] = {task_id: status for task_id, status in
                                    db.execute(select(Task.id, Task.status).where(Task.id.in_(ids)))}
        db.rollback()
        for task in running:
            status = statuses.get(task.task_id)
            if status is not None and status != task.status:
                if status in (TaskStatus.STOPPING, TaskStatus.STOPPED):  # a stop requested through another process
                    self.stop(task.task_id, force=status == TaskStatus.STOPPED)
                self.status_changed(task.task_id, status)

    def _enforce_duration(self) -> None:
        limit = self.config.max_task_duration_sec
        if not limit:
            return
        for task in self.running():
            if time.monotonic() - task.started > limit:
                task.request_stop(StopRequest(
                    f"Task stopped: it ran longer than max_task_duration_sec ({limit} s).",
                    graceful=True, status=TaskStatus.ERROR.value))

    def _retention_loop(self) -> None:
        keep = self.config.max_tasks_per_template
        while not self._stopping.is_set():
            template_id = self._retention.get()
            if self._stopping.is_set():
                return
            try:
                with self.state.db.session() as db:
                    if template_id is None:
                        retention.prune_all(db, keep)
                    else:
                        retention.prune_template(db, template_id, keep)
            except Exception:
                log.exception("retention failed for template %s", template_id)
