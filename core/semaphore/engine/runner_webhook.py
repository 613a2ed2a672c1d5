"""A runner's webhook: the server POSTs ``{"action": "start"|"finish", "project_id", "task_id",
"template_id", "runner_id"}`` to the URL the runner registered with when a task is handed to it
(status ``starting``) and when that task finishes, as the original does.

It listens to the task events (semaphore.task_events) and calls out on its own threads, so a slow
webhook never delays a poll or a progress report. Unlike the original, a failing webhook never
fails the task: the server logs it, and when the task finishes a line of its log says what each
call answered. That line is written after the finish (a runner writes its lines with their own
numbers while the task runs; a line of ours then could take one of their numbers).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
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


class RunnerWebhooks:
    """Subscribe :meth:`on_event` to the task events; :meth:`close` waits for the calls under way."""

    def __init__(self, state: AppState, workers: int = 4) -> None:
        self._state = state
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="runner-webhook")
        self._started: dict[int, Future[str]] = {}  # task id → what its start call answered

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
        if event.new == TaskStatus.STARTING:
            self._started[task.id] = self._pool.submit(self._call, url, {"action": "start", **payload})
        else:
            started = self._started.pop(task.id, None)
            self._pool.submit(self._finish, url, {"action": "finish", **payload}, started)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _finish(self, url: str, payload: dict[str, int | str], started: Future[str] | None) -> None:
        answers = [started.result()] if started is not None else []
        answers.append(self._call(url, payload))
        task_log = TaskLog(self._state, int(payload["task_id"]), int(payload["project_id"]))
        for line in answers:
            task_log.write(line)
        task_log.close()

    def _call(self, url: str, payload: dict[str, int | str]) -> str:
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
