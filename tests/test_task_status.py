"""The task status transition function (services/task_status.py), on every database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from task_helpers import create_project, create_template, events, query, run_task, user_id

from semaphore.db.models import Task
from semaphore.services.task_status import FINISHED, TaskStatus, change_status, is_allowed
from semaphore.state import app_state
from semaphore.testing import create_user_row, log_in

S = TaskStatus


@pytest.mark.parametrize(("old", "new", "allowed"), [
    (S.WAITING, S.WAITING, False),
    (S.WAITING, S.STARTING, True),
    (S.STARTING, S.RUNNING, True),
    (S.RUNNING, S.WAITING_CONFIRMATION, True),
    (S.WAITING_CONFIRMATION, S.CONFIRMED, True),
    (S.CONFIRMED, S.WAITING_CONFIRMATION, False),
    (S.CONFIRMED, S.RUNNING, True),
    (S.RUNNING, S.WAITING, False),
    (S.RUNNING, S.STOPPING, True),
    (S.STOPPING, S.WAITING, False),
    (S.STOPPING, S.RUNNING, False),
    (S.STOPPING, S.STOPPED, True),
    (S.RUNNING, S.SUCCESS, True),
    (S.RUNNING, S.ERROR, True),
    *((old, new, False) for old in sorted(FINISHED) for new in TaskStatus if new != old),
])
def test_transition_guard(old, new, allowed):
    assert is_allowed(old, new) is allowed


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def queued(app):
    create_user_row(app, "admin", admin=True)
    client = log_in(app.test_client(), "admin")
    project = create_project(app, client)
    return project, run_task(client, project, create_template(client, project)["id"])["id"]


def test_start_and_end_are_stamped(app, queued):
    project, task_id = queued
    channel = app_state(app).events
    with app.app_context(), app.extensions["semaphore"].db.session() as db:
        task = db.get(Task, task_id)
        assert change_status(db, channel, task, S.STARTING) is True
        assert task.start is None
        assert change_status(db, channel, task, S.RUNNING) is True
        started = task.start
        assert started is not None and task.end is None
        assert change_status(db, channel, task, S.WAITING) is False  # late news is ignored
        assert change_status(db, channel, task, S.SUCCESS) is True
        assert task.end is not None and task.end >= started
        assert change_status(db, channel, task, S.ERROR) is False  # finished is final
    with app.extensions["semaphore"].db.session() as db:
        stored = db.get(Task, task_id)
        assert (stored.status, stored.start, stored.end) == ("success", started, task.end)
    assert events(app, project.id)[-3:] == [f"Task ID {task_id} (Deploy app) is starting",
                                            f"Task ID {task_id} (Deploy app) is running",
                                            f"Task ID {task_id} (Deploy app) finished - SUCCESS"]


def test_the_engine_s_events_carry_the_user_who_started_the_task(app, queued):
    """Start and finish events name who ran the task, as the queued event does; a task nobody
    started (a schedule's, an integration's) has none."""
    project, task_id = queued
    client = log_in(app.test_client(), "admin")
    unattended = run_task(client, project, create_template(client, project, name="Nightly")["id"])["id"]
    with app.app_context(), app.extensions["semaphore"].db.session() as db:
        db.get(Task, unattended).user_id = None
        db.flush()
        for task_id_ in (task_id, unattended):
            task = db.get(Task, task_id_)
            for status in (S.STARTING, S.RUNNING, S.SUCCESS):
                assert change_status(db, app_state(app).events, task, status) is True
    rows = query(app, "SELECT object_id, user_id, description FROM event WHERE object_type = 'task' ORDER BY id")
    admin_id = user_id(app, "admin")
    assert [(row[1], row[2]) for row in rows if row[0] == task_id] == [
        (admin_id, f"Task ID {task_id} queued for running"), (admin_id, f"Task ID {task_id} (Deploy app) is starting"),
        (admin_id, f"Task ID {task_id} (Deploy app) is running"),
        (admin_id, f"Task ID {task_id} (Deploy app) finished - SUCCESS")]
    assert [row[1] for row in rows if row[0] == unattended][1:] == [None, None, None]


def test_a_change_made_meanwhile_by_another_process_wins(app, queued):
    _project, task_id = queued
    with app.app_context(), app.extensions["semaphore"].db.session() as db:
        task = db.get(Task, task_id)
        assert task.status == "waiting"
        with app.extensions["semaphore"].db.engine.begin() as other:
            other.execute(text("UPDATE task SET status = 'stopped' WHERE id = :id"), {"id": task_id})
        assert change_status(db, app_state(app).events, task, S.RUNNING) is False
        assert task.status == "stopped"
