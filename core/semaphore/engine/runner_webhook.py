"""A runner's webhook: the server POSTs ``{"action": "start"|"finish", "project_id", "task_id",
"template_id", "runner_id"}`` to the URL the runner registered with when a task is handed to it
(status ``starting``) and when that task finishes, as the original does.

It listens to the task events (semaphore.task_events) and calls out on its own threads, so a slow
webhook never delays a poll or a progress report. Unlike the original, a failing webhook never
fails the task: the server logs it, and when the task finishes a line of its log says what each
call answered. That line is written after the finish (a runner writes its lines with their own
numbers while the task runs; a line of ours then could take one of their numbers).

Calls go out a few at a time, and a task's finish only once its start has answered. When the
server stops, :meth:`RunnerWebhooks.close` (after the task engine's shutdown, before the database
closes) sends every call still waiting at once, each on its own thread (a finish gives its start
a head start of :data:`HEAD_START` instead of waiting for its answer), then waits for the answers
and the log lines: a stop waits at most ``TIMEOUT`` plus :data:`CLOSE_GRACE` for them. Calls are
kept in memory only: those of a server that is killed (``kill -9``, out of memory) are lost.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from semaphore.alerts.http import AlertSendError, post_json
from semaphore.db.models import Runner
from semaphore.engine.log import TaskLog
from semaphore.services.task_status import TaskStatus, is_finished
from semaphore.task_events import TaskEvent, TaskStatusChanged

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)

#: Seconds one call may take; the webhook is told, never waited for.
TIMEOUT = 5.0
#: At a stop, how long a finish waits for its start's answer: enough for the start to arrive first.
HEAD_START = 0.25
#: Seconds beyond TIMEOUT that :meth:`RunnerWebhooks.close` allows (HEAD_START, the log lines).
CLOSE_GRACE = 1.0


@dataclass(eq=False)  # each call is itself (a key of RunnerWebhooks._calls)
class _Call:
    """One POST; ``start`` and ``finish`` link the two calls about one run of a task."""

    url: str
    payload: dict[str, int | str]
    start: _Call | None = None  # a finish: the start call before it, if this server made one
    finish: _Call | None = None  # a start: its finish, once the task finished
    queued: bool = False  # given to a thread (a finish waits unqueued for its start's answer)
    taken: bool = False  # a thread is sending it: no other one will
    answer: str | None = None  # the task log's line about it, once answered


class RunnerWebhooks:
    """Subscribe :meth:`on_event` to the task events; :meth:`close` when the server stops."""

    def __init__(self, state: AppState, workers: int = 4) -> None:
        self._state = state
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="runner-webhook")
        self._changed = threading.Condition()  # guards what follows and the calls; told of each answer
        self._calls: dict[_Call, None] = {}  # not yet done with, in the order they were made
        self._started: dict[int, _Call] = {}  # task id → its start call
        self._closing = False

    def on_event(self, event: TaskEvent) -> None:
        if not isinstance(event, TaskStatusChanged) or not event.task.runner_id:
            return
        task = event.task
        if event.new != TaskStatus.STARTING and not is_finished(event.new):
            return
        # Read here, in the publisher's thread: runners without a webhook cost no thread and no session.
        with self._state.db.session() as db:
            runner = db.get(Runner, task.runner_id)
            url = runner.webhook if runner is not None else ""
        if not url:
            return
        payload = {"project_id": task.project_id, "task_id": task.id, "template_id": task.template_id,
                   "runner_id": task.runner_id}
        with self._changed:
            if event.new == TaskStatus.STARTING:
                call = self._started[task.id] = _Call(url, {"action": "start", **payload})
            else:
                start = self._started.pop(task.id, None)
                call = _Call(url, {"action": "finish", **payload}, start=start)
                if start is not None:
                    start.finish = call
            self._calls[call] = None
            call.queued = call.start is None or call.start.answer is not None or self._closing
        if call.queued:
            self._queue(call)

    def close(self, timeout: float = TIMEOUT + CLOSE_GRACE) -> None:
        """Send every call still waiting at once and wait, at most ``timeout`` seconds, until each
        has answered and each finished task's log has its lines. Calls made later (a task that
        finishes meanwhile) are sent at once too."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._closing = True
            waiting = [call for call in self._calls if not call.taken]
            for call in waiting:
                call.queued = True
        for call in waiting:  # in the order they were made: a start goes before its finish
            self._queue(call)
        with self._changed:
            self._changed.wait_for(lambda: not self._calls, max(0.0, deadline - time.monotonic()))
            left = len(self._calls)
        if left:
            log.warning("%s calls to runners' webhooks had not answered when the server stopped", left)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _queue(self, call: _Call) -> None:
        with self._changed:
            closing = self._closing
        if not closing:
            try:
                self._pool.submit(self._send, call)
                return
            except RuntimeError:  # the pool was shut down meanwhile (closed, or the interpreter exits)
                pass
        threading.Thread(target=self._send, args=(call,), name="runner-webhook-stop", daemon=True).start()

    def _send(self, call: _Call) -> None:
        with self._changed:
            if call.taken:  # queued twice: by the pool and by close
                return
            call.taken = True
            start = call.start
            if start is not None and start.answer is None:  # only at a stop: the start may have left just now
                self._changed.wait_for(lambda: start.answer is not None, HEAD_START)
        try:
            answer = self._post(call.url, call.payload)
            with self._changed:
                call.answer = answer
                self._changed.notify_all()
                follow = call.finish if call.finish is not None and not call.finish.queued else None
                if follow is not None:
                    follow.queued = True
                lines = self._lines_if_done(call)
            if follow is not None:
                self._queue(follow)
            if lines:
                self._write(call.payload, lines)
        finally:
            with self._changed:
                del self._calls[call]
                self._changed.notify_all()

    @staticmethod
    def _lines_if_done(call: _Call) -> list[str]:
        """The task log's lines once both calls of a finished task answered (for the last of them)."""
        finish = call.finish if call.finish is not None else call
        if finish.payload["action"] != "finish" or finish.answer is None:
            return []
        if finish.start is not None and finish.start.answer is None:
            return []
        return [c.answer for c in (finish.start, finish) if c is not None and c.answer is not None]

    def _write(self, payload: dict[str, int | str], lines: list[str]) -> None:
        task_log = TaskLog(self._state, int(payload["task_id"]), int(payload["project_id"]))
        for line in lines:
            task_log.write(line)
        task_log.close()

    def _post(self, url: str, payload: dict[str, int | str]) -> str:
        """POST ``payload`` to the runner's webhook at ``url``; the task log's line about it."""
        action = payload["action"]
        try:
            status = post_json(url, payload, timeout=TIMEOUT)
        except AlertSendError as exc:  # its message never names the URL
            log.warning("task %s: the webhook of runner %s (%s): %s", payload["task_id"], payload["runner_id"],
                        action, exc)
            return f"The runner's webhook failed ({action}): {exc}."
        log.info("task %s: the webhook of runner %s answered %s (%s)", payload["task_id"], payload["runner_id"],
                 status, action)
        return f"The runner's webhook answered {status} ({action})."
