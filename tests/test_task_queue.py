"""The database queue: atomic claims that honour every limit, on every database."""

from __future__ import annotations

import threading

import pytest
from task_helpers import create_project, create_template, run_task

from semaphore.db.models import Task
from semaphore.engine.queue import Limits, TaskQueue
from semaphore.services.task_status import TaskStatus
from semaphore.state import app_state


@pytest.fixture
def app(script_app):
    return script_app


UNLIMITED = Limits()


def claim(app, limits=UNLIMITED):
    with app.app_context(), app.extensions["semaphore"].db.sessionmaker() as db:
        task = TaskQueue(app_state(app).events, limits).claim_next(db)
        return None if task is None else task.id


def statuses(app):
    with app.extensions["semaphore"].db.sessionmaker() as db:
        return {task.id: task.status for task in db.query(Task)}


def test_oldest_waiting_task_is_claimed_once(app, admin_client, project):
    first = create_template(admin_client, project, name="one")
    second = create_template(admin_client, project, name="two")
    older = run_task(admin_client, project, first["id"])["id"]
    newer = run_task(admin_client, project, second["id"])["id"]
    assert claim(app) == older
    assert claim(app) == newer
    assert claim(app) is None
    assert statuses(app) == {older: TaskStatus.STARTING, newer: TaskStatus.STARTING}


def test_one_run_per_template_unless_it_allows_parallel_runs(app, admin_client, project):
    serial = create_template(admin_client, project, name="serial")
    parallel = create_template(admin_client, project, name="parallel", allow_parallel_tasks=True)
    serial_runs = [run_task(admin_client, project, serial["id"])["id"] for _ in range(2)]
    parallel_runs = [run_task(admin_client, project, parallel["id"])["id"] for _ in range(2)]
    claimed = {claim(app) for _ in range(4)} - {None}
    assert claimed == {serial_runs[0], *parallel_runs}  # the second serial run waits its turn


def test_project_and_server_limits(app, admin_client, project):
    admin_client.put(project.url, json={"name": "Demo", "max_parallel_tasks": 2})
    template = create_template(admin_client, project, allow_parallel_tasks=True)
    for _ in range(4):
        run_task(admin_client, project, template["id"])
    assert len({claim(app) for _ in range(4)} - {None}) == 2  # the project allows two at once

    other = create_project(app, admin_client, name="Other")
    other_template = create_template(admin_client, other, allow_parallel_tasks=True)
    for _ in range(3):
        run_task(admin_client, other, other_template["id"])
    server = Limits(max_parallel_tasks=3)
    assert claim(app, server) is not None  # the third task of the server
    assert claim(app, server) is None      # the server is full


def test_concurrent_claimers_never_take_one_task_twice(app, admin_client, project):
    template = create_template(admin_client, project, allow_parallel_tasks=True)
    queued = {run_task(admin_client, project, template["id"])["id"] for _ in range(12)}
    claimed: list[int] = []
    lock = threading.Lock()

    def worker():
        while (task_id := claim(app)) is not None:
            with lock:
                claimed.append(task_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(claimed) == sorted(queued)  # every task exactly once
    assert set(statuses(app).values()) == {TaskStatus.STARTING}


def test_concurrent_claimers_start_one_run_of_a_serial_template(app, admin_client, project):
    template = create_template(admin_client, project)
    for _ in range(6):
        run_task(admin_client, project, template["id"])
    results: list[int | None] = []
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        results.append(claim(app))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len([r for r in results if r is not None]) == 1
    assert list(statuses(app).values()).count(TaskStatus.STARTING) == 1
