"""Closing the runners' webhook calls, as `semaphore server` does when it stops (after the task
engine, before the database closes), on every database with a real HTTP server as the webhook:
the calls still waiting are sent at once instead of a few at a time, each start reaches the
webhook before its finish, a task that finishes while closing gets its call too, and every
finished task's log has its lines when the close returns. (A real server's stop:
test_runner_webhook_e2e.py.)"""

from __future__ import annotations

import threading
import time

from runner_helpers import registration_body
from sqlalchemy import select

from semaphore.alerts.testing import WebhookRecorder
from semaphore.db.models import Task, TaskOutput, Template
from semaphore.services.task_status import change_status
from semaphore.state import app_state

GLOBAL = "webhook close registration token"
DELAY = 2.0  # the webhook's answer takes this long


def _runner_with_webhook(app, url):
    app_state(app).config.runners.registration_token = GLOBAL
    answer = app.test_client().post("/api/internal/runners", json=registration_body(GLOBAL, webhook=url))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["id"]


def _tasks_of_runner(app, project, runner_id, count):
    with app_state(app).db.session() as db:
        template = Template(name="remote", project_id=project.id, playbook="x", repository_id=project.repository_id,
                            inventory_id=project.inventory_id, environment_id=project.environment_id)
        db.add(template)
        db.flush()
        tasks = [Task(project_id=project.id, template_id=template.id, status="waiting", message="",
                      runner_id=runner_id) for _ in range(count)]
        db.add_all(tasks)
        db.commit()
        return [task.id for task in tasks]


def _move(app, task_id, *statuses):
    state = app_state(app)
    with state.db.session() as db:
        task = db.get(Task, task_id)
        for status in statuses:
            assert change_status(db, state.events, task, status)


def _log(app, task_id):
    with app_state(app).db.session() as db:
        return list(db.scalars(select(TaskOutput.output).where(TaskOutput.task_id == task_id)
                               .order_by(TaskOutput.seq)))


def test_closing_sends_every_waiting_call_at_once_and_writes_the_lines(app, project):
    webhooks = app_state(app).runner_webhooks
    with WebhookRecorder(answer_delay=DELAY) as hook:
        tasks = _tasks_of_runner(app, project, _runner_with_webhook(app, hook.url), 5)
        for task_id in tasks:
            _move(app, task_id, "starting")
        for task_id in tasks[:4]:  # four starts under way (four threads), the fifth and the finishes wait
            _move(app, task_id, "running", "success")
        finishing = threading.Timer(DELAY / 4, _move, (app, tasks[4], "running", "success"))

        asked = time.monotonic()
        finishing.start()  # the fifth task finishes while the server stops
        webhooks.close()
        took = time.monotonic() - asked
        finishing.join()
        calls = [(call.json["task_id"], call.json["action"]) for call in hook.received]

    for task_id in tasks:
        assert [action for called, action in calls if called == task_id] == ["start", "finish"], calls
        assert _log(app, task_id) == ["The runner's webhook answered 200 (start).",
                                      "The runner's webhook answered 200 (finish)."]
    assert took < 2 * DELAY  # four at a time, a finish after its start's answer, they would take 3 * DELAY
