"""Task alerts: on success, error and waiting for confirmation, every enabled channel is told,
in the background (:mod:`semaphore.alerts.dispatch`), each with its own channel's settings of the
project (``Alert.settings``)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from semaphore import hookimpl
from semaphore.alerts.building import ALERT_STATUSES, build_alert, project_notifier_settings
from semaphore.alerts.dispatch import AlertDispatcher, AlertJob
from semaphore.engine.log import TaskLog
from semaphore.state import app_state

EXTENSION = "semaphore.alerts"
_create_lock = threading.Lock()

# The run's own log is closed once a task has finished, so outcome lines can follow it; while a
# task waits for confirmation its run still writes, and the lines go to the server log only.
_LOGGED_TO_TASK = frozenset({"success", "error"})


def dispatcher(app: Flask) -> AlertDispatcher:
    """The application's dispatcher, started on first use."""
    with _create_lock:
        found = app.extensions.get(EXTENSION)
        if found is None:
            config = app_state(app).config
            found = app.extensions[EXTENSION] = AlertDispatcher(config, config.secret_values())
        return found  # type: ignore[no-any-return]


@hookimpl
def task_status_changed(app, task, new_status):
    if new_status not in ALERT_STATUSES:
        return
    state = app_state(app)
    channels = [n for n in state.registry.notifiers.values() if n.enabled(state.config)]
    if not channels:
        return
    with state.db.session() as db:
        alert = build_alert(db, state.config, task, new_status)
        if alert is None:
            return
        settings = project_notifier_settings(db, task.project_id)
    report = _task_log_writer(app, task.id, task.project_id) if new_status in _LOGGED_TO_TASK else None
    job = AlertJob(alert, [], report, settings)
    job.notifiers = [n for n in channels if n.accepts(job.alert_for(n), state.config)]
    if job.notifiers:
        dispatcher(app).submit(job)


def _task_log_writer(app: Flask, task_id: int, project_id: int) -> Any:
    def write(lines: list[str]) -> None:
        with TaskLog(app_state(app), task_id, project_id) as task_log:
            for line in lines:
                task_log.write(line)
    return write


