"""Log lines between nodes: three real servers on one PostgreSQL database behind nginx.

The cluster is the end-to-end tests' (tests/cluster_helpers.py): three `semaphore server`
processes, the nginx configuration of docs/high-availability.md in front.

Latency: a bash task prints ``date +%s.%N`` every 20 ms (LATENCY_LINES lines), created through
nginx. A websocket viewer is connected directly to each node beforehand and stamps each message as
it arrives; a line's delay is its arrival minus the time written in it. The node that ran the task
is read from the database afterwards: the viewers of the other nodes count (target: p95 < 100 ms,
every line), the viewer of the running node is the baseline. A line that never reached a viewer
is reported as missing; a viewer on another node that receives nothing live misses the target.

Throughput: ``seq THROUGHPUT_LINES`` as a bash task on the three-node cluster and on a one-node
cluster (its own database) started beside it, runs taking turns, from the create request (through
nginx) to the final status with every line stored in order (read back from PostgreSQL). A
`FastViewer` on every node counts the lines it receives live. Target: three nodes keep at least
MIN_SHARE of one node's end-to-end lines/s, and every viewer receives every line.
"""

from __future__ import annotations

import json
import math
import os
import queue
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simple_websocket
from fast_viewer import FastViewer
from harness import (
    Cluster,
    Report,
    Viewer,
    git_repository,
    median,
    running_cluster,
    script_project,
    temporary_directory,
)

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
LATENCY_LINES = 300
LATENCY_TARGET = 0.100  # seconds, p95 of the lines reaching a viewer on another node
THROUGHPUT_LINES = 200_000
RUNS = 3  # throughput runs per side, one node first
MIN_SHARE = 0.7  # of one node's end-to-end lines/s
SETTLE = 5.0  # seconds a viewer may lag behind the task's final status
TIMEOUT = 300.0  # seconds for one task


class TimedViewer(Viewer):
    """The test suite's viewer, with the arrival time (``time.time()``) of every message."""

    def _receive(self) -> None:
        try:
            while True:
                raw = self.socket.receive()
                self.messages.put((time.time(), json.loads(raw)))  # type: ignore[arg-type]
        except (simple_websocket.ConnectionClosed, OSError):
            return

    def drain(self, task_id: int) -> list[tuple[float, dict[str, Any]]]:
        found = []
        while True:
            try:
                arrived, message = self.messages.get(timeout=0.1)  # type: ignore[misc]
            except queue.Empty:
                return found
            if message.get("task_id") == task_id:
                found.append((arrived, message))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def delays(messages: list[tuple[float, dict[str, Any]]]) -> list[float]:
    """Seconds from the time a script line holds to its arrival, for the lines that are timestamps."""
    found = []
    for arrived, message in messages:
        text = str(message.get("output", "")) if message["type"] == "log" else ""
        if text.replace(".", "", 1).isdigit():
            found.append(arrived - float(text))
    return found


def measure_latency(report: Report, cluster: Cluster, directory: Path) -> None:
    script = f"for i in $(seq 1 {LATENCY_LINES}); do date +%s.%N; sleep 0.02; done\n"
    url = git_repository(directory / "latency", {"stamps.sh": script})
    pid, templates = script_project(cluster.api, ["stamps.sh"], url)
    viewers = {node.node_id: TimedViewer(node.url, cluster.api.token) for node in cluster.nodes}
    try:
        task = cluster.api.created(f"/api/project/{pid}/tasks", {"template_id": templates["stamps.sh"]})
        final = cluster.api.wait_for_status(pid, task["id"], {"success", "error", "stopped"}, timeout=TIMEOUT)
        runner = cluster.node_running(task["id"])
        time.sleep(SETTLE)
        received = {node_id: delays(viewer.drain(task["id"])) for node_id, viewer in viewers.items()}
    finally:
        for viewer in viewers.values():
            viewer.close()
    report.info("latency task", f"{final['status']}, {LATENCY_LINES} timestamp lines, run by {runner.node_id}")
    local = received.pop(runner.node_id)
    if local:
        report.info("viewer on the running node: p50 / p95 / max",
                    f"{median(local) * 1000:.1f} / {percentile(local, 0.95) * 1000:.1f} / "
                    f"{max(local) * 1000:.1f} ms ({len(local)} of {LATENCY_LINES} lines)")
    for node_id, remote in received.items():
        if not remote:
            report.check(f"viewer on {node_id} (another node): p95", f"no line arrived (0 of {LATENCY_LINES})",
                         f"< {LATENCY_TARGET * 1000:.0f} ms", False)
            continue
        p95 = percentile(remote, 0.95)
        report.check(f"viewer on {node_id} (another node): p95",
                     f"{p95 * 1000:.1f} ms (p50 {median(remote) * 1000:.1f}, max {max(remote) * 1000:.1f})",
                     f"< {LATENCY_TARGET * 1000:.0f} ms", p95 < LATENCY_TARGET)
        report.check(f"viewer on {node_id}: lines received", f"{len(remote)} of {LATENCY_LINES}",
                     f"{LATENCY_LINES}", len(remote) == LATENCY_LINES)


@dataclass(frozen=True)
class Run:
    seconds: float  # create request -> final status
    stored_in_order: bool
    on_runner: int  # log lines (engine lines included) the viewer of the node running the task received live
    elsewhere: list[int]  # the same for each viewer of another node


def timed_run(cluster: Cluster, pid: int, template_id: int) -> Run:
    viewers = {node.node_id: FastViewer(node.url, cluster.api.token) for node in cluster.nodes}
    try:
        started = time.monotonic()
        task = cluster.api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
        for viewer in viewers.values():
            viewer.task_id = task["id"]
        final = cluster.api.wait_for_status(pid, task["id"], {"success", "error", "stopped"}, timeout=TIMEOUT)
        seconds = time.monotonic() - started
        if final["status"] != "success":
            raise SystemExit(f"task {task['id']} ended {final['status']}")
        runner = cluster.node_running(task["id"])
        for viewer in viewers.values():
            viewer.settle(SETTLE)
    finally:
        for viewer in viewers.values():
            viewer.close()
    rows = cluster.query("SELECT output FROM task__output WHERE task_id = :id ORDER BY seq", id=task["id"])
    numbers = [text for (text,) in rows if text.isdigit()]
    return Run(seconds, numbers == [str(n) for n in range(1, THROUGHPUT_LINES + 1)], viewers[runner.node_id].lines,
               [viewer.lines for node_id, viewer in viewers.items() if node_id != runner.node_id])


def measure_throughput(report: Report, clusters: dict[str, Cluster], directory: Path) -> None:
    sides = {}
    for name, cluster in clusters.items():
        url = git_repository(directory / f"seq-{len(sides)}", {"seq.sh": f"seq {THROUGHPUT_LINES}\n"})
        pid, templates = script_project(cluster.api, ["seq.sh"], url)
        sides[name] = (cluster, pid, templates["seq.sh"])
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    for _ in range(RUNS):
        for name, side in sides.items():
            runs[name].append(timed_run(*side))
    speed = {}
    for name, measured in runs.items():
        report.check(f"{name}: script lines stored, in order", ", ".join(
            "yes" if run.stored_in_order else "NO" for run in measured), "every run",
            all(run.stored_in_order for run in measured))
        report.info(f"{name}: create -> final status", ", ".join(f"{run.seconds:.2f} s" for run in measured))
        speed[name] = THROUGHPUT_LINES / min(run.seconds for run in measured)
        report.info(f"{name}: end to end (fastest)", f"{speed[name]:,.0f} lines/s")
        viewers = {"the running node's viewer": [run.on_runner for run in measured]}
        if measured[0].elsewhere:
            viewers["viewers of other nodes"] = [lines for run in measured for lines in run.elsewhere]
        for who, counts in viewers.items():
            report.check(f"{name}: lines {who} received live", ", ".join(f"{lines:,}" for lines in counts),
                         f">= {THROUGHPUT_LINES:,} each", min(counts) >= THROUGHPUT_LINES)
    share = speed["3 nodes"] / speed["1 node"]
    report.check("3 nodes / 1 node, end to end", f"{share:.0%}", f">= {MIN_SHARE:.0%}", share >= MIN_SHARE)


def main() -> int:
    os.environ.setdefault("SEMAPHORE_TEST_POSTGRES_URL", POSTGRES_URL)
    report = Report(f"Log lines between nodes: 3 nodes behind nginx, PostgreSQL, {os.cpu_count()} CPUs")
    with temporary_directory("bench-cluster-") as tmp, \
            running_cluster("postgres", tmp / "three", purpose="bench_three") as three, \
            running_cluster("postgres", tmp / "one", nodes=1, purpose="bench_one") as one:
        measure_latency(report, three, tmp)
        measure_throughput(report, {"1 node": one, "3 nodes": three}, tmp)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
