"""The poll (GET /api/internal/runners) on every database: which waiting tasks a runner is given
(use_remote_runner, active, capacity, project or global, apps, tags), the sealed job it opens, a
job handed over again only until the runner confirms it, a task whose preparation fails, the
reconcile step for runners that stopped polling, and the tasks of a runner that is removed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from runner_helpers import registration_body
from sqlalchemy import select, update

from semaphore.db.models import Project, Runner, Task, TaskOutput, Template, TemplateRunnerTag
from semaphore.db.types import utcnow
from semaphore.engine import runner_dispatch, runner_reconcile
from semaphore.runners.sealed import SealedBoxError, generate_private_key, open_job, public_key_pem
from semaphore.state import app_state

URL = "/api/internal/runners"
GLOBAL = "dispatch registration token"


@pytest.fixture
def remote(app):
    config = app_state(app).config
    config.runners.registration_token = GLOBAL
    config.use_remote_runner = True
    return app


def register(app, **fields):
    """A runner: (its id, its X-Runner-Token header)."""
    answer = app.test_client().post(URL, json=registration_body(GLOBAL, **fields)).get_json()
    return answer["id"], {"X-Runner-Token": answer["token"]}


def template(flask_app, project, runner_tags=(), **fields):
    """A template; ``runner_tag`` alone stands for a one-tag list, as the API saves it."""
    tags = list(runner_tags) or ([fields["runner_tag"]] if fields.get("runner_tag") else [])
    with app_state(flask_app).db.session() as db:
        row = Template(name=f"t{fields}{tags}", project_id=project.id, playbook="run.sh",
                       repository_id=project.repository_id, inventory_id=project.inventory_id,
                       environment_id=project.environment_id, allow_parallel_tasks=True, **{"app": "bash", **fields})
        db.add(row)
        db.flush()
        db.add_all(TemplateRunnerTag(template_id=row.id, tag=tag, position=index) for index, tag in enumerate(tags))
        db.commit()
        return row.id


def queue(app, project_id, template_id, count=1, **fields):
    with app_state(app).db.session() as db:
        tasks = [Task(project_id=project_id, template_id=template_id, status="waiting", message="", **fields)
                 for _ in range(count)]
        db.add_all(tasks)
        db.commit()
        return [task.id for task in tasks]


def report(app, headers, *jobs):
    response = app.test_client().put(URL, headers=headers, json={"Jobs": list(jobs)})
    assert response.status_code == 204, response.get_json()


def last_line(db, task_id):
    return db.scalar(select(TaskOutput.output).where(TaskOutput.task_id == task_id)
                     .order_by(TaskOutput.seq.desc()).limit(1))


def poll(app, headers):
    response = app.test_client().get(URL, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def new_ids(answer):
    return [job["task_id"] for job in answer["new_jobs"]]


def test_a_runner_is_given_the_tasks_it_may_take_and_each_once(remote, project):
    plain = template(remote, project)
    blue = template(remote, project, runner_tag="blue")
    python = template(remote, project, app="python")
    with app_state(remote).db.session() as db:
        other = Project(name="other")
        db.add(other)
        db.commit()
        other_id = other.id
    plain_task, = queue(remote, project.id, plain)
    blue_task, = queue(remote, project.id, blue)
    python_task, = queue(remote, project.id, python)

    _, untagged = register(remote, tags=[], apps=["bash"])
    _, elsewhere = register(remote, tags=["blue"], apps=["bash", "python"])
    with app_state(remote).db.session() as db:  # a runner of the other project
        db.execute(update(Runner).where(Runner.project_id.is_(None), Runner.tags.like("%blue%"))
                   .values(project_id=other_id))
        db.commit()
    assert poll(remote, elsewhere)["new_jobs"] == []
    answer = poll(remote, untagged)
    assert new_ids(answer) == [plain_task]
    assert answer["CurrentJobs"] == [{"id": plain_task, "status": "starting"}]
    assert poll(remote, untagged)["new_jobs"] == []  # claimed once

    blue_id, blue_runner = register(remote, tags=["linux", "blue"], apps=["bash"])
    assert new_ids(poll(remote, blue_runner)) == [blue_task]
    with app_state(remote).db.session() as db:
        assert db.get(Task, blue_task).runner_id == blue_id
        assert db.get(Task, python_task).status == "waiting"  # no runner has python here


def test_a_templates_runner_tags_match_all_or_any(remote, project):
    every = template(remote, project, runner_tags=["linux", "gpu"], runner_tags_match="all")
    either = template(remote, project, runner_tags=["linux", "gpu"], runner_tags_match="any")
    untagged = template(remote, project)
    every_task, = queue(remote, project.id, every)
    either_task, = queue(remote, project.id, either)
    untagged_task, = queue(remote, project.id, untagged)

    _, windows = register(remote, tags=["windows"], apps=["bash"])
    assert new_ids(poll(remote, windows)) == [untagged_task]  # no tags: any runner
    _, linux = register(remote, tags=["linux", "arm"], apps=["bash"])
    assert new_ids(poll(remote, linux)) == [either_task]  # one of the tags is enough for "any"
    _, both = register(remote, tags=["gpu", "x86", "linux"], apps=["bash"])
    assert new_ids(poll(remote, both)) == [every_task]  # "all" needs every tag


def test_capacity_activity_and_use_remote_runner_limit_new_jobs(remote, project):
    tasks = queue(remote, project.id, template(remote, project), count=3)
    runner_id, headers = register(remote, max_parallel_tasks=2)
    remote.extensions["semaphore"].config.use_remote_runner = False
    assert poll(remote, headers)["new_jobs"] == []  # the server runs tasks itself
    remote.extensions["semaphore"].config.use_remote_runner = True
    assert new_ids(poll(remote, headers)) == tasks[:2]
    assert poll(remote, headers)["new_jobs"] == []  # full
    with app_state(remote).db.session() as db:
        db.execute(update(Task).where(Task.id == tasks[0]).values(status="success", end=utcnow()))
        db.execute(update(Runner).where(Runner.id == runner_id).values(active=False))
        db.commit()
    answer = poll(remote, headers)
    assert answer["new_jobs"] == []  # inactive: finishes its tasks, takes none
    assert {"id": tasks[0], "status": "success"} in answer["CurrentJobs"]  # told of lately finished ones
    assert "cleaning_requested" not in answer
    with app_state(remote).db.session() as db:
        db.execute(update(Runner).where(Runner.id == runner_id).values(cleaning_requested=True))
        db.commit()
    assert poll(remote, headers)["cleaning_requested"] is True
    assert "cleaning_requested" not in poll(remote, headers)  # told once


def test_the_job_opens_with_the_runners_key_and_continues_the_log(remote, project):
    task_id, = queue(remote, project.id, template(remote, project))
    with app_state(remote).db.session() as db:
        db.add_all([TaskOutput(task_id=task_id, seq=seq, time=utcnow(), output=f"earlier {seq}") for seq in (1, 2)])
        db.commit()
    key = generate_private_key()
    _, headers = register(remote, public_key=public_key_pem(key))
    job, = poll(remote, headers)["new_jobs"]
    spec = open_job(key, job["job"], task_id)
    assert spec.task.id == task_id and spec.app_id == "bash" and spec.log_seq == 3
    with pytest.raises(SealedBoxError):  # sealed for this task only
        open_job(key, job["job"], task_id + 1)


def test_a_task_whose_preparation_fails_ends_error_saying_why(remote, project):
    task_id, = queue(remote, project.id, template(remote, project), secret="not an encrypted secret")
    _, headers = register(remote)
    assert poll(remote, headers)["new_jobs"] == []
    with app_state(remote).db.session() as db:
        assert db.get(Task, task_id).status == "error"
        lines = list(db.scalars(select(TaskOutput.output).where(TaskOutput.task_id == task_id)
                                .order_by(TaskOutput.seq)))
    assert lines[-1].startswith("Cannot prepare the task: ")


def test_reconcile_gives_back_starting_tasks_and_fails_running_ones_of_runners_gone(remote, project):
    config = app_state(remote).config
    starting, running = queue(remote, project.id, template(remote, project), count=2)
    runner_id, headers = register(remote, name="faraway", max_parallel_tasks=0)
    assert new_ids(poll(remote, headers)) == [starting, running]
    with app_state(remote).db.session() as db:
        db.execute(update(Task).where(Task.id == running).values(status="running"))
        db.execute(update(Runner).where(Runner.id == runner_id)
                   .values(touched=utcnow() - timedelta(seconds=config.runners.offline_timeout_sec + 1)))
        db.commit()
        runner_reconcile.reconcile(app_state(remote), db)
        assert (db.get(Task, starting).status, db.get(Task, starting).runner_id) == ("waiting", None)
        assert db.get(Task, running).status == "running"  # within task_fail_timeout_sec still
        db.execute(update(Runner).where(Runner.id == runner_id)
                   .values(touched=utcnow() - timedelta(seconds=config.runners.task_fail_timeout_sec + 1)))
        db.commit()
        runner_reconcile.reconcile(app_state(remote), db)
        db.expire_all()
        assert db.get(Task, running).status == "error"
        last = last_line(db, running)
    assert "runner 'faraway'" in last and f"{config.runners.task_fail_timeout_sec} s" in last


def test_a_job_is_handed_over_again_only_until_the_runner_confirms_it(remote, project, monkeypatch):
    config = app_state(remote).config
    task_id, = queue(remote, project.id, template(remote, project))
    runner_id, headers = register(remote)
    assert new_ids(poll(remote, headers)) == [task_id]
    assert poll(remote, headers)["new_jobs"] == []  # handed over a moment ago
    monkeypatch.setattr(runner_dispatch, "HAND_OVER_AGAIN_AFTER", timedelta(0))
    assert new_ids(poll(remote, headers)) == [task_id]  # unconfirmed: the answer may have been lost
    assert new_ids(poll(remote, headers)) == [task_id]

    report(remote, headers, {"ID": task_id, "Status": "starting"})  # the runner opened the job
    assert poll(remote, headers)["new_jobs"] == []
    assert poll(remote, headers)["CurrentJobs"] == [{"id": task_id, "status": "starting"}]

    with app_state(remote).db.session() as db:  # a runner gone with a confirmed job still gives it back
        db.execute(update(Runner).where(Runner.id == runner_id)
                   .values(touched=utcnow() - timedelta(seconds=config.runners.offline_timeout_sec + 1)))
        db.commit()
        runner_reconcile.reconcile(app_state(remote), db)
        assert (db.get(Task, task_id).status, db.get(Task, task_id).runner_id) == ("waiting", None)
    _, other = register(remote)
    assert new_ids(poll(remote, other)) == [task_id]
    assert new_ids(poll(remote, other)) == [task_id]  # unconfirmed by this runner yet


@pytest.mark.parametrize("removal", ["admin", "unregister"])
def test_a_removed_runners_tasks_are_decided_at_once(remote, project, admin_client, removal):
    running, stopping, starting = queue(remote, project.id, template(remote, project), count=3)
    runner_id, headers = register(remote, name="doomed", max_parallel_tasks=0)
    assert new_ids(poll(remote, headers)) == [running, stopping, starting]
    report(remote, headers, {"ID": running, "Status": "running",
                             "LogRecords": [{"seq": 1, "time": "2026-12-08T01:00:00Z", "message": "halfway"}]},
           {"ID": stopping, "Status": "running"}, {"ID": starting, "Status": "starting"})
    assert admin_client.post(f"/api/project/{project.id}/tasks/{stopping}/stop", json={}).status_code == 204

    if removal == "admin":
        assert admin_client.delete(f"/api/runners/{runner_id}").status_code == 204
    else:
        assert remote.test_client().delete(URL, headers=headers).status_code == 204
    with app_state(remote).db.session() as db:
        assert db.get(Runner, runner_id) is None
        assert db.get(Task, running).status == "error"
        assert db.scalars(select(TaskOutput.output).where(TaskOutput.task_id == running)
                          .order_by(TaskOutput.seq)).all() == [
            "halfway", f"Task failed: its runner 'doomed' (id {runner_id}) was removed."]
        assert db.get(Task, stopping).status == "stopped"
        assert last_line(db, stopping) == f"Task failed: its runner 'doomed' (id {runner_id}) was removed."
        assert (db.get(Task, starting).status, db.get(Task, starting).runner_id) == ("waiting", None)
    _, other = register(remote)
    assert new_ids(poll(remote, other)) == [starting]
