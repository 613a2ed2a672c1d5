"""Task alerts: on success, error and waiting for confirmation, every enabled channel is told,
in the background from the database's outbox (:mod:`semaphore.alerts.dispatch`), each with its own
channel's settings of the project (``Alert.settings``). `semaphore server` starts the sender at
once (it also sends what other processes left); elsewhere it starts on the first alert."""

from __future__ import annotations

import threading

from flask import Flask

from semaphore import hookimpl
from semaphore.alerts.building import ALERT_STATUSES, build_alert, project_notifier_settings
from semaphore.alerts.dispatch import AlertDispatcher, AlertJob, Reporter
from semaphore.engine.log_append import append_lines
from semaphore.state import AppState, app_state

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
            state = app_state(app)
            found = app.extensions[EXTENSION] = AlertDispatcher(state, _task_log_writer(state)).start()
        return found  # type: ignore[no-any-return]


def stop_dispatcher(app: Flask, timeout: float = 5.0) -> None:
    """Stop the sender, if it started; an alert being sent is finished or left to the lease."""
    with _create_lock:
        found = app.extensions.pop(EXTENSION, None)
    if found is not None:
        found.shutdown(timeout)


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
    job = AlertJob(alert, [], new_status in _LOGGED_TO_TASK, settings)
    job.notifiers = [n for n in channels if n.accepts(job.alert_for(n), state.config)]
    if job.notifiers:
        dispatcher(app).submit(job)


def _task_log_writer(state: AppState) -> Reporter:
    def write(task_id: int, project_id: int, lines: list[str]) -> None:
        append_lines(state, task_id, project_id, lines)  # another process may write its own outcome
    return write


