"""Tasks over the API, on every database: queueing, lists, output, stop, confirm and delete.

No task engine runs here: a new task stays ``waiting``; where a test needs a task the engine
would have moved on (running, success, waiting for confirmation), it sets that status in the row.
"""

from __future__ import annotations

import pytest
from task_helpers import (
    add_output,
    assert_refused,
    create_project,
    create_template,
    events,
    member_client,
    query,
    run_task,
    set_task_status,
    user_id,
)


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def template(admin_client, project):
    return create_template(admin_client, project)


def task_count(app):
    return query(app, "SELECT COUNT(*) FROM task")[0][0]


def test_a_run_is_queued_as_a_waiting_task(app, admin_client, project):
    template = create_template(admin_client, project, allow_override_args_in_task=True)
    task = run_task(admin_client, project, template["id"], debug=True, dry_run=True, diff=True,
                    playbook="other.sh", environment={"region": "eu"}, limit="web1", message="ship it",
                    inventory_id=project.inventory_id, params={"tags": ["a"]})
    assert task["status"] == "waiting" and task["template_id"] == template["id"] and task["project_id"] == project.id
    assert (task["debug"], task["dry_run"], task["diff"]) == (True, True, True)
    assert (task["playbook"], task["limit"], task["message"]) == ("other.sh", "web1", "ship it")
    assert task["environment"] == '{"region": "eu"}' and task["inventory_id"] == project.inventory_id
    assert task["user_id"] == user_id(app, "admin")
    assert task["created"] and task["start"] is None and task["end"] is None and task["version"] is None
    assert admin_client.get(f"{project.url}/tasks/{task['id']}").get_json() == task
    assert events(app, project.id)[-1] == f"Task ID {task['id']} queued for running"
    assert admin_client.get(f"{project.url}/templates/{template['id']}").get_json()["tasks"] == 1
    run_task(admin_client, project, template["id"], environment='{"as": "text"}')
    assert admin_client.get(f"{project.url}/templates/{template['id']}").get_json()["tasks"] == 2


def test_no_executor_for_the_app_is_a_400_naming_template_id(app, admin_client, project):
    ansible = create_template(admin_client, project, name="Playbook", app="ansible", playbook="site.yml")
    error = assert_refused(admin_client, "POST", f"{project.url}/tasks", {"template_id": ansible["id"]}, "template_id")
    assert error["error"] == "template_id: no executor for app 'ansible' is installed (available: 'bash')"
    assert task_count(app) == 0


def test_bad_run_requests_name_the_field_and_write_nothing(app, admin_client, project, template):
    other = create_project(app, admin_client, "Other")
    other_template = create_template(admin_client, other)
    url = f"{project.url}/tasks"
    base = {"template_id": template["id"]}
    for body, field in [
        ({}, "template_id"),
        ({"template_id": 999999}, "template_id"),
        ({"template_id": other_template["id"]}, "template_id"),
        ({**base, "inventory_id": other.inventory_id}, "inventory_id"),
        ({**base, "inventory_id": 999999}, "inventory_id"),
        ({**base, "environment": "not json"}, "environment"),
        ({**base, "environment": "[1]"}, "environment"),
        ({**base, "secret": "[]"}, "secret"),
        ({**base, "arguments": '["--check"]'}, "arguments"),
        ({**base, "git_branch": "feature"}, "git_branch"),
        ({**base, "playbook": "other.sh"}, "playbook"),
        ({**base, "build_task_id": 1}, "build_task_id"),
        ({**base, "debug": "very"}, "debug"),
    ]:
        assert_refused(admin_client, "POST", url, body, field)
    assert task_count(app) == 0
    assert admin_client.get(f"{project.url}/templates/{template['id']}").get_json()["tasks"] == 0


def test_arguments_and_branch_overrides_need_the_template_to_allow_them(admin_client, project, template):
    quiet = run_task(admin_client, project, template["id"], arguments="[]", git_branch="")
    assert (quiet["arguments"], quiet["git_branch"]) == (None, None)
    open_template = create_template(admin_client, project, name="Open", allow_override_args_in_task=True,
                                    allow_override_branch_in_task=True)
    task = run_task(admin_client, project, open_template["id"], arguments=["--check", "-v"], git_branch="feature")
    assert (task["arguments"], task["git_branch"]) == ('["--check", "-v"]', "feature")
    url = f"{project.url}/tasks"
    assert_refused(admin_client, "POST", url, {"template_id": open_template["id"], "arguments": "[1]"}, "arguments")


def test_a_task_runner_runs_another_playbook_only_where_the_template_allows_it(app, admin_client, project, template):
    """The playbook or script a manager chose is what a task runner runs: another one is refused
    unless the template lets runs override their arguments."""
    runner = member_client(app, admin_client, project, "runner", "task_runner")
    url = f"{project.url}/tasks"
    body = {"template_id": template["id"], "playbook": "../../evil.sh"}
    error = assert_refused(runner, "POST", url, body, "playbook")
    assert error["error"] == "playbook: the template does not allow running another playbook or script"
    assert task_count(app) == 0
    same = run_task(runner, project, template["id"], playbook=template["playbook"])
    assert same["playbook"] == template["playbook"]
    assert run_task(runner, project, template["id"], playbook="")["playbook"] == ""
    open_template = create_template(admin_client, project, name="Open", allow_override_args_in_task=True)
    assert run_task(runner, project, open_template["id"], playbook="other.sh")["playbook"] == "other.sh"


def test_the_secret_is_never_stored_or_returned(app, admin_client, project, template):
    response = admin_client.post(f"{project.url}/tasks", json={"template_id": template["id"],
                                                                "secret": {"password": "hunter2-secret"}})
    assert response.status_code == 201
    assert "hunter2" not in response.get_data(as_text=True)
    assert "hunter2" not in admin_client.get(f"{project.url}/tasks").get_data(as_text=True)
    assert "hunter2" not in repr(query(app, "SELECT * FROM task"))


def test_build_versions_count_up_and_are_never_reused(app, admin_client, project):
    build = create_template(admin_client, project, name="Build", type="build", start_version="1.0.0")
    versions = [run_task(admin_client, project, build["id"])["version"] for _ in range(3)]
    assert versions == ["1.0.0", "1.0.1", "1.0.2"]

    def set_start(version):
        response = admin_client.put(f"{project.url}/templates/{build['id']}", json={**build, "start_version": version})
        assert response.status_code == 204, response.get_json()

    set_start("1.0.10")  # a larger start wins
    assert run_task(admin_client, project, build["id"])["version"] == "1.0.10"
    set_start("1.0.5")  # a smaller one does not hand out a version again
    assert run_task(admin_client, project, build["id"])["version"] == "1.0.11"
    set_start("v2-rc")  # another series starts at its start version
    assert [run_task(admin_client, project, build["id"])["version"] for _ in range(2)] == ["v2-rc", "v3-rc"]
    set_start("build-007")
    assert [run_task(admin_client, project, build["id"])["version"] for _ in range(2)] == ["build-007", "build-008"]
    versions = [row[0] for row in query(app, "SELECT version FROM task WHERE template_id = :t", t=build["id"])]
    assert len(versions) == len(set(versions)) == 9
    plain = create_template(admin_client, project, name="Plain")
    assert run_task(admin_client, project, plain["id"])["version"] is None


def test_deploy_defaults_to_the_newest_successful_build(app, admin_client, project):
    build = create_template(admin_client, project, name="Build", type="build", start_version="1")
    deploy = create_template(admin_client, project, name="Deploy", type="deploy", build_template_id=build["id"])
    url = f"{project.url}/tasks"
    assert_refused(admin_client, "POST", url, {"template_id": deploy["id"]}, "build_task_id")
    first, second, failed = (run_task(admin_client, project, build["id"]) for _ in range(3))
    set_task_status(app, first["id"], "success")
    set_task_status(app, second["id"], "success")
    set_task_status(app, failed["id"], "error")
    task = run_task(admin_client, project, deploy["id"])
    assert task["build_task_id"] == second["id"]
    assert run_task(admin_client, project, deploy["id"], build_task_id=first["id"])["build_task_id"] == first["id"]
    assert_refused(admin_client, "POST", url, {"template_id": deploy["id"], "build_task_id": failed["id"]},
                   "build_task_id")
    assert_refused(admin_client, "POST", url, {"template_id": deploy["id"], "build_task_id": task["id"]},
                   "build_task_id")
    assert_refused(admin_client, "POST", url, {"template_id": build["id"], "build_task_id": first["id"]},
                   "build_task_id")
    listed = admin_client.get(f"{url}/{task['id']}").get_json()
    assert listed["build_task_id"] == second["id"]
    newest = admin_client.get(url).get_json()[0]
    assert newest["build_task"]["id"] == first["id"] and newest["build_task"]["version"] == "1"
    assert newest["tpl_type"] == "deploy"


def test_lists_are_newest_first_with_template_fields(app, admin_client, project, template):
    ids = [run_task(admin_client, project, template["id"])["id"] for _ in range(4)]
    listed = admin_client.get(f"{project.url}/tasks").get_json()
    assert [t["id"] for t in listed] == ids[::-1]
    first = listed[0]
    assert (first["tpl_playbook"], first["tpl_alias"], first["tpl_type"], first["tpl_app"]) == (
        "deploy.sh", "Deploy app", "", "bash")
    assert first["user_name"] == "Admin" and first["build_task"] is None
    assert "secret" not in first and "hosts_limit" not in first and "limit" in first
    assert [t["id"] for t in admin_client.get(f"{project.url}/tasks?before={ids[2]}").get_json()] == ids[1::-1]
    assert [t["id"] for t in admin_client.get(f"{project.url}/tasks/last?limit=3").get_json()] == ids[:0:-1]
    last = admin_client.get(f"{project.url}/tasks/last?limit=1&before={ids[3]}").get_json()
    assert [t["id"] for t in last] == [ids[2]]
    assert len(admin_client.get(f"{project.url}/tasks/last").get_json()) == 4
    for bad in ("0", "201", "x"):
        assert_refused(admin_client, "GET", f"{project.url}/tasks/last?limit={bad}", None, "limit")
    assert_refused(admin_client, "GET", f"{project.url}/tasks?before={2**70}", None, "before")
    other = create_project(app, admin_client, "Other")
    assert admin_client.get(f"{other.url}/tasks").get_json() == []
    assert admin_client.get(f"{other.url}/tasks/{ids[0]}").status_code == 404
    for url in (f"{project.url}/tasks/{2**70}", f"{project.url}/templates/{2**70}", f"/api/project/{2**70}/tasks"):
        assert admin_client.get(url).status_code == 404, url


def test_output_is_ordered_by_seq_and_pages(app, admin_client, project, template):
    task = run_task(admin_client, project, template["id"])
    add_output(app, task["id"], [f"line {n}" for n in range(1, 8)])
    url = f"{project.url}/tasks/{task['id']}/output"
    lines = admin_client.get(url).get_json()
    assert [line["output"] for line in lines] == [f"line {n}" for n in range(1, 8)]
    assert set(lines[0]) == {"task_id", "task", "time", "output", "seq"}
    assert lines[0]["task"] == "" and lines[0]["task_id"] == task["id"] and lines[0]["seq"] == 1
    page = admin_client.get(f"{url}?after=2&limit=3").get_json()
    assert [line["seq"] for line in page] == [3, 4, 5]
    assert [line["seq"] for line in admin_client.get(f"{url}?after=5").get_json()] == [6, 7]
    assert admin_client.get(f"{url}?after=7").get_json() == []
    assert_refused(admin_client, "GET", f"{url}?limit=0", None, "limit")
    assert_refused(admin_client, "GET", f"{url}?after={2**70}", None, "after")
    assert admin_client.get(f"{project.url}/tasks/999999/output").status_code == 404


def test_stop(app, admin_client, project, template):
    url = f"{project.url}/tasks"
    waiting = run_task(admin_client, project, template["id"])
    assert admin_client.post(f"{url}/{waiting['id']}/stop", json={"force": False}).status_code == 204
    stopped = admin_client.get(f"{url}/{waiting['id']}").get_json()
    assert stopped["status"] == "stopped" and stopped["end"] is not None
    assert_refused(admin_client, "POST", f"{url}/{waiting['id']}/stop", {"force": True}, None)

    running = run_task(admin_client, project, template["id"])
    set_task_status(app, running["id"], "running")
    assert admin_client.post(f"{url}/{running['id']}/stop", json={}).status_code == 204
    assert admin_client.get(f"{url}/{running['id']}").get_json()["status"] == "stopping"
    assert admin_client.post(f"{url}/{running['id']}/stop").status_code == 204  # asking again changes nothing
    assert admin_client.get(f"{url}/{running['id']}").get_json()["status"] == "stopping"
    assert admin_client.post(f"{url}/{running['id']}/stop", json={"force": True}).status_code == 204
    assert admin_client.get(f"{url}/{running['id']}").get_json()["status"] == "stopped"

    forced = run_task(admin_client, project, template["id"])
    set_task_status(app, forced["id"], "running")
    assert admin_client.post(f"{url}/{forced['id']}/stop", json={"force": True}).status_code == 204
    assert admin_client.get(f"{url}/{forced['id']}").get_json()["status"] == "stopped"

    assert_refused(admin_client, "POST", f"{url}/{forced['id']}/stop", {"force": "hard"}, "force")
    assert admin_client.post(f"{url}/999999/stop", json={}).status_code == 404
    assert f"Task ID {waiting['id']} (Deploy app) finished - STOPPED" in events(app, project.id)
    assert f"Task ID {running['id']} (Deploy app) is stopping" in events(app, project.id)


def test_confirm(app, admin_client, project, template):
    url = f"{project.url}/tasks"
    task = run_task(admin_client, project, template["id"])
    error = assert_refused(admin_client, "POST", f"{url}/{task['id']}/confirm", None, None)
    assert error["error"] == "task is not waiting for confirmation"
    set_task_status(app, task["id"], "waiting_confirmation")
    assert admin_client.post(f"{url}/{task['id']}/confirm").status_code == 204
    assert admin_client.get(f"{url}/{task['id']}").get_json()["status"] == "confirmed"
    assert_refused(admin_client, "POST", f"{url}/{task['id']}/confirm", None, None)
    assert events(app, project.id)[-1] == f"Task ID {task['id']} (Deploy app) is confirmed"


def test_delete_only_finished_tasks_and_their_output(app, admin_client, project, template):
    url = f"{project.url}/tasks"
    task = run_task(admin_client, project, template["id"])
    add_output(app, task["id"], ["a", "b"])
    response = admin_client.delete(f"{url}/{task['id']}")
    assert response.status_code == 409
    for status in ("running", "stopping", "waiting_confirmation"):
        set_task_status(app, task["id"], status)
        assert admin_client.delete(f"{url}/{task['id']}").status_code == 409
    set_task_status(app, task["id"], "success")
    assert admin_client.delete(f"{url}/{task['id']}").status_code == 204
    assert admin_client.get(f"{url}/{task['id']}").status_code == 404
    assert query(app, "SELECT COUNT(*) FROM task__output")[0][0] == 0
    assert events(app, project.id)[-1] == f"Task ID {task['id']} deleted"


def test_roles(app, admin_client, project, template):
    url = f"{project.url}/tasks"
    guest = member_client(app, admin_client, project, "guest", "guest")
    runner = member_client(app, admin_client, project, "runner", "task_runner")
    assert guest.post(url, json={"template_id": template["id"]}).status_code == 403
    task = run_task(runner, project, template["id"])
    assert task["user_id"] == user_id(app, "runner")
    assert guest.get(url).status_code == 200 and guest.get(f"{url}/{task['id']}/output").status_code == 200
    assert guest.post(f"{url}/{task['id']}/stop", json={}).status_code == 403
    assert runner.post(f"{url}/{task['id']}/stop", json={}).status_code == 204
    assert runner.delete(f"{url}/{task['id']}").status_code == 403
    assert admin_client.delete(f"{url}/{task['id']}").status_code == 204
    assert admin_client.get(f"{url}").get_json() == []
    outsider = member_client(app, admin_client, create_project(app, admin_client, "Elsewhere"), "outsider", "owner")
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, json={"template_id": template["id"]}).status_code == 404
