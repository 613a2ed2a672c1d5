"""`semaphore server --workers 3` on PostgreSQL and on MariaDB with Redis: each worker is a node
(listed by /api/nodes), and the cluster bus between them makes the websocket work whichever
worker a viewer reached — every viewer sees every line of a task in order and its final update —
and a stop reaches the worker that runs the task at once. On SQLite, several workers are refused
with a message naming the setting."""

from __future__ import annotations

import subprocess
import time

import pytest
from live_server import ADMIN, Api, Viewer, bash_template
from process_helpers import ServerProcess, clean_env, semaphore_argv

from semaphore.testing import TEST_KEY

WORKERS = 3
LINES = 60
COUNT = f'for i in $(seq 1 {LINES}); do echo "line $i"; sleep 0.02; done\n'
SLEEP = 'echo started\nsleep 60\necho never\n'
REDIS = {"SEMAPHORE_HA_ENABLED": "true", "SEMAPHORE_HA_REDIS_ADDR": "127.0.0.1:6379"}


@pytest.fixture
def server(database_env, dialect, tmp_path):
    env = {**database_env, **ADMIN, "SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY, "SEMAPHORE_COOKIE_HASH": TEST_KEY,
           "SEMAPHORE_COOKIE_ENCRYPTION": TEST_KEY, **(REDIS if dialect == "mysql" else {})}
    process = ServerProcess(tmp_path / "server", env=env, server_args=["--workers", str(WORKERS)])
    process.directory.mkdir()
    process.start()
    yield process
    process.stop()


def online_nodes(api: Api, count: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        nodes = [node for node in api("GET", "/api/nodes")[1] if node["online"]]
        if len(nodes) >= count or time.monotonic() > deadline:
            return nodes
        time.sleep(0.2)


@pytest.mark.parametrize("dialect", ["postgres", "mysql"], indirect=True)
def test_every_viewer_sees_every_line_whichever_worker_it_reached(server, tmp_path):
    api = Api.logged_in(server.url)
    assert len(online_nodes(api, WORKERS)) == WORKERS
    pid, template_id = bash_template(api, tmp_path / "scripts", "count.sh", COUNT, project={"name": "Workers"},
                                     template="count")
    viewers = [Viewer(server.url, api.token) for _ in range(2 * WORKERS)]
    try:
        time.sleep(0.5)  # the viewers' subscriptions are in place
        task_id = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})["id"]
        for viewer in viewers:
            seen = viewer.until_finished(task_id, timeout=60)
            lines = [m["output"] for m in seen if m["type"] == "log" and m["output"].startswith("line ")]
            assert lines == [f"line {i}" for i in range(1, LINES + 1)]
            assert seen[-1]["status"] == "success"
    finally:
        for viewer in viewers:
            viewer.close()


@pytest.mark.parametrize("dialect", ["postgres"], indirect=True)
def test_a_stop_reaches_the_worker_running_the_task_at_once(server, tmp_path):
    api = Api.logged_in(server.url)
    online_nodes(api, WORKERS)
    pid, template_id = bash_template(api, tmp_path / "scripts", "sleep.sh", SLEEP, project={"name": "Stop"},
                                     template="sleep")
    for _ in range(3):  # the stop request lands on any worker; most often not the one running the task
        task_id = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})["id"]
        api.wait_for_output(pid, task_id, "started")
        asked = time.monotonic()
        assert api("POST", f"/api/project/{pid}/tasks/{task_id}/stop", {"force": True})[0] == 204
        assert api.wait_for_status(pid, task_id, {"stopped", "error", "success"})["status"] == "stopped"
        assert time.monotonic() - asked < 2.0


def test_several_workers_on_sqlite_are_refused_with_the_setting_named(tmp_path):
    result = subprocess.run([*semaphore_argv(), "--no-config", "server", "--workers", "2"], cwd=tmp_path,
                            env=clean_env(tmp_path, {"SEMAPHORE_PORT": "1"}), capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode != 0
    assert "web_workers: SQLite serves one server process" in result.stderr, result.stderr
