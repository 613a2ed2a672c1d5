"""Tasks end to end on the real `semaphore server` process (SQLite, gunicorn) with the real bash
executor plugin: set up everything over HTTP, run, watch over a real websocket, stop, and crash
the server mid-task with SIGKILL."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from live_server import ADMIN, Api, Viewer, git_repository
from process_helpers import ServerProcess

RUN_SH = """\
echo "hello from $1"
echo "greeting=$GREETING"
echo "token=$API_TOKEN"
for i in $(seq 1 50); do echo "line $i"; done
echo "task id $SEMAPHORE_TASK_ID"
"""

SLOW_SH = """\
echo $$ > "$PID_FILE"
trap 'echo "got TERM, cleaning up"; exit 143' TERM
echo "before the long wait"
sleep 300 &
wait
"""

QUICK_SH = "echo quick task ran\n"


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path, env=dict(ADMIN)).start()
    yield process
    process.stop()


def set_up_project(api: Api, tmp_path: Path) -> dict[str, Any]:
    """A project with a file:// repository of scripts, a key, an inventory, a variable group with a
    secret, and templates for them, all over HTTP."""
    url = git_repository(tmp_path / "scripts", {"run.sh": RUN_SH, "slow.sh": SLOW_SH, "quick.sh": QUICK_SH})
    pid = api.created("/api/projects", {"name": "Engine"})["id"]
    key = api.created(f"/api/project/{pid}/keys", {"name": "none", "type": "none", "project_id": pid})
    repository = api.created(f"/api/project/{pid}/repositories", {
        "name": "scripts", "git_url": url, "git_branch": "main", "ssh_key_id": key["id"], "project_id": pid})
    inventory = api.created(f"/api/project/{pid}/inventory", {
        "name": "local", "type": "static", "inventory": "localhost", "project_id": pid})
    environment = api.created(f"/api/project/{pid}/environment", {
        "name": "vars", "project_id": pid, "json": "{}", "env": '{"GREETING": "hi there", '
                                                             f'"PID_FILE": "{tmp_path}/slow.pid"}}',
        "secrets": [{"type": "env", "name": "API_TOKEN", "secret": "s3cr3t-token-value", "operation": "create"}]})
    templates = {}
    for name in ("run", "slow", "quick"):
        templates[name] = api.created(f"/api/project/{pid}/templates", {
            "name": name, "app": "bash", "playbook": f"{name}.sh", "project_id": pid,
            "repository_id": repository["id"], "inventory_id": inventory["id"],
            "environment_id": environment["id"], "arguments": '["the template"]'})["id"]
    return {"pid": pid, "templates": templates}


def test_a_task_runs_and_its_lines_arrive_over_the_websocket_and_the_output_endpoint(server, tmp_path):
    api = Api.logged_in(server.url)
    project = set_up_project(api, tmp_path)
    pid = project["pid"]
    viewer = Viewer(server.url, api.token)
    try:
        task = api.created(f"/api/project/{pid}/tasks", {"template_id": project["templates"]["run"]})
        messages = viewer.until_finished(task["id"])
    finally:
        viewer.close()

    assert messages[-1]["status"] == "success"
    streamed = [m["output"] for m in messages if m["type"] == "log"]
    stored = api.output(pid, task["id"])
    assert streamed == stored
    assert "hello from the template" in stored
    assert "greeting=hi there" in stored
    assert [line for line in stored if line.startswith("line ")] == [f"line {i}" for i in range(1, 51)]
    assert f"task id {task['id']}" in stored
    # The environment secret reached the script but never the log.
    assert "token=********" in stored
    assert not any("s3cr3t-token-value" in line for line in stored)
    statuses = [m["status"] for m in messages if m["type"] == "update"]
    assert statuses[-2:] == ["running", "success"]
    finished = api.wait_for_status(pid, task["id"], {"success"})
    assert finished["commit_hash"] and finished["start"] and finished["end"]


def test_stopping_a_running_task_signals_its_processes(server, tmp_path):
    api = Api.logged_in(server.url)
    project = set_up_project(api, tmp_path)
    pid = project["pid"]
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": project["templates"]["slow"]})
    api.wait_for_output(pid, task["id"], "before the long wait")

    assert api("POST", f"/api/project/{pid}/tasks/{task['id']}/stop", {"force": False}) == (204, None)
    api.wait_for_status(pid, task["id"], {"stopped"}, timeout=30)
    assert "got TERM, cleaning up" in api.output(pid, task["id"])
    script_pid = int((tmp_path / "slow.pid").read_text())
    assert not _alive(script_pid)


def test_after_the_server_is_killed_mid_task_the_task_ends_as_error_and_waiting_tasks_run(tmp_path):
    server = ServerProcess(tmp_path, env={**ADMIN, "SEMAPHORE_MAX_PARALLEL_TASKS": "1"}).start()
    script_pid = 0
    try:
        api = Api.logged_in(server.url)
        project = set_up_project(api, tmp_path)
        pid = project["pid"]
        slow = api.created(f"/api/project/{pid}/tasks", {"template_id": project["templates"]["slow"]})
        api.wait_for_output(pid, slow["id"], "before the long wait")
        script_pid = int((tmp_path / "slow.pid").read_text())
        quick = api.created(f"/api/project/{pid}/tasks", {"template_id": project["templates"]["quick"]})
        time.sleep(0.5)
        assert api("GET", f"/api/project/{pid}/tasks/{quick['id']}")[1]["status"] == "waiting"

        os.killpg(server.process.pid, signal.SIGKILL)  # master and worker; the task has its own session
        server.process.wait()
        server.start()
        api.url = server.url

        crashed = api.wait_for_status(pid, slow["id"], {"error"}, timeout=30)
        assert crashed["end"]
        lines = api.output(pid, slow["id"])
        assert "before the long wait" in lines  # the stored output is kept
        assert any("Task interrupted" in line and "stopped before the task finished" in line for line in lines)
        api.wait_for_status(pid, quick["id"], {"success"}, timeout=30)
        assert "quick task ran" in api.output(pid, quick["id"])
    finally:
        server.stop()
        if script_pid and _alive(script_pid):
            os.killpg(script_pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not alive; only its parent (the server) could reap it.
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"
