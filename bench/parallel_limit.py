"""Parallel limit (issue 3, Performance 4): 50 tasks queued at once on a server that runs at most 10.

The real server (SQLite) with SEMAPHORE_MAX_PARALLEL_TASKS=10 and a bash template that allows
parallel tasks, its repository a file:// git URL. 50 tasks are created as fast as 10 client
threads can; each script writes ``date +%s.%N`` to files when it starts and when it ends and
sleeps 0.5 s between. How many ran at once is computed from those timestamps, and also polled
meanwhile from GET /api/project/{id}/tasks (tasks ``starting`` or ``running``).

Targets: all 50 end ``success``; at no moment more than 10 run (timestamps and polling). The
total wall time is reported against the least possible, 50 / 10 x 0.5 s.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import Api, Report, git_repository, running_server, script_project, temporary_directory

TASKS = 50
LIMIT = 10
SLEEP = 0.5
TIMEOUT = 180  # seconds for all tasks to finish
ACTIVE = ("starting", "running")
FINAL = ("success", "error", "stopped")
SCRIPT = f"""\
date +%s.%N > "STAMPS/$SEMAPHORE_TASK_ID.start"
sleep {SLEEP}
date +%s.%N > "STAMPS/$SEMAPHORE_TASK_ID.end"
"""


class StatusPoller:
    """Lists the project's tasks every ``interval`` seconds in a thread: the most seen active at
    once, and when every task was first seen finished."""

    def __init__(self, api: Api, pid: int, interval: float = 0.05) -> None:
        self.api, self.pid, self.interval = api, pid, interval
        self.max_active = 0
        self.polls = 0
        self.statuses: dict[int, str] = {}
        self.all_finished_at: float | None = None
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status-poller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            status, tasks = self.api("GET", f"/api/project/{self.pid}/tasks")
            assert status == 200, tasks
            self.polls += 1
            self.statuses = {task["id"]: task["status"] for task in tasks}
            self.max_active = max(self.max_active, sum(task["status"] in ACTIVE for task in tasks))
            if len(tasks) == TASKS and all(task["status"] in FINAL for task in tasks):
                self.all_finished_at = time.perf_counter()
                return
            self.stop.wait(self.interval)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        self.stop.set()


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment (an end and a start at the same instant do not overlap)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, change in events:
        running += change
        most = max(most, running)
    return most


def main() -> int:
    report = Report(f"Parallel limit: {TASKS} tasks queued at once, SEMAPHORE_MAX_PARALLEL_TASKS={LIMIT}, SQLite, "
                    f"{os.cpu_count()} CPUs")
    with temporary_directory("bench-parallel-") as tmp:
        stamps = tmp / "stamps"
        stamps.mkdir()
        script = SCRIPT.replace("STAMPS", str(stamps))
        url = git_repository(tmp / "scripts", {"sleep.sh": script})
        with running_server(tmp / "server", {"SEMAPHORE_MAX_PARALLEL_TASKS": str(LIMIT)}) as server:
            api = Api.logged_in(server.url)
            pid, templates = script_project(api, ["sleep.sh"], url, allow_parallel_tasks=True)
            poller = StatusPoller(api, pid)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=10) as pool:
                ids = list(pool.map(lambda _: api.created(f"/api/project/{pid}/tasks",
                                                          {"template_id": templates["sleep.sh"]})["id"],
                                    range(TASKS)))
            queued = time.perf_counter() - started
            poller.join(TIMEOUT)
            finished = poller.all_finished_at
        intervals = [(stamp(stamps, f"{task_id}.start"), stamp(stamps, f"{task_id}.end"))
                     for task_id in ids if (stamps / f"{task_id}.end").exists()]

    succeeded = sum(poller.statuses.get(task_id) == "success" for task_id in ids)
    report.check("tasks ended success", f"{succeeded}/{TASKS}", f"{TASKS}/{TASKS}", succeeded == TASKS)
    report.info(f"time to queue {TASKS} tasks (10 client threads)", f"{queued:.2f} s")
    overlap = most_at_once(intervals)
    report.check("most running at once (script timestamps)", f"{overlap}", f"<= {LIMIT}", overlap <= LIMIT)
    report.check("most starting/running at once (polled)", f"{poller.max_active} ({poller.polls} polls)",
                 f"<= {LIMIT}", poller.max_active <= LIMIT)
    if finished is None:
        report.check("total wall time", "did not finish", f"< {TIMEOUT} s", False)
    else:
        ideal, wall = TASKS / LIMIT * SLEEP, finished - started
        report.info("total wall time (first create -> all finished)",
                    f"{wall:.2f} s ({wall / ideal:.1f}x the least possible, {ideal:.1f} s)")
    return report.finish()


def stamp(stamps: Path, name: str) -> float:
    return float((stamps / name).read_text())


if __name__ == "__main__":
    sys.exit(main())
