"""Two real `semaphore server` processes on one PostgreSQL or MariaDB database (the same keys),
each a node: ``kill -9`` of the node running a task ends the task as ``error`` with its output
kept within the node timeout while the other node keeps working, and a drained node finishes its
running task, leaves new ones to the other node and then says it is drained."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import ADMIN, Api, git_repository
from process_helpers import ServerProcess
from sqlalchemy import select

from semaphore.cluster.nodes import HEARTBEAT_SECONDS, NODE_TIMEOUT_SECONDS
from semaphore.db.engine import create_db_engine
from semaphore.db.models import Task
from semaphore.testing import TEST_KEY, make_config

pytestmark = pytest.mark.parametrize("dialect", ["postgres", "mysql"], indirect=True)

HOLD_SH = """\
echo $$ > "$HOLD_PID_FILE"
echo "holding"
while [ ! -e "$RELEASE_FILE" ]; do sleep 0.1; done
echo "released"
"""
QUICK_SH = "echo quick task ran\n"


class Cluster:
    def __init__(self, tmp_path: Path, database_env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        env = {**ADMIN, **database_env, "SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY, "SEMAPHORE_COOKIE_HASH": TEST_KEY}
        self.servers = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            self.servers.append(ServerProcess(tmp_path / name, env=env).start())
        self.database = create_db_engine(make_config(tmp_path, database_env))

    def close(self) -> None:
        for server in self.servers:
            if server.process is not None and server.process.poll() is None:
                server.stop()
        self.database.dispose()
        hold = self.tmp_path / "hold.pid"
        if hold.exists():
            with contextlib.suppress(ProcessLookupError):  # it ended, or was never started
                os.killpg(int(hold.read_text()), signal.SIGKILL)

    def claimed_by(self, task_id: int) -> str | None:
        with self.database.connect() as conn:
            return conn.scalar(select(Task.claimed_by).where(Task.id == task_id))

    def server_of(self, node: dict[str, Any]) -> ServerProcess:
        """The server process whose worker is the node."""
        parent = int(Path(f"/proc/{node['pid']}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return next(server for server in self.servers if server.process.pid == parent)


@pytest.fixture
def cluster(tmp_path: Path, database_env: dict[str, str]) -> Iterator[Cluster]:
    started = Cluster(tmp_path, database_env)
    yield started
    started.close()


def set_up(api: Api, tmp_path: Path) -> tuple[int, dict[str, int]]:
    """A project with the templates "hold" (runs until the release file exists) and "quick"."""
    url = git_repository(tmp_path / "scripts", {"hold.sh": HOLD_SH, "quick.sh": QUICK_SH})
    pid = api.created("/api/projects", {"name": "Nodes"})["id"]
    key = api.created(f"/api/project/{pid}/keys", {"name": "none", "type": "none", "project_id": pid})
    repository = api.created(f"/api/project/{pid}/repositories", {
        "name": "scripts", "git_url": url, "git_branch": "main", "ssh_key_id": key["id"], "project_id": pid})
    inventory = api.created(f"/api/project/{pid}/inventory", {
        "name": "local", "type": "static", "inventory": "localhost", "project_id": pid})
    environment = api.created(f"/api/project/{pid}/environment", {
        "name": "vars", "project_id": pid, "json": "{}",
        "env": f'{{"HOLD_PID_FILE": "{tmp_path}/hold.pid", "RELEASE_FILE": "{tmp_path}/release"}}'})
    templates = {name: api.created(f"/api/project/{pid}/templates", {
        "name": name, "app": "bash", "playbook": f"{name}.sh", "project_id": pid, "repository_id": repository["id"],
        "inventory_id": inventory["id"], "environment_id": environment["id"]})["id"] for name in ("hold", "quick")}
    return pid, templates


def nodes(api: Api) -> dict[str, dict[str, Any]]:
    status, listed = api("GET", "/api/nodes")
    assert status == 200, listed
    return {node["id"]: node for node in listed}


def wait_for_nodes(api: Api, check: Any, timeout: float = 30) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while not check(found := nodes(api)):
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    return found


def test_kill_9_of_the_node_running_a_task_ends_it_as_error_and_the_other_node_keeps_working(cluster, tmp_path):
    apis = [Api.logged_in(server.url) for server in cluster.servers]
    wait_for_nodes(apis[0], lambda found: sum(node["online"] for node in found.values()) == 2)
    pid, templates = set_up(apis[0], tmp_path)
    held = apis[0].created(f"/api/project/{pid}/tasks", {"template_id": templates["hold"]})
    apis[0].wait_for_output(pid, held["id"], "holding")
    holder = nodes(apis[0])[cluster.claimed_by(held["id"])]
    victim = cluster.server_of(holder)
    survivor = apis[1 - cluster.servers.index(victim)]

    os.killpg(victim.process.pid, signal.SIGKILL)  # master and worker; the task has its own session
    victim.process.wait()
    killed = time.monotonic()
    quick = survivor.created(f"/api/project/{pid}/tasks", {"template_id": templates["quick"]})
    survivor.wait_for_status(pid, quick["id"], {"success"}, timeout=30)  # not held up by the dead node

    crashed = survivor.wait_for_status(pid, held["id"], {"error"}, timeout=NODE_TIMEOUT_SECONDS + 30)
    took = time.monotonic() - killed
    assert took <= NODE_TIMEOUT_SECONDS + HEARTBEAT_SECONDS + 3, took  # the timeout, then one sweep
    assert crashed["end"]
    lines = survivor.output(pid, held["id"])
    assert "holding" in lines  # the stored output is kept
    assert lines[-1] == (f"Task interrupted: the server process running it (node {holder['id']}) stopped "
                         "before the task finished.")
    assert lines.count(lines[-1]) == 1
    after = nodes(survivor)
    assert after[holder["id"]]["online"] is False and after[holder["id"]]["running_tasks"] == 0
    again = survivor.created(f"/api/project/{pid}/tasks", {"template_id": templates["quick"]})
    assert "quick task ran" in survivor.wait_for_output(pid, again["id"], "quick task ran")


def test_a_drained_node_finishes_its_task_leaves_new_ones_to_the_other_node_and_says_so(cluster, tmp_path):
    apis = [Api.logged_in(server.url) for server in cluster.servers]
    wait_for_nodes(apis[0], lambda found: sum(node["online"] for node in found.values()) == 2)
    pid, templates = set_up(apis[0], tmp_path)
    held = apis[0].created(f"/api/project/{pid}/tasks", {"template_id": templates["hold"]})
    apis[0].wait_for_output(pid, held["id"], "holding")
    draining_id = cluster.claimed_by(held["id"])
    draining = cluster.servers.index(cluster.server_of(nodes(apis[0])[draining_id]))
    other = 1 - draining

    assert apis[other]("POST", f"/api/nodes/{draining_id}/drain", {"draining": True}) == (204, None)
    # Queued through the draining node itself: the other node runs it.
    quick = apis[draining].created(f"/api/project/{pid}/tasks", {"template_id": templates["quick"]})
    apis[draining].wait_for_status(pid, quick["id"], {"success"}, timeout=30)
    assert cluster.claimed_by(quick["id"]) != draining_id
    listed = nodes(apis[other])[draining_id]
    assert (listed["draining"], listed["drained"], listed["running_tasks"]) == (True, None, 1)

    (tmp_path / "release").touch()
    assert apis[other].wait_for_status(pid, held["id"], {"success"}, timeout=30)
    assert "released" in apis[other].output(pid, held["id"])
    drained = wait_for_nodes(apis[other], lambda found: found[draining_id]["drained"] is not None,
                             timeout=HEARTBEAT_SECONDS + 10)[draining_id]
    assert drained["online"] is True and drained["running_tasks"] == 0
    assert f"node {draining_id} drained" in cluster.servers[draining].stderr

    assert apis[other]("POST", f"/api/nodes/{draining_id}/drain", {"draining": False}) == (204, None)
    assert nodes(apis[draining])[draining_id]["drained"] is None
