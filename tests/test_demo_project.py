"""The demo project (POST /api/projects {"demo": true}, as the original's UI sends): built from the
repository packaged with the server, and every template of it runs (real ansible-playbook, bash and
python on the real server process)."""

from __future__ import annotations

import time

import pytest
from account_helpers import create_project, user_client
from live_server import ADMIN, Api
from process_helpers import ServerProcess

from semaphore.demo import repository_path


def test_a_demo_project_has_the_packaged_repository_an_inventory_and_templates(app, admin_client):
    response = admin_client.post("/api/projects", json={"name": "Demo", "demo": True})
    assert response.status_code == 201, response.get_json()
    p = f"/api/project/{response.get_json()['id']}"
    [none_key] = admin_client.get(f"{p}/keys").get_json()
    [empty] = admin_client.get(f"{p}/environment").get_json()
    [repository] = admin_client.get(f"{p}/repositories").get_json()
    [inventory] = admin_client.get(f"{p}/inventory").get_json()
    assert (none_key["name"], empty["name"], empty["json"]) == ("None", "Empty", "{}")
    assert (repository["git_url"], repository["ssh_key_id"]) == (str(repository_path()), none_key["id"])
    assert inventory["type"] == "static" and "ansible_connection=local" in inventory["inventory"]
    templates = {t["name"]: t for t in admin_client.get(f"{p}/templates").get_json()}
    assert {name: (t["app"], t["playbook"]) for name, t in templates.items()} == {
        "Ping localhost": ("ansible", "ping.yml"), "Build": ("ansible", "build.yml"),
        "Deploy": ("ansible", "deploy.yml"), "Hello from Bash": ("bash", "hello.sh"),
        "Hello from Python": ("python", "hello.py")}
    assert all((repository_path() / t["playbook"]).is_file() for t in templates.values())
    assert templates["Deploy"]["build_template_id"] == templates["Build"]["id"] and templates["Deploy"]["autorun"]
    assert admin_client.post("/api/projects", json={"name": "Plain", "demo": False}).status_code == 201
    assert len(admin_client.get("/api/projects").get_json()) == 2


def test_a_demo_project_needs_the_right_to_create_projects(app, admin_client):
    create_project(admin_client, "Existing")
    client, _ = user_client(app, "carol")
    assert client.post("/api/projects", json={"name": "Demo", "demo": True}).status_code == 403


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path, env=dict(ADMIN)).start()
    yield process
    process.stop()


def test_every_demo_template_runs(server):
    api = Api.logged_in(server.url)
    pid = api.created("/api/projects", {"name": "Demo", "demo": True})["id"]
    status, templates = api("GET", f"/api/project/{pid}/templates")
    assert status == 200
    by_name = {t["name"]: t["id"] for t in templates}
    expected = {"Ping localhost": "Hello from localhost", "Build": "Building version 1.0.0",
                "Hello from Bash": "Hello from Bash", "Hello from Python": "Hello from Python"}
    for name, text in expected.items():
        task = api.created(f"/api/project/{pid}/tasks", {"template_id": by_name[name]})
        finished = api.wait_for_status(pid, task["id"], {"success", "error"}, timeout=120)
        lines = api.output(pid, task["id"])
        assert finished["status"] == "success", (name, lines)
        assert any(text in line for line in lines), (name, lines)
    deploy = _autorun_task(api, pid, by_name["Deploy"])
    assert api.wait_for_status(pid, deploy, {"success", "error"}, timeout=120)["status"] == "success"
    assert any("Deploying version 1.0.0" in line for line in api.output(pid, deploy))


def _autorun_task(api: Api, pid: int, template_id: int, timeout: float = 60) -> int:
    """The task the successful build started for the deploy template."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, tasks = api("GET", f"/api/project/{pid}/templates/{template_id}/tasks")
        assert status == 200, tasks
        if tasks:
            return int(tasks[0]["id"])
        time.sleep(0.2)
    raise AssertionError("the build did not start its deploy template")
