"""Log throughput through a runner: a task printing 100,000 lines, stored end to end, beside a local run.

Two real servers (SQLite) in the same run: one runs its tasks itself, the other has
use_remote_runner on and one real `semaphore runner start` polling it. The same bash script
(``seq 100000``) runs on each, local and runner tasks taking turns; each is timed from the create
request to its final status, and every line must then be in the server's SQLite file, in order.
The fastest run of each side counts.

Target: the runner's lines/s >= 50% of the local run's. A runner sends its log in PUTs of batched
records, which the server stores as it stores a local run's lines; the bytes cross HTTP once more
and are parsed twice more (JSON on both ends).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time

from harness import (
    Api,
    Report,
    ServerProcess,
    git_repository,
    running_runner,
    running_servers,
    script_project,
    temporary_directory,
)

LINES = 100_000  # a million take a minute through a runner at its present 16,000 lines/s
RUNS = 1  # per side, local first
MIN_SHARE = 0.5  # of the local run's lines/s
SCRIPT = f"seq {LINES}\n"
TIMEOUT = 300.0  # seconds for one task


def stored_lines(server: ServerProcess, task_id: int) -> tuple[int, bool]:
    """(script lines stored for the task, whether they are 1..LINES in order), from the SQLite file."""
    with contextlib.closing(sqlite3.connect(server.directory / "data" / "database.sqlite", timeout=30)) as db:
        rows = db.execute("SELECT output FROM task__output WHERE task_id = ? ORDER BY seq", (task_id,)).fetchall()
    numbers = [text for (text,) in rows if text.isdigit()]
    return len(numbers), numbers == [str(n) for n in range(1, LINES + 1)]


def timed_run(api: Api, server: ServerProcess, pid: int, template_id: int) -> tuple[float, int, bool]:
    """(seconds from the create request to the final status, lines stored, in order) for one task."""
    started = time.monotonic()
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
    final = api.wait_for_status(pid, task["id"], {"success", "error", "stopped"}, timeout=TIMEOUT)
    seconds = time.monotonic() - started
    if final["status"] != "success":
        raise SystemExit(f"task {task['id']} ended {final['status']}")
    return (seconds, *stored_lines(server, task["id"]))


def main() -> int:
    report = Report(f"Log throughput through a runner: {LINES:,} lines, best of {RUNS}, SQLite, "
                    f"{os.cpu_count()} CPUs")
    with temporary_directory("bench-runner-log-") as tmp, running_servers(tmp / "servers") as servers:
        sides = {}
        for name, server in zip(("local", "runner"), servers, strict=True):
            url = git_repository(tmp / name / "scripts", {"seq.sh": SCRIPT})
            api = Api.logged_in(server.url)
            pid, templates = script_project(api, ["seq.sh"], url)
            sides[name] = (api, server, pid, templates["seq.sh"])
        with running_runner(tmp / "runner", servers[1].url):
            runs: dict[str, list[tuple[float, int, bool]]] = {name: [] for name in sides}
            for _ in range(RUNS):
                for name, side in sides.items():
                    runs[name].append(timed_run(*side))

    speed = {}
    for name, measured in runs.items():
        report.check(f"{name}: script lines stored, in order", ", ".join(f"{lines:,}" for _, lines, _ in measured),
                     f"{LINES:,} each", all(lines == LINES and ordered for _, lines, ordered in measured))
        report.info(f"{name}: create -> final status", ", ".join(f"{seconds:.2f} s" for seconds, _, _ in measured))
        speed[name] = LINES / min(seconds for seconds, _, _ in measured)
        report.info(f"{name}: end to end (fastest)", f"{speed[name]:,.0f} lines/s")
    share = speed["runner"] / speed["local"]
    report.check("runner / local", f"{share:.0%}", f">= {MIN_SHARE:.0%}", share >= MIN_SHARE)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
