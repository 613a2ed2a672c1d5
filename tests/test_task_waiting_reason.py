"""Why a waiting task is not taken by a remote runner, as the task's endpoint and page say it, on
every database: no online runner, none with its app, none with its tags, all busy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from test_runner_dispatch import queue, register, remote, template  # noqa: F401  (remote: a fixture)

from semaphore.db.models import Runner, Task
from semaphore.db.types import utcnow
from semaphore.state import app_state


def reason(client, project, task_id):
    response = client.get(f"{project.url}/tasks/{task_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["waiting_reason"]


def test_a_waiting_task_says_why_no_runner_takes_it(remote, admin_client, project):  # noqa: F811
    gpu = template(remote, project, runner_tags=["gpu", "linux"], runner_tags_match="all")
    task_id, = queue(remote, project.id, gpu)
    assert reason(admin_client, project, task_id) == "No runner of this project and no global runner is online."

    register(remote, tags=["gpu", "linux"], apps=["python"])
    assert reason(admin_client, project, task_id) == "No online runner has the app 'bash'."

    register(remote, tags=["linux"], apps=["bash"])
    assert reason(admin_client, project, task_id) == \
        "No online runner with the app 'bash' has every one of the tags gpu, linux."

    busy_id, _ = register(remote, tags=["gpu", "linux"], apps=["bash"], max_parallel_tasks=1)
    running, = queue(remote, project.id, gpu, runner_id=busy_id)
    with app_state(remote).db.session() as db:
        db.execute(update(Task).where(Task.id == running).values(status="running"))
        db.commit()
    assert reason(admin_client, project, task_id) == "Every online runner that can take it is busy."
    page = admin_client.get(f"/project/{project.id}/tasks/{task_id}").get_data(as_text=True)
    assert 'id="task-waiting-reason">Every online runner that can take it is busy.<' in page

    with app_state(remote).db.session() as db:
        db.execute(update(Task).where(Task.id == running).values(status="success"))
        db.commit()
    assert reason(admin_client, project, task_id) is None  # the runner takes it at its next poll

    timeout = app_state(remote).config.runners.offline_timeout_sec
    with app_state(remote).db.session() as db:
        db.execute(update(Runner).values(touched=utcnow() - timedelta(seconds=timeout + 5)))
        db.commit()
    assert reason(admin_client, project, task_id) == "No runner of this project and no global runner is online."

    app_state(remote).config.use_remote_runner = False
    assert reason(admin_client, project, task_id) is None
    assert '<div id="task-waiting-row" hidden>' in admin_client.get(f"/project/{project.id}/tasks/{task_id}").get_data(
        as_text=True)


def test_any_needs_one_of_the_tags(remote, admin_client, project):  # noqa: F811
    either = template(remote, project, runner_tags=["gpu", "arm"], runner_tags_match="any")
    task_id, = queue(remote, project.id, either)
    register(remote, tags=["x86"], apps=["bash"])
    assert reason(admin_client, project, task_id) == \
        "No online runner with the app 'bash' has one of the tags gpu, arm."
    register(remote, tags=["arm"], apps=["bash"])
    assert reason(admin_client, project, task_id) is None
