"""Terraform templates end to end on the real `semaphore server` process with the real terraform
plugin and the venv's Terraform 1.0.3 (the plugin's ``test`` extra; the server's ``PATH`` starts
with the venv's bin directory, as another Terraform may be installed elsewhere): a plan waits for
confirmation, is confirmed over HTTP and applied; the next plan is rejected over HTTP and never
applied. The configuration holds only variables and outputs, so nothing is downloaded."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from live_server import ADMIN, Api, git_repository
from process_helpers import ServerProcess

VENV_BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")

MAIN_TF = """\
variable "greeting" {
  type = string
}
variable "replicas" {
  type    = number
  default = 1
}
output "message" {
  value = "${var.greeting}, world (${var.replicas + 1} replicas)"
}
"""


@pytest.fixture
def server(tmp_path):
    assert (VENV_BIN / "terraform").exists(), "pip install -e plugins/terraform[test]"
    path = os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", os.defpath)])
    process = ServerProcess(tmp_path, env={**ADMIN, "PATH": path}).start()
    yield process
    process.stop()


def text(api: Api, pid: int, task_id: int) -> str:
    return ANSI.sub("", "\n".join(api.output(pid, task_id)))


def test_a_plan_is_confirmed_and_applied_and_a_rejected_plan_is_never_applied(server, tmp_path):
    api = Api.logged_in(server.url)
    url = git_repository(tmp_path / "infra", {"main.tf": MAIN_TF})
    pid = api.created("/api/projects", {"name": "Infra"})["id"]
    key = api.created(f"/api/project/{pid}/keys", {"name": "none", "type": "none", "project_id": pid})
    repository = api.created(f"/api/project/{pid}/repositories", {
        "name": "infra", "git_url": url, "git_branch": "main", "ssh_key_id": key["id"], "project_id": pid})
    workspace = api.created(f"/api/project/{pid}/inventory", {
        "name": "production", "type": "terraform-workspace", "inventory": "prod", "project_id": pid})
    environment = api.created(f"/api/project/{pid}/environment", {
        "name": "vars", "project_id": pid, "json": '{"greeting": "hello", "replicas": 2}', "env": "{}"})
    template = api.created(f"/api/project/{pid}/templates", {
        "name": "infra", "app": "terraform", "playbook": "", "project_id": pid, "repository_id": repository["id"],
        "inventory_id": workspace["id"], "environment_id": environment["id"]})
    tasks = f"/api/project/{pid}/tasks"

    # a task asking for more than the template allows is refused, naming params
    status, error = api("POST", tasks, {"template_id": template["id"], "params": {"destroy": True}})
    assert status == 400 and "params" in json.dumps(error) and "allow_destroy" in json.dumps(error), error

    first = api.created(tasks, {"template_id": template["id"]})
    api.wait_for_status(pid, first["id"], {"waiting_confirmation"})
    planned = text(api, pid, first["id"])
    assert "Workspace 'prod' does not exist yet: creating it" in planned
    assert '"hello, world (3 replicas)"' in planned  # the number stayed a number
    assert "Apply complete!" not in planned
    assert api("POST", f"{tasks}/{first['id']}/confirm") == (204, None)
    api.wait_for_status(pid, first["id"], {"success"})
    applied = text(api, pid, first["id"])
    assert 'message = "hello, world (3 replicas)"' in applied.split("Apply complete!")[1]

    state = tmp_path / "work" / "templates" / str(template["id"]) / "terraform" / "%2F" / "state"
    prod_state = state / "terraform.tfstate.d" / "prod" / "terraform.tfstate"
    assert json.loads(prod_state.read_text())["outputs"]["message"]["value"] == "hello, world (3 replicas)"

    # the task's variables change the plan; the plan is rejected and nothing is applied
    second = api.created(tasks, {"template_id": template["id"], "environment": '{"greeting": "bye"}'})
    api.wait_for_status(pid, second["id"], {"waiting_confirmation"})
    assert '"hello, world (3 replicas)" -> "bye, world (3 replicas)"' in text(api, pid, second["id"])
    assert api("POST", f"{tasks}/{second['id']}/reject") == (204, None)
    api.wait_for_status(pid, second["id"], {"rejected"})
    rejected = text(api, pid, second["id"])
    assert "terraform apply" not in rejected and "Apply complete!" not in rejected
    assert json.loads(prod_state.read_text())["outputs"]["message"]["value"] == "hello, world (3 replicas)"
