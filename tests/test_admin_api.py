"""The original's admin endpoints, on every database: the task queue of every project
(/api/tasks), app settings stored as options (/api/apps/{id}) and the options themselves
(/api/options)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from task_helpers import (
    assert_refused,
    create_project,
    create_template,
    member_client,
    query,
    run_task,
    set_task_status,
    user_id,
)

from semaphore.db.models import Option
from semaphore.services.apps import app_settings
from semaphore.state import app_state
from semaphore.testing import create_user_row, log_in


@pytest.fixture
def app(script_app):
    return script_app


def options(app):
    with app.extensions["semaphore"].db.session() as db:
        return dict(db.execute(select(Option.key, Option.value)).all())


# -- the task queue ----------------------------------------------------------------------------

def test_the_queue_lists_queued_and_running_tasks_of_every_project(app, admin_client, project):
    other = create_project(app, admin_client, "Other")
    runner = member_client(app, admin_client, other, "runner", "task_runner")
    waiting = run_task(admin_client, project, create_template(admin_client, project)["id"])
    running = run_task(runner, other, create_template(admin_client, other)["id"])
    finished = run_task(admin_client, project, create_template(admin_client, project, name="Done")["id"])
    set_task_status(app, running["id"], "running")
    set_task_status(app, finished["id"], "success")
    queue = admin_client.get("/api/tasks").get_json()
    assert queue == [
        {"task_id": waiting["id"], "project_id": project.id, "username": "admin", "runner_id": None,
         "status": "waiting", "location": "queue"},
        {"task_id": running["id"], "project_id": other.id, "username": "runner", "runner_id": None,
         "status": "running", "location": "running"}]
    # One task's entry (the original answered the whole list here).
    assert admin_client.get(f"/api/tasks/{running['id']}").get_json() == queue[1]
    assert admin_client.get(f"/api/tasks/{finished['id']}").status_code == 404
    assert admin_client.get("/api/tasks/999999").status_code == 404


def test_deleting_a_queue_entry_stops_the_task(app, admin_client, project):
    template = create_template(admin_client, project, allow_parallel_tasks=True)
    waiting, running, finished = (run_task(admin_client, project, template["id"]) for _ in range(3))
    set_task_status(app, running["id"], "running")
    set_task_status(app, finished["id"], "error")
    for task in (waiting, running, finished):
        assert admin_client.delete(f"/api/tasks/{task['id']}").status_code == 204
    status = dict(query(app, "SELECT id, status FROM task"))
    assert (status[waiting["id"]], status[running["id"]], status[finished["id"]]) == ("stopped", "stopping", "error")
    assert admin_client.delete("/api/tasks/999999").status_code == 404
    stopped_by = query(app, "SELECT user_id FROM event WHERE description = :text",
                       text=f"Task ID {waiting['id']} (Deploy app) finished - STOPPED")
    assert stopped_by == [(user_id(app, "admin"),)]


def test_the_queue_is_for_admins_only(app, admin_client, project):
    task = run_task(admin_client, project, create_template(admin_client, project)["id"])
    owner = member_client(app, admin_client, project, "owner", "owner")
    for method, path in (("GET", "/api/tasks"), ("GET", f"/api/tasks/{task['id']}"),
                         ("DELETE", f"/api/tasks/{task['id']}")):
        assert owner.open(path, method=method).status_code == 403
        assert app.test_client().open(path, method=method).status_code == 401
    assert query(app, "SELECT status FROM task") == [("waiting",)]


# -- apps ----------------------------------------------------------------------------------------

def listed(client, app_id):
    return {entry["id"]: entry for entry in client.get("/api/apps").get_json()}.get(app_id)


def test_app_settings_are_stored_as_options_and_override_the_executor(app, admin_client):
    assert admin_client.get("/api/apps/bash").get_json()["title"] == "Script"  # the executor's
    body = {"title": "Shell", "priority": 5, "active": True, "path": "/opt/bash5/bin/bash", "args": ["-x", "-e"],
            "icon": "", "id": "bash", "installed": True}  # read-only fields a client copies are ignored
    assert admin_client.put("/api/apps/bash", json=body).status_code == 204
    assert options(app) == {"apps.bash.active": "true", "apps.bash.args": '["-x", "-e"]',
                            "apps.bash.path": "/opt/bash5/bin/bash", "apps.bash.priority": "5",
                            "apps.bash.title": "Shell"}
    expected = {"id": "bash", "title": "Shell", "installed": True, "active": True, "priority": 5, "icon": "",
                "color": "", "dark_color": "", "path": "/opt/bash5/bin/bash", "args": ["-x", "-e"],
                "plugin": "script_executor"}
    assert admin_client.get("/api/apps/bash").get_json() == expected
    create_user_row(app, "user")
    user = log_in(app.test_client(), "user")
    assert listed(user, "bash") == expected
    with app.app_context(), app_state(app).db.session() as db:  # what a run of a bash template uses
        assert app_settings(db, app_state(app).config)["bash"]["args"] == ["-x", "-e"]

    assert admin_client.post("/api/apps/bash/active", json={"active": False}).status_code == 204
    assert listed(user, "bash")["active"] is False
    # Empty values remove their options: the executor's title is back.
    assert admin_client.post("/api/apps/bash", json={"title": "", "args": []}).status_code == 204
    assert listed(user, "bash")["title"] == "Script" and listed(user, "bash")["args"] == []
    assert admin_client.delete("/api/apps/bash").status_code == 204
    assert options(app) == {}
    assert listed(user, "bash")["active"] is True and listed(user, "bash")["priority"] == 700


def test_an_app_without_an_installed_executor(app, admin_client, project):
    """Settings of an app whose plugin is not installed are kept (for when it is), listed with
    installed false and never active; its templates cannot run."""
    assert admin_client.get("/api/apps/pulumi").status_code == 404
    assert admin_client.put("/api/apps/pulumi", json={"title": "Pulumi", "active": True}).status_code == 204
    entry = admin_client.get("/api/apps/pulumi").get_json()
    assert (entry["title"], entry["installed"], entry["active"], entry["plugin"]) == ("Pulumi", False, False, None)
    template = create_template(admin_client, project, app="pulumi", playbook="")
    error = assert_refused(admin_client, "POST", f"{project.url}/tasks", {"template_id": template["id"]},
                           "template_id")
    assert "no executor for app 'pulumi' is installed" in error["error"]
    assert admin_client.delete("/api/apps/pulumi").status_code == 204
    assert admin_client.get("/api/apps/pulumi").status_code == 404


def test_bad_app_settings_name_the_field_and_write_nothing(app, admin_client):
    for body, field in [({"priority": "high"}, "priority"), ({"priority": 2**40}, "priority"),
                        ({"args": "-x"}, "args"), ({"args": [1]}, "args.0"), ({"active": "maybe"}, "active"),
                        ({"title": "t" * 1001}, "title"), ({"path": ["/bin/sh"]}, "path")]:
        assert_refused(admin_client, "PUT", "/api/apps/bash", body, field)
    assert_refused(admin_client, "POST", "/api/apps/bash/active", {}, "active")
    assert_refused(admin_client, "POST", "/api/apps/bash/active", {"active": "yes please"}, "active")
    assert_refused(admin_client, "PUT", "/api/apps/no.dots", {"title": "x"}, "app_id")
    assert_refused(admin_client, "DELETE", "/api/apps/" + "a" * 51, None, "app_id")
    assert options(app) == {}


def test_a_bad_stored_option_is_ignored(app, admin_client):
    for key, value in (("apps.bash.priority", "high"), ("apps.bash.args", "-x"), ("apps.bash.active", "yes")):
        assert admin_client.post("/api/options", json={"key": key, "value": value}).status_code == 200
    entry = admin_client.get("/api/apps/bash").get_json()
    assert (entry["priority"], entry["args"], entry["active"]) == (700, [], True)


def test_app_changes_are_for_admins_only(app, admin_client, project):
    owner = member_client(app, admin_client, project, "owner", "owner")
    for method, path, body in (("GET", "/api/apps/bash", None), ("PUT", "/api/apps/bash", {"title": "x"}),
                               ("POST", "/api/apps/bash", {"title": "x"}),
                               ("POST", "/api/apps/bash/active", {"active": False}),
                               ("DELETE", "/api/apps/bash", None)):
        assert owner.open(path, method=method, json=body).status_code == 403
    assert options(app) == {}


# -- options -------------------------------------------------------------------------------------

def test_options_are_upserted_and_listed(app, admin_client):
    assert admin_client.get("/api/options").get_json() == {}
    answer = admin_client.post("/api/options", json={"key": "apps.ansible.priority", "value": "10"})
    assert answer.status_code == 200 and answer.get_json() == {"key": "apps.ansible.priority", "value": "10"}
    admin_client.post("/api/options", json={"key": "apps.ansible.priority", "value": "20"})
    admin_client.post("/api/options", json={"key": "some_setting", "value": ""})
    assert admin_client.get("/api/options").get_json() == {"apps.ansible.priority": "20", "some_setting": ""}


def test_bad_options_name_the_field_and_write_nothing(app, admin_client):
    for body, field in [({"value": "1"}, "key"), ({"key": "", "value": "1"}, "key"),
                        ({"key": "a b", "value": "1"}, "key"), ({"key": "a/b", "value": "1"}, "key"),
                        ({"key": "a\n", "value": "1"}, "key"), ({"key": "é", "value": "1"}, "key"),
                        ({"key": "k" * 256, "value": "1"}, "key"), ({"key": "k"}, "value"),
                        ({"key": "k", "value": 1}, "value"), ({"key": "k", "value": "v" * 1001}, "value")]:
        assert_refused(admin_client, "POST", "/api/options", body, field)
    assert options(app) == {}


def test_options_are_for_admins_only(app, admin_client, project):
    owner = member_client(app, admin_client, project, "owner", "owner")
    assert owner.get("/api/options").status_code == 403
    assert owner.post("/api/options", json={"key": "k", "value": "v"}).status_code == 403
    assert app.test_client().get("/api/options").status_code == 401
    assert options(app) == {}
