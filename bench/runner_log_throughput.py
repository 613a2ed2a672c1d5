"""Log throughput through a runner: a task printing 1,000,000 lines, stored, beside a local run.

Two real servers (SQLite) in the same run: one runs its tasks itself, the other has
use_remote_runner on and one real `semaphore runner start` polling it. The same bash script
(``seq 1000000``) runs on each, local and runner tasks taking turns; every line must then be in the
server's SQLite file, in order. Each task is timed twice: its run, from its start to its end as the
server recorded them (the task is ``running`` from the first line to the last line stored), and
end to end, from the create request to its final status, which through a runner also holds the
wait for the runner's next poll (up to a second; bench/runner_dispatch.py measures that part).
The fastest run of each side counts.

Target: the runner's lines/s during the run >= 50% of the local run's. A runner sends its log in
PUTs of line chunks, which the server stores as it stores a local run's lines; the bytes cross
HTTP once more and are parsed twice more (JSON on both ends), and each PUT waits for the server to
have stored the one before.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import datetime

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

LINES = 1_000_000
RUNS = 3  # per side, local first
MIN_SHARE = 0.5  # of the local run's lines/s
SCRIPT = f"seq {LINES}\n"
TIMEOUT = 300.0  # seconds for one task


def stored_lines(server: ServerProcess, task_id: int) -> tuple[int, bool]:
    """(script lines stored for the task, whether they are 1..LINES in order), from the SQLite file."""
    with contextlib.closing(sqlite3.connect(server.directory / "data" / "database.sqlite", timeout=30)) as db:
        rows = db.execute("SELECT output FROM task__output WHERE task_id = ? ORDER BY seq", (task_id,)).fetchall()
    numbers = [text for (text,) in rows if text.isdigit()]
    return len(numbers), numbers == [str(n) for n in range(1, LINES + 1)]


@dataclass(frozen=True)
class Run:
    end_to_end: float  # seconds from the create request to the final status
    run: float  # seconds from the task's start to its end, as stored
    lines: int  # script lines stored
    ordered: bool  # 1..LINES in order


def timed_run(api: Api, server: ServerProcess, pid: int, template_id: int) -> Run:
    started = time.monotonic()
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
    final = api.wait_for_status(pid, task["id"], {"success", "error", "stopped"}, timeout=TIMEOUT)
    seconds = time.monotonic() - started
    if final["status"] != "success":
        raise SystemExit(f"task {task['id']} ended {final['status']}")
    run = (datetime.fromisoformat(final["end"]) - datetime.fromisoformat(final["start"])).total_seconds()
    return Run(seconds, run, *stored_lines(server, task["id"]))


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
            runs: dict[str, list[Run]] = {name: [] for name in sides}
            for _ in range(RUNS):
                for name, side in sides.items():
                    runs[name].append(timed_run(*side))

    speed, end_to_end = {}, {}
    for name, measured in runs.items():
        report.check(f"{name}: script lines stored, in order", ", ".join(f"{r.lines:,}" for r in measured),
                     f"{LINES:,} each", all(r.lines == LINES and r.ordered for r in measured))
        report.info(f"{name}: start -> end", ", ".join(f"{r.run:.2f} s" for r in measured))
        report.info(f"{name}: create -> final status", ", ".join(f"{r.end_to_end:.2f} s" for r in measured))
        speed[name] = LINES / min(r.run for r in measured)
        end_to_end[name] = LINES / min(r.end_to_end for r in measured)
        report.info(f"{name}: run (fastest)", f"{speed[name]:,.0f} lines/s")
        report.info(f"{name}: end to end (fastest)", f"{end_to_end[name]:,.0f} lines/s")
    report.info("runner / local, end to end", f"{end_to_end['runner'] / end_to_end['local']:.0%}")
    share = speed["runner"] / speed["local"]
    report.check("runner / local, run", f"{share:.0%}", f">= {MIN_SHARE:.0%}", share >= MIN_SHARE)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
