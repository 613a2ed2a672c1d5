"""The ``task_status_changed`` hook: called after a status change is saved; a failing
implementation is logged and never breaks the change."""

from __future__ import annotations

import logging

from task_helpers import ScriptExecutorPlugin, build_app, create_project, create_template, run_task

from semaphore import hookimpl
from semaphore.testing import create_user_row, log_in


class StatusRecorder:
    def __init__(self) -> None:
        self.seen: list[tuple[int, str, str, str]] = []

    @hookimpl
    def task_status_changed(self, app, task, old_status, new_status):
        # The task is already committed: a fresh session sees the new status.
        from semaphore.db.models import Task

        with app.extensions["semaphore"].db.session() as db:
            stored = db.get(Task, task.id).status
        self.seen.append((task.id, old_status, new_status, stored))


class BrokenListener:
    @hookimpl
    def task_status_changed(self, task):
        raise RuntimeError("listener is down")


def make_client(app):
    create_user_row(app, "admin", admin=True)
    return log_in(app.test_client(), "admin")


def test_hook_task_status_changed(config, caplog):
    recorder = StatusRecorder()
    app = build_app(config, script_executor=ScriptExecutorPlugin(), recorder=recorder, broken=BrokenListener())
    try:
        client = make_client(app)
        project = create_project(app, client)
        task = run_task(client, project, create_template(client, project)["id"])
        assert recorder.seen == []  # queueing a task is not a status change

        with caplog.at_level(logging.ERROR, logger="semaphore.registry"):
            response = client.post(f"{project.url}/tasks/{task['id']}/stop", json={"force": False})
        assert response.status_code == 204
        assert recorder.seen == [(task["id"], "waiting", "stopped", "stopped")]
        assert client.get(f"{project.url}/tasks/{task['id']}").get_json()["status"] == "stopped"
        assert any("broken" in record.getMessage() and "listener is down" in record.getMessage()
                   for record in caplog.records)

        # A refused change (the task is finished) calls nobody.
        assert client.post(f"{project.url}/tasks/{task['id']}/stop", json={"force": True}).status_code == 400
        assert len(recorder.seen) == 1
    finally:
        app.extensions["semaphore"].db.dispose()
