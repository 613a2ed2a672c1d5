"""Managing runners through the admin API (/api/runners) and a project's (/api/project/{id}/runners),
on every database: registration tokens made there, the status a runner shows (online, last seen,
version, running tasks, tags, apps), changes, enable and disable, cache clean, removal. No answer
ever carries a runner token or its hash."""

from __future__ import annotations

from datetime import timedelta

from runner_helpers import registration_body
from sqlalchemy import select

from semaphore.db.models import Runner, Task, Template
from semaphore.db.types import utcnow
from semaphore.testing import create_user_row, log_in

URL = "/api/internal/runners"


def _register(app, client, path="/api/runners", **fields):
    """Make a one-time token through ``path`` and register a runner with it: (runner id, token)."""
    made = client.post(path, json={"name": fields.pop("name", "")})
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    assert answer["command"] == (f"echo {answer['token']} | semaphore runner register --stdin-registration-token "
                                 "--config /path/to/runner/config.json")
    registered = app.test_client().post(URL, json=registration_body(answer["token"], **fields))
    assert registered.status_code == 200, registered.get_json()
    return registered.get_json()["id"], registered.get_json()["token"]


def _no_secrets(answer, *tokens):
    text = str(answer)
    assert "token" not in text and "public_key" not in text
    for token in tokens:
        assert token not in text


def test_an_admin_adds_lists_changes_and_removes_a_runner(app, admin_client):
    runner_id, token = _register(app, admin_client, name="build box", tags=["linux", "docker"], apps=["bash", "python"])
    listed = admin_client.get("/api/runners")
    assert listed.status_code == 200
    (runner,) = listed.get_json()
    _no_secrets(listed.get_json(), token)
    assert runner["id"] == runner_id and runner["project_id"] is None and runner["name"] == "build box"
    assert runner["tags"] == ["linux", "docker"] and runner["tag"] == "linux" and runner["apps"] == ["bash", "python"]
    assert runner["online"] is True and runner["running_tasks"] == 0 and runner["version"] == "1.0"
    assert runner["active"] is True and runner["max_parallel_tasks"] == 2 and runner["touched"]

    assert admin_client.put(f"/api/runners/{runner_id}", json={"name": "renamed", "tags": ["arm"],
                                                               "max_parallel_tasks": 4}).status_code == 204
    assert admin_client.post(f"/api/runners/{runner_id}/active", json={"active": False}).status_code == 204
    assert admin_client.post(f"/api/runners/{runner_id}/cache").status_code == 204
    runner = admin_client.get(f"/api/runners/{runner_id}").get_json()
    assert (runner["name"], runner["tags"], runner["tag"], runner["max_parallel_tasks"], runner["active"],
            runner["cleaning_requested"]) == ("renamed", ["arm"], "arm", 4, False, True)

    assert admin_client.delete(f"/api/runners/{runner_id}").status_code == 204
    assert admin_client.get(f"/api/runners/{runner_id}").get_json() == {"error": "Runner not found"}
    refused = app.test_client().delete(URL, headers={"X-Runner-Token": token})
    assert refused.status_code == 401 and set(refused.get_json()) == {"error"}


def test_a_runner_that_stops_polling_is_offline_and_its_unfinished_tasks_count(app, admin_client, project):
    runner_id, _token = _register(app, admin_client)
    with app.extensions["semaphore"].db.session() as db:
        template = Template(name="t", project_id=project.id, playbook="x", repository_id=project.repository_id,
                            inventory_id=project.inventory_id, environment_id=project.environment_id)
        db.add(template)
        db.flush()
        for status in ("running", "starting", "success", "waiting"):
            db.add(Task(project_id=project.id, template_id=template.id, status=status, message="",
                        runner_id=runner_id if status != "waiting" else None))
        db.get(Runner, runner_id).touched = utcnow() - timedelta(seconds=31)  # offline_timeout_sec is 30
        db.commit()
    runner = admin_client.get(f"/api/runners/{runner_id}").get_json()
    assert runner["online"] is False and runner["running_tasks"] == 2


def test_project_managers_manage_their_projects_runners_only(app, admin_client, project):
    user_id = create_user_row(app, "mira")
    added = admin_client.post(f"/api/project/{project.id}/users", json={"user_id": user_id, "role": "manager"})
    assert added.status_code < 300, added.get_json()
    manager = log_in(app.test_client(), "mira")
    base = f"/api/project/{project.id}/runners"
    runner_id, token = _register(app, manager, base, name="project box")
    global_id, _ = _register(app, admin_client)
    listed = manager.get(base).get_json()
    _no_secrets(listed, token)
    assert [(r["id"], r["project_id"], r["name"]) for r in listed] == [(runner_id, project.id, "project box")]
    assert manager.get(f"{base}/{global_id}").status_code == 404  # a global runner is not the project's
    assert manager.delete(f"{base}/{global_id}").status_code == 404
    assert manager.get("/api/runners").status_code == 403
    assert {r["id"] for r in admin_client.get("/api/runners").get_json()} == {runner_id, global_id}
    assert manager.post(f"{base}/{runner_id}/active", json={"active": False}).status_code == 204
    assert manager.delete(f"{base}/{runner_id}").status_code == 204
    with app.extensions["semaphore"].db.session() as db:
        assert [r.id for r in db.scalars(select(Runner))] == [global_id]


def test_an_update_naming_another_runner_is_refused(app, admin_client):
    runner_id, _ = _register(app, admin_client, name="one")
    response = admin_client.put(f"/api/runners/{runner_id}", json={"id": runner_id + 1, "name": "two"})
    assert response.status_code == 400 and response.get_json()["field"] == "id"
    assert admin_client.get(f"/api/runners/{runner_id}").get_json()["name"] == "one"
