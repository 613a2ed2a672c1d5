"""The task event channel (semaphore.task_events) as a listener sees it: every way of stopping a
task publishes a stop request after the new status is committed; and the services that queue
and change tasks work from a plain thread with no Flask app context, as the engine's and the
scheduler's threads call them."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from flask import has_app_context
from task_helpers import create_template, events, run_task, set_task_status

from semaphore.db.models import Task
from semaphore.live import Viewer
from semaphore.services import tasks
from semaphore.services.task_status import change_status
from semaphore.state import app_state
from semaphore.task_events import TaskEvent, TaskStatusChanged, TaskStopRequested


@pytest.fixture
def app(script_app):
    return script_app


def listen(app: Any) -> list[tuple[Any, ...]]:
    """What a listener hears: each event as a tuple, with the task's status as committed then."""
    heard: list[tuple[Any, ...]] = []

    def listener(event: TaskEvent) -> None:
        with app_state(app).db.session() as db:  # its own session: sees only what was committed
            committed = db.get(Task, event.task.id).status
        if isinstance(event, TaskStopRequested):
            heard.append(("stop", event.task.id, event.force, event.user and event.user.username, committed))
        elif isinstance(event, TaskStatusChanged):
            heard.append(("status", event.task.id, event.old, event.new, committed))
        else:
            heard.append(("queued", event.task.id, committed))

    app_state(app).events.subscribe(listener)
    return heard


STOP_REQUESTS = {
    "project API": lambda client, project, task_id: client.post(f"{project.url}/tasks/{task_id}/stop",
                                                                json={"force": False}),
    "admin task queue": lambda client, project, task_id: client.delete(f"/api/tasks/{task_id}"),
}


@pytest.mark.parametrize("stop", STOP_REQUESTS.values(), ids=STOP_REQUESTS.keys())
def test_a_listener_hears_the_stop_request_of_a_running_task(app, admin_client, project, stop):
    task_id = run_task(admin_client, project, create_template(admin_client, project)["id"])["id"]
    set_task_status(app, task_id, "running")
    heard = listen(app)
    viewer = app_state(app).live.subscribe(Viewer(user_id=0, admin=True))  # what a websocket viewer receives
    assert stop(admin_client, project, task_id).status_code == 204
    assert heard == [("status", task_id, "running", "stopping", "stopping"),
                     ("stop", task_id, False, "admin", "stopping")]
    updates = [json.loads(message) for item in viewer.take(0) for message in item.messages()]
    assert [(update["task_id"], update["status"]) for update in updates] == [(task_id, "stopping")]  # once


def test_a_stop_request_is_forced_when_asked_or_when_the_task_had_not_started(app, admin_client, project):
    template_id = create_template(admin_client, project)["id"]
    running, waiting = (run_task(admin_client, project, template_id)["id"] for _ in range(2))
    set_task_status(app, running, "running")
    heard = listen(app)
    assert admin_client.post(f"{project.url}/tasks/{running}/stop", json={"force": True}).status_code == 204
    assert admin_client.post(f"{project.url}/tasks/{waiting}/stop", json={"force": False}).status_code == 204
    assert [event for event in heard if event[0] == "stop"] == [("stop", running, True, "admin", "stopped"),
                                                               ("stop", waiting, True, "admin", "stopped")]


def test_nothing_is_requested_for_a_task_already_stopping(app, admin_client, project):
    task_id = run_task(admin_client, project, create_template(admin_client, project)["id"])["id"]
    set_task_status(app, task_id, "stopping")
    heard = listen(app)
    assert admin_client.delete(f"/api/tasks/{task_id}").status_code == 204
    assert heard == []


def test_services_queue_and_change_a_task_from_a_thread_without_an_app_context(app, admin_client, project):
    """create_task (its executor and the secret's encryption), enqueue, change_status and stop_task,
    with the built-in listeners (the task_status_changed hook among them) on a real database."""
    template_id = create_template(admin_client, project)["id"]
    state = app_state(app)
    heard = listen(app)
    seen: dict[str, Any] = {}

    def work() -> None:
        seen["app context"] = has_app_context()
        with state.db.session() as db:
            task = tasks.create_task(db, state, project.id, None, {"template_id": template_id,
                                                                   "secret": '{"token": "t0ps3cret"}'})
            tasks.enqueue(db, state.events, [task])
            seen["started"] = change_status(db, state.events, task, "starting")
            tasks.stop_task(db, state.events, None, task, force=False)
            seen["task"] = task.id

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert seen["app context"] is False and seen["started"] is True
    task_id = seen["task"]
    assert heard == [("queued", task_id, "waiting"), ("status", task_id, "waiting", "starting", "starting"),
                     ("status", task_id, "starting", "stopped", "stopped"), ("stop", task_id, True, None, "stopped")]
    with state.db.session() as db:
        task = db.get(Task, task_id)
        assert task.status == "stopped" and task.end is not None
        assert task.secret and "t0ps3cret" not in task.secret  # encrypted with the app's key
    assert events(app, project.id)[-3:] == [f"Task ID {task_id} queued for running",
                                            f"Task ID {task_id} (Deploy app) is starting",
                                            f"Task ID {task_id} (Deploy app) finished - STOPPED"]


def test_a_queued_event_follows_the_commit(app, admin_client, project):
    heard = listen(app)
    task_id = run_task(admin_client, project, create_template(admin_client, project)["id"])["id"]
    assert heard == [("queued", task_id, "waiting")]
