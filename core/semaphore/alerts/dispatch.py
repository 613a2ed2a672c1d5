"""Alerts go out in the background: a bounded queue and one worker thread per application.

A task never waits for an alert: :meth:`AlertDispatcher.submit` only queues. The worker gives each
channel one retry after a short delay; a channel that still fails is logged with its reason and
the next channel is tried. Reasons are masked with the server's secrets (webhook URLs, tokens,
the SMTP password) before they reach any log.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from semaphore.interfaces import Alert, Notifier

log = logging.getLogger(__name__)

#: Alerts waiting beyond this many are dropped (and logged): a dead channel must not eat memory.
QUEUE_SIZE = 1000


@dataclass
class AlertJob:
    alert: Alert
    notifiers: list[Notifier]
    #: Where the outcome lines go besides the server log (the task's log); None: server log only.
    report: Callable[[list[str]], None] | None = None
    #: The project's notifier settings of every channel, ``{channel: {field: value}}``.
    settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def alert_for(self, notifier: Notifier) -> Alert:
        """The alert as ``notifier`` gets it: a copy whose ``settings`` are its own channel's."""
        return replace(self.alert, settings=dict(self.settings.get(notifier.channel, {})))


class AlertDispatcher:
    """Sends queued alerts to their channels, one alert at a time, in a daemon thread."""

    retry_delay: float = 2.0  # seconds before the one retry of a failed send

    def __init__(self, config: Any, secrets: Iterable[str] = ()) -> None:
        self.config = config
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._queue: queue.Queue[AlertJob] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self._thread.start()

    def submit(self, job: AlertJob) -> None:
        """Queue ``job``; never blocks."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            log.error("alert for task %s dropped: %d alerts are already waiting", job.alert.task_id, QUEUE_SIZE)

    def join(self) -> None:
        """Wait until every queued alert was handled (tests)."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._handle(job)
            except Exception:  # a bug here must not stop later alerts
                log.exception("alert for task %s could not be handled", job.alert.task_id)
            finally:
                self._queue.task_done()

    def _handle(self, job: AlertJob) -> None:
        lines: list[str] = []
        for notifier in job.notifiers:
            lines.append(f"Sending {notifier.channel} alert")
            error = self._send_with_retry(notifier, job.alert_for(notifier))
            if error is None:
                lines.append(f"{notifier.channel} alert sent")
                log.info("task %s: %s alert sent", job.alert.task_id, notifier.channel)
            else:
                lines.append(f"{notifier.channel} alert failed: {error}")
                log.error("task %s: %s alert failed: %s", job.alert.task_id, notifier.channel, error)
        if job.report is not None and lines:
            job.report(lines)

    def _send_with_retry(self, notifier: Notifier, alert: Alert) -> str | None:
        """None when sent; else the (masked) reason of the last failure."""
        reason = ""
        for attempt in (1, 2):
            try:
                notifier.send(alert, self.config)
                return None
            except Exception as exc:
                reason = self._mask(str(exc) or type(exc).__name__)
                if attempt == 1:
                    log.warning("task %s: %s alert failed (%s), retrying", alert.task_id, notifier.channel, reason)
                    time.sleep(self.retry_delay)
        return reason

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "********")
        return text
