"""Three real `semaphore server` processes on one database behind a real nginx (tests/cluster_helpers.py),
on PostgreSQL and on MariaDB with Redis (``ha.enabled``): what a team running several servers notices.

The cluster is shared by the tests of a backend (module scope: starting it takes about ten
seconds); a test that kills a node starts it again before the next one. When pytest-xdist spreads
the tests of this module over several workers, each worker starts the clusters its tests need.

Timing constants at the top are what today's code needs; the node heartbeat shortens some of them.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cluster_helpers import (
    BACKENDS,
    Cluster,
    Node,
    alive,
    documented_site_config,
    nginx_config,
    ping,
    running_cluster,
    site_config,
)
from live_server import Api, Viewer, bash_template

from semaphore.alerts.testing import WebhookRecorder

# Seconds until the tasks of a killed node end `error`: the node timeout (cluster/nodes.py, 20 s)
# plus a sweep (5 s) plus a margin.
ORPHAN_TIMEOUT = 45
MINUTES = 3  # the schedule test watches this many minute boundaries
MARGIN = 8  # seconds after a minute boundary by which its scheduled task must be queued
STOP_WITHIN = 2.0  # seconds from a stop request through one node to the end of the process on another
NODE_NOTICE = 6  # seconds until a node noticed it was drained or resumed (its heartbeat reads its row)
ALERT_TIMEOUT = 120  # seconds until another node sends the alert a dead node was sending (its claim expires)
LIVE_TIMEOUT = 20  # seconds a viewer waits for a short task's lines and final update

SLACK_PATH = "/services/T000/B000/cluster-alerts"


@pytest.fixture(scope="module")
def slack() -> Iterator[WebhookRecorder]:
    """Where every node sends Slack alerts (only projects with alerts on send any)."""
    with WebhookRecorder() as recorder:
        yield recorder


@pytest.fixture(scope="module", params=list(BACKENDS))
def cluster_once(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 slack: WebhookRecorder) -> Iterator[Cluster]:
    env = {"SEMAPHORE_SCHEDULE_TICK_SECONDS": "1", "SEMAPHORE_SLACK_ALERT": "true",
           "SEMAPHORE_SLACK_URL": slack.url + SLACK_PATH}
    with running_cluster(request.param, tmp_path_factory.mktemp(f"cluster-{request.param}"), env) as cluster:
        yield cluster


@pytest.fixture
def cluster(cluster_once: Cluster) -> Iterator[Cluster]:
    """The backend's cluster with every node up, before and after the test."""
    cluster_once.restore()
    yield cluster_once
    cluster_once.restore()


def create(api: Api, pid: int, template_id: int) -> int:
    return int(api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})["id"])


def test_the_documented_nginx_example_is_a_valid_configuration(tmp_path):
    """docs/high-availability.md's example, with the test's addresses, passes `nginx -t`; it passes
    websocket upgrades and waits longer than the server's ping interval for a quiet websocket."""
    documented = documented_site_config()
    for line in ("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;",
                 "proxy_set_header Host $http_host;", "proxy_read_timeout 1h;"):
        assert line in documented
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(tmp_path, site_config(documented, ["127.0.0.1:1", "127.0.0.1:2"], 8080)))
    checked = subprocess.run(["nginx", "-t", "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "server 127.0.0.1:1;\n        server 127.0.0.1:2;\n    }" in config.read_text()
    assert "listen 127.0.0.1:8080;" in config.read_text() and "10.0.0.11" not in config.read_text()


def test_nginx_spreads_requests_over_every_node_and_passes_websockets(cluster, tmp_path):
    """The documented nginx configuration: round robin over the three nodes, a websocket through it
    upgraded and fed by the node it reached."""
    before = len(cluster.nginx.access_log)
    for _ in range(3 * len(cluster.nodes)):
        assert ping(cluster.url)
    answered = [line.split(" ", 3)[-1] for line in cluster.nginx.access_log[before:] if "/api/ping" in line]
    # Each node answered about a third (nginx passes a request a node failed to the next one).
    assert all(answered.count(node.address) >= 2 for node in cluster.nodes), (answered, cluster.nginx.errors())

    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "hi.sh", "echo hi\n",
                                     project={"name": "Through nginx"}, template="hi")
    # Opened one after another with nothing in between, round robin gives each viewer another node.
    viewers = [Viewer(cluster.url, cluster.api.token) for _ in cluster.nodes]
    try:
        task_id = create(cluster.api, pid, template_id)
        assert cluster.api.wait_for_status(pid, task_id, {"success", "error"})["status"] == "success"
        runner = cluster.node_running(task_id)
        finished = []
        for viewer in viewers:
            with contextlib.suppress(AssertionError):  # a viewer of another node, without the bus
                finished.append(viewer.until_finished(task_id, timeout=5)[-1]["status"])
    finally:
        for viewer in viewers:
            viewer.close()
    assert finished and set(finished) == {"success"}  # at least the viewer of the running node
    time.sleep(0.5)  # nginx logs a websocket when it closed
    upgrades = [line.split()[-1] for line in cluster.nginx.access_log if line.startswith("GET /api/ws 101")]
    assert sorted(upgrades[-3:]) == sorted(node.address for node in cluster.nodes), upgrades
    assert runner.address in upgrades[-3:]


def test_a_task_through_the_load_balancer_runs_once_and_every_node_shows_its_output(cluster, tmp_path):
    runs = tmp_path / "runs"
    script = f'echo "$$" >> {runs}\nfor i in $(seq 1 300); do echo "line $i"; done\n'
    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "count.sh", script,
                                     project={"name": "Once"}, template="count")
    task_id = create(cluster.api, pid, template_id)
    assert cluster.api.wait_for_status(pid, task_id, {"success", "error"})["status"] == "success"
    time.sleep(2)  # every engine polled the queue again: none may run it a second time

    assert len(runs.read_text().split()) == 1
    expected = [f"line {i}" for i in range(1, 301)]
    for node in cluster.nodes:
        api = cluster.direct(node)
        lines = api.output(pid, task_id)
        assert [line for line in lines if line.startswith("line ")] == expected, node.node_id
        tasks = api("GET", f"/api/project/{pid}/tasks")[1]
        assert [(task["id"], task["status"]) for task in tasks] == [(task_id, "success")]


@pytest.mark.parametrize("cluster_once", ["postgres"], indirect=True)  # minutes long; the claim is the database's
def test_a_schedule_fires_exactly_once_a_minute_across_three_nodes(cluster, tmp_path):
    """``* * * * *`` for three minute boundaries: one task each, whichever node claimed the fire (on
    PostgreSQL only: it takes minutes, and the fire claim is the same unique row on every database)."""
    api = cluster.api
    pid, template_id = bash_template(api, tmp_path / "scripts", "tick.sh", "echo scheduled run\n",
                                     project={"name": "Cron"}, template="tick")
    if seconds_to_next_minute() < 3:  # too close to call which minute the schedule starts in
        time.sleep(seconds_to_next_minute() + 0.5)
    schedule = api.created(f"/api/project/{pid}/schedules", {
        "template_id": template_id, "cron_format": "* * * * *", "name": "every minute"})
    first = datetime.fromisoformat(schedule["next_runs"][0])

    tasks: list[dict] = []
    for boundary in range(MINUTES):
        time.sleep(seconds_to_next_minute() + MARGIN)
        reader = cluster.direct(cluster.nodes[boundary % len(cluster.nodes)])  # each node in turn
        status, listed = reader("GET", f"/api/project/{pid}/tasks")
        assert status == 200, listed
        tasks = [task for task in listed if task["template_id"] == template_id]
        assert len(tasks) == boundary + 1, tasks
    api("DELETE", f"/api/project/{pid}/schedules/{schedule['id']}")

    minutes = sorted(datetime.fromisoformat(task["created"]).astimezone(UTC).replace(second=0, microsecond=0)
                     for task in tasks)
    assert minutes == [first + timedelta(minutes=n) for n in range(MINUTES)]
    for task in tasks:
        assert api.wait_for_status(pid, task["id"], {"success", "error"})["status"] == "success"
    fired = [line for node in cluster.nodes for line in node.server.stderr.splitlines()
             if "fired for" in line and f"schedule {schedule['id']}" in line]
    assert len(fired) == MINUTES, fired


def seconds_to_next_minute() -> float:
    return 60 - time.time() % 60


def test_kill_9_of_the_node_running_a_task_ends_it_in_error_with_its_output(cluster, tmp_path):
    script = 'for i in $(seq 1 5); do echo "before $i"; done\nsleep 600\necho never\n'
    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "long.sh", script,
                                     project={"name": "Doomed"}, template="long")
    quick_pid, quick_template = bash_template(cluster.api, tmp_path / "quick", "quick.sh", "echo still here\n",
                                              project={"name": "Survivors"}, template="quick")
    task_id = create(cluster.api, pid, template_id)
    cluster.api.wait_for_output(pid, task_id, "before 5")
    victim = cluster.node_running(task_id)
    holder = cluster.claimed_by(task_id)
    victim.kill()

    survivors = cluster.others(victim)
    for node in survivors:
        assert ping(node.url), node.node_id
    # Through nginx too: a request nginx sends to the dead node is passed to the next one.
    for _ in range(len(cluster.nodes)):
        quick = create(cluster.api, quick_pid, quick_template)
        assert cluster.api.wait_for_status(quick_pid, quick, {"success", "error"})["status"] == "success"

    task = cluster.direct(survivors[0]).wait_for_status(pid, task_id, {"error", "success", "stopped"},
                                                        timeout=ORPHAN_TIMEOUT)
    assert task["status"] == "error"
    for node in survivors:
        lines = cluster.direct(node).output(pid, task_id)
        assert [line for line in lines if line.startswith("before ")] == [f"before {i}" for i in range(1, 6)]
        assert "never" not in lines
        assert any(str(holder) in line for line in lines), lines  # a line says which node died


def test_a_stop_through_one_node_ends_the_process_on_the_node_running_it(cluster, tmp_path):
    pids = tmp_path / "pids"
    script = f'echo "$$" > {pids}\necho "script waiting"\nsleep 600\n'
    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "wait.sh", script,
                                     project={"name": "Stoppable"}, template="wait")
    task_id = create(cluster.api, pid, template_id)
    cluster.api.wait_for_output(pid, task_id, "script waiting")
    runner = cluster.node_running(task_id)
    other = cluster.others(runner)[0]
    process = int(pids.read_text())
    assert alive(process)

    asked = time.monotonic()
    assert cluster.direct(other)("POST", f"/api/project/{pid}/tasks/{task_id}/stop", {})[0] == 204
    while alive(process) and time.monotonic() - asked < STOP_WITHIN + 5:
        time.sleep(0.02)
    took = time.monotonic() - asked
    assert not alive(process)
    assert took <= STOP_WITHIN, f"the script ran {took:.2f} s after the stop request"
    assert cluster.api.wait_for_status(pid, task_id, {"stopped", "error"})["status"] == "stopped"


def drain(cluster: Cluster, node: Node, draining: bool) -> None:
    status, answer = cluster.api("POST", f"/api/nodes/{node.node_id}/drain", {"draining": draining})
    assert status in (200, 204), (status, answer)


def nodes_listed(cluster: Cluster) -> dict[str, dict[str, Any]]:
    status, listed = cluster.api("GET", "/api/nodes")
    assert status == 200, listed
    return {node["id"]: node for node in listed}


def log_lines(messages: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(message["seq"], message["output"]) for message in messages if message["type"] == "log"]


def test_every_node_streams_a_task_live_in_order(cluster, tmp_path):
    """A viewer on each node directly: every one sees every line of the task, in order, and its end."""
    script = 'for i in $(seq 1 200); do echo "line $i"; sleep 0.005; done\n'
    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "lines.sh", script,
                                     project={"name": "Live everywhere"}, template="lines")
    viewers = {node.node_id: Viewer(node.url, cluster.api.token) for node in cluster.nodes}
    try:
        task_id = create(cluster.api, pid, template_id)
        seen = {node_id: viewer.until_finished(task_id, timeout=LIVE_TIMEOUT) for node_id, viewer in viewers.items()}
    finally:
        for viewer in viewers.values():
            viewer.close()
    stored = cluster.api("GET", f"/api/project/{pid}/tasks/{task_id}/output?limit=100000")[1]
    expected = [(line["seq"], line["output"]) for line in stored]
    for node_id, messages in seen.items():
        assert log_lines(messages) == expected, node_id
        assert messages[-1]["status"] == "success", node_id


def test_a_task_created_on_a_and_run_by_b_is_watched_live_on_c(cluster, tmp_path):
    """A and C drained, so B runs what A queues; a viewer of C sees every line in order as it is written."""
    node_a, node_b, node_c = cluster.nodes
    script = 'for i in $(seq 1 100); do echo "line $i"; sleep 0.02; done\n'
    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "lines.sh", script,
                                     project={"name": "A B C"}, template="lines")
    drain(cluster, node_a, True)
    drain(cluster, node_c, True)
    try:
        time.sleep(NODE_NOTICE)
        viewer = Viewer(node_c.url, cluster.api.token)
        try:
            task_id = create(cluster.direct(node_a), pid, template_id)
            assert cluster.node_running(task_id) is node_b
            messages = viewer.until_finished(task_id, timeout=LIVE_TIMEOUT)
        finally:
            viewer.close()
    finally:
        drain(cluster, node_a, False)
        drain(cluster, node_c, False)
    lines = log_lines(messages)
    assert [text for _, text in lines if text.startswith("line ")] == [f"line {i}" for i in range(1, 101)]
    stored = cluster.direct(node_c)("GET", f"/api/project/{pid}/tasks/{task_id}/output?limit=100000")[1]
    assert lines == [(line["seq"], line["output"]) for line in stored]
    assert [m["status"] for m in messages if m["type"] == "update"][-1] == "success"


def test_a_drained_node_finishes_its_task_takes_no_new_one_and_says_so(cluster, tmp_path):
    gate = tmp_path / "gate"
    gate.touch()
    script = f"echo waiting at the gate\nwhile [ -e {gate} ]; do sleep 0.1; done\necho finished\n"
    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "gated.sh", script,
                                     project={"name": "Drain"}, template="gated")
    quick_pid, quick_template = bash_template(cluster.api, tmp_path / "quick", "quick.sh", "echo quick\n",
                                              project={"name": "Elsewhere"}, template="quick")
    task_id = create(cluster.api, pid, template_id)
    cluster.api.wait_for_output(pid, task_id, "waiting at the gate")
    node = cluster.node_running(task_id)
    drain(cluster, node, True)
    try:
        listed = nodes_listed(cluster)[node.node_id]
        assert (listed["draining"], listed["drained"], listed["running_tasks"]) == (True, None, 1), listed
        assert all(row["online"] for row in nodes_listed(cluster).values())
        time.sleep(NODE_NOTICE)
        for _ in range(2 * len(cluster.nodes)):
            quick = create(cluster.api, quick_pid, quick_template)
            assert cluster.api.wait_for_status(quick_pid, quick, {"success", "error"})["status"] == "success"
            assert cluster.node_running(quick) is not node

        gate.unlink()
        assert cluster.api.wait_for_status(pid, task_id, {"success", "error"})["status"] == "success"
        deadline = time.monotonic() + NODE_NOTICE
        while nodes_listed(cluster)[node.node_id]["drained"] is None and time.monotonic() < deadline:
            time.sleep(0.2)
        listed = nodes_listed(cluster)[node.node_id]
        assert listed["drained"] is not None and listed["running_tasks"] == 0, listed
        assert "drained" in node.server.stderr
    finally:
        drain(cluster, node, False)
    listed = nodes_listed(cluster)[node.node_id]
    assert (listed["draining"], listed["drained"]) == (False, None), listed


def test_an_alert_whose_sending_node_dies_is_sent_by_another_once(cluster, slack, tmp_path):
    """The receiver holds the first delivery; the node sending it is killed; another node sends it after
    the claim expired, and the receiver answers that one: two attempts arrived, one completed."""
    pid, template_id = bash_template(cluster.api, tmp_path / "scripts", "fail.sh", "echo failing\nexit 1\n",
                                     project={"name": "Alerting", "alert": True}, template="failing")
    already = len(slack.received)
    slack.answer_delay = 3600  # hold the first delivery: its sender dies waiting
    try:
        task_id = create(cluster.api, pid, template_id)
        assert cluster.api.wait_for_status(pid, task_id, {"error", "success"})["status"] == "error"
        slack.wait_for(already + 1)
        rows = cluster.query("SELECT claimed_by, finished FROM alert_outbox WHERE task_id = :id", id=task_id)
        assert len(rows) == 1, f"the alert being sent is not in the outbox: {rows}"
        ((claimed_by, finished),) = rows
        assert claimed_by and finished is None
        sender = cluster.node(claimed_by)
        sender.kill()
        slack.answer_delay = 0
        first, second = slack.wait_for(already + 2, timeout=ALERT_TIMEOUT)[already:]
    finally:
        slack.answer_delay = 0
    assert first.path == second.path == SLACK_PATH and first.json == second.json
    deadline = time.monotonic() + 30
    while not (rows := cluster.query("SELECT claimed_by, finished FROM alert_outbox WHERE task_id = :id",
                                     id=task_id))[0][1] and time.monotonic() < deadline:
        time.sleep(0.2)
    ((claimed_by, finished),) = rows
    assert finished is not None and claimed_by != sender.node_id
    time.sleep(3)
    assert len(slack.received) == already + 2  # sent once more, never again
    lines = cluster.api.output(pid, task_id)
    assert lines.count("slack alert sent") == 1, lines
