"""Log throughput and server memory (issue 3, Performance 1 and 2).

A bash task prints 1,000,000 short lines on the real server (SQLite, the default
SEMAPHORE_MAX_PARALLEL_TASKS) while one websocket viewer reads as fast as it can. Measured from the
create request to the task's final status, every line stored (read back from the SQLite file, in
order). The baseline is the same script run by bash with its output to /dev/null, in the same run.
Three tasks run, one after the other, with a baseline before the first and after each; the fastest
task and the fastest baseline count (a shared machine's noise only ever slows things down).
Meanwhile the RSS of the server's master and worker is sampled every 100 ms, and the CPU time of
each party is read from /proc so that a miss can be traced to who was busy.

Targets: >= 200,000 lines/s end to end, >= 50% of the /dev/null speed, worker RSS < 250 MB.
``--viewer fast`` attaches a viewer that reads frames natively fast (bench/fast_viewer.py) instead
of the test suite's Viewer, ``--viewer none`` none: diagnostics of how much of the time is the
viewer's (on a small machine the benchmark's viewer competes with the server for the CPUs).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import simple_websocket
from fast_viewer import FastViewer
from harness import (
    Api,
    Report,
    RssSampler,
    ServerProcess,
    Viewer,
    children,
    cpu_seconds,
    git_repository,
    running_server,
    script_project,
    temporary_directory,
)

LINES = 1_000_000
SCRIPT = f'for ((i=1;i<={LINES};i++)); do echo "line $i"; done\n'
MIN_LINES_PER_SECOND = 200_000
MIN_RATIO = 0.5
MAX_WORKER_RSS = 250 * 1024 * 1024
TIMEOUT = 300  # seconds the task may take before the benchmark gives up
RUNS = 3  # tasks, each followed by a baseline; the fastest of each counts (noise only slows things down)
SETTLE_SECONDS = 120  # for a slow viewer to read its backlog after the task ended
FINAL = ("success", "error", "stopped")
VIEWERS = {"helper": "tests/live_server.Viewer", "fast": "bench/fast_viewer.FastViewer", "none": "none"}
SCRIPT_LINE = re.compile(r"^line (\d+)$")


def devnull_seconds(script: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["bash", str(script)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


class Watcher(Protocol):
    """What the benchmark needs from a viewer."""

    task_id: int | None
    lines: int
    finished_at: float | None
    final_status: str

    @property
    def closed_by_server(self) -> str | None: ...

    def settle(self, timeout: float) -> None:
        """Wait until the viewer has read the final update, or seen the server close it."""

    def close(self) -> None: ...


class LiveCounter:
    """Drains the test suite viewer's messages in a thread: counts the log lines (the benchmark runs
    one task), notes when the final update of ``task_id`` arrives."""

    def __init__(self, viewer: Viewer | None) -> None:
        self.viewer = viewer
        self.task_id: int | None = None
        self.lines = 0
        self.finished_at: float | None = None
        self.final_status = ""
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(viewer,), name="live-counter", daemon=True)
        if viewer is not None:
            self._thread.start()

    def _run(self, viewer: Viewer) -> None:
        while not self.done.is_set():
            try:
                message = viewer.messages.get(timeout=0.5)
            except queue.Empty:
                if not viewer.socket.connected:
                    return
                continue
            if message["type"] == "log":  # the benchmark runs one task
                self.lines += 1
            elif message["type"] == "update" and message["task_id"] == self.task_id and message["status"] in FINAL:
                self.finished_at = time.perf_counter()
                self.final_status = message["status"]
                self.done.set()

    @property
    def closed_by_server(self) -> str | None:
        if self.viewer is None or self.viewer.socket.connected:
            return None
        return f"{self.viewer.socket.close_reason} {self.viewer.socket.close_message}"

    def settle(self, timeout: float) -> None:
        if self.viewer is not None:
            self._thread.join(timeout)  # it ends at the final update, or when closed and drained

    def close(self) -> None:
        self.done.set()
        if self.viewer is not None:
            with contextlib.suppress(simple_websocket.ConnectionClosed):
                self.viewer.close()


def wait_until_final(database: Path, task_id: int, counter: Watcher) -> tuple[float, str]:
    """(perf_counter time, status) of the task's final status: the viewer's final update, or the
    status column of the SQLite file, read every 20 ms (the viewer may be gone: no HTTP polling
    that would cost the server CPU)."""
    deadline = time.perf_counter() + TIMEOUT
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        while time.perf_counter() < deadline:
            if counter.finished_at is not None:
                return counter.finished_at, counter.final_status
            (status,) = db.execute("SELECT status FROM task WHERE id = ?", (task_id,)).fetchone()
            if status in FINAL:
                return time.perf_counter(), status
            time.sleep(0.02)
    raise SystemExit(f"task {task_id} did not finish within {TIMEOUT} s")


def stored_lines(database: Path, task_id: int) -> tuple[int, int, bool]:
    """(rows, rows of the script, script lines complete and in order) of the task's stored output."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT output FROM task__output WHERE task_id = ? ORDER BY seq", (task_id,)).fetchall()
    script = [int(match[1]) for (text,) in rows if (match := SCRIPT_LINE.match(text))]
    return len(rows), len(script), script == list(range(1, LINES + 1))


def attach_viewer(kind: str, url: str, token: str) -> Watcher:
    if kind == "helper":
        return LiveCounter(Viewer(url, token))
    if kind == "fast":
        return FastViewer(url, token)
    return LiveCounter(None)


@contextlib.contextmanager
def cpu_used(master: int, into: dict[str, float]) -> Iterator[None]:
    """CPU seconds used meanwhile by the server's worker, the task's processes (the worker's
    children), the master, and this process (the viewer, the HTTP client, the samplers)."""
    worker = children(master)[0]
    before = cpu_seconds(worker), cpu_seconds(master)[0], os.times()
    yield
    after = cpu_seconds(worker), cpu_seconds(master)[0], os.times()
    into["server worker"] = after[0][0] - before[0][0]
    into["task processes (bash, git)"] = after[0][1] - before[0][1]
    into["server master"] = after[1] - before[1]
    into["benchmark process (viewer, sampling)"] = (after[2].user + after[2].system
                                                    - before[2].user - before[2].system)


@dataclass
class Run:
    seconds: float  # create request -> final status
    status: str
    rows: int  # stored for the task
    script_rows: int
    in_order: bool
    viewer_lines: int
    viewer_closed: str | None
    max_worker_rss: int
    max_master_rss: int
    cpu: dict[str, float]


def run_task(server: ServerProcess, api: Api, pid: int, template_id: int, viewer: str) -> Run:
    """One task of the million-line template with a fresh viewer, until every line is stored."""
    assert server.process is not None
    database = server.directory / "data" / "database.sqlite"
    counter = attach_viewer(viewer, server.url, api.token)
    cpu: dict[str, float] = {}
    try:
        with RssSampler(server.process.pid) as rss, cpu_used(server.process.pid, cpu):
            started = time.perf_counter()
            task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
            counter.task_id = task["id"]
            finished, status = wait_until_final(database, task["id"], counter)
        counter.settle(SETTLE_SECONDS)  # not timed: a slow viewer may still be reading its backlog
        closed = counter.closed_by_server  # before our own close below
    finally:
        counter.close()
    rows, script_rows, in_order = stored_lines(database, task["id"])
    return Run(finished - started, status, rows, script_rows, in_order, counter.lines, closed, rss.max_worker,
               rss.max_master, cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewer", choices=VIEWERS, default="fast",
                        help="the websocket viewer: the test suite's (default), a fast one, or none")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"tasks, each between two baselines ({RUNS})")
    args = parser.parse_args()
    report = Report(f"Log throughput: {LINES:,} lines, websocket viewer: {VIEWERS[args.viewer]}, SQLite, "
                    f"{os.cpu_count()} CPUs, best of {args.runs}")
    with temporary_directory("bench-log-") as tmp:
        url = git_repository(tmp / "scripts", {"million.sh": SCRIPT})
        script = tmp / "scripts" / "million.sh"
        baselines = [devnull_seconds(script)]
        runs: list[Run] = []
        with running_server(tmp / "server") as server:
            api = Api.logged_in(server.url)
            pid, templates = script_project(api, ["million.sh"], url)
            for _ in range(args.runs):
                runs.append(run_task(server, api, pid, templates["million.sh"], args.viewer))
                baselines.append(devnull_seconds(script))

    best = min(runs, key=lambda run: run.seconds)
    rate, baseline_rate = LINES / best.seconds, LINES / min(baselines)
    statuses = sorted({run.status for run in runs})
    report.check("task status", ", ".join(statuses), "success", statuses == ["success"])
    stored_ok = all(run.script_rows == LINES and run.in_order for run in runs)
    report.check("script lines stored, in order", ", ".join(f"{run.script_rows:,}" for run in runs), f"{LINES:,}",
                 stored_ok)
    report.info("engine's own lines stored", ", ".join(str(run.rows - run.script_rows) for run in runs))
    report.info("bash > /dev/null", ", ".join(f"{seconds:.2f}" for seconds in baselines) + " s")
    report.info("bash > /dev/null (fastest)", f"{baseline_rate:,.0f} lines/s")
    report.info("create -> final status", ", ".join(f"{run.seconds:.2f}" for run in runs) + " s")
    report.check("end to end (fastest)", f"{rate:,.0f} lines/s", f">= {MIN_LINES_PER_SECOND:,} lines/s",
                 rate >= MIN_LINES_PER_SECOND)
    report.check("end to end / bash > /dev/null", f"{rate / baseline_rate:.0%}", f">= {MIN_RATIO:.0%}",
                 rate / baseline_rate >= MIN_RATIO)
    if args.viewer != "none":
        for number, run in enumerate(runs, 1):
            if run.viewer_closed:  # allowed: a viewer that cannot keep up is closed and reads the output endpoint
                report.info(f"websocket viewer, run {number}",
                            f"closed by the server after {run.viewer_lines:,} lines: {run.viewer_closed.split(';')[0]}")
            else:
                report.check(f"websocket viewer, run {number}: lines received", f"{run.viewer_lines:,}",
                             f"{run.rows:,} (all stored)", run.viewer_lines == run.rows)
    max_worker = max(run.max_worker_rss for run in runs)
    report.check("worker RSS, max", f"{max_worker / 2**20:.0f} MB", f"< {MAX_WORKER_RSS // 2**20} MB",
                 0 < max_worker < MAX_WORKER_RSS)
    report.info("master RSS, max", f"{max(run.max_master_rss for run in runs) / 2**20:.0f} MB")
    for name, value in best.cpu.items():
        report.info(f"CPU, fastest run: {name}", f"{value:.2f} s")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
