"""Dispatch latency (issue 3, Performance 3): from the create request to the task's first command.

On the real server (SQLite), a bash template whose first command writes ``date +%s.%N`` to a file
named after $SEMAPHORE_TASK_ID. Each task is created (the clock read just before the POST) and
waited for before the next. The baseline is a bare spawn of the same script by this process
(``bash script``, the clock read just before the spawn), in the same run. Tasks of both
repositories and bare spawns take turns, so that the machine's noise falls on all three alike:

- a file:// git URL: every task fetches into the repository cache and checks out a worktree;
- a local path: the repository is used in place (the engine's own overhead).

Target: median(task) - median(bare spawn) < 100 ms, for each repository. Where the time goes is
read from the SQLite file: the task row's ``created`` and the time of each line the engine logs
before the script's first line (each line is stamped when it is written), as medians per phase.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness import Api, Report, Viewer, git_repository, median, running_server, script_project, temporary_directory

TASKS = 30  # per repository, after one warm-up task each
MAX_OVERHEAD = 0.100  # seconds
SCRIPT = 'date +%s.%N > "STAMPS/$SEMAPHORE_TASK_ID"\necho started\n'


def stamp(stamps: Path, name: str) -> float:
    return float((stamps / name).read_text())


def bare_spawn(script: Path, stamps: Path, run: int) -> float:
    name = f"bare-{run}"
    env = {**os.environ, "SEMAPHORE_TASK_ID": name}
    started = time.time()
    subprocess.run(["bash", str(script)], env=env, stdout=subprocess.DEVNULL, check=True)
    return stamp(stamps, name) - started


@dataclass
class Run:
    """Seconds from the create request to: the task row's creation, the engine's first and last
    line before the script's, the script's first command."""

    row: float
    first_line: float
    last_line: float
    first_command: float


def task_run(api: Api, viewer: Viewer, database: Path, pid: int, template_id: int, stamps: Path) -> Run:
    started = time.time()
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
    messages = viewer.until_finished(task["id"])
    if messages[-1]["status"] != "success":
        raise SystemExit(f"task {task['id']} ended {messages[-1]['status']}: {api.output(pid, task['id'])}")
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        (created,) = db.execute("SELECT created FROM task WHERE id = ?", (task["id"],)).fetchone()
        lines = db.execute("SELECT time, output FROM task__output WHERE task_id = ? ORDER BY seq",
                           (task["id"],)).fetchall()
    engine_lines = [moment for moment, text in lines[:[text for _, text in lines].index("started")]]
    return Run(epoch(created) - started, epoch(engine_lines[0]) - started, epoch(engine_lines[-1]) - started,
               stamp(stamps, str(task["id"])) - started)


def epoch(stored: str) -> float:
    """A time column as stored in SQLite (naive UTC, ISO format)."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).timestamp()


def phases(runs: list[Run]) -> str:
    """Median milliseconds of each phase of the dispatch."""
    ms = [median(values) * 1000 for values in (
        [run.row for run in runs], [run.first_line - run.row for run in runs],
        [run.last_line - run.first_line for run in runs], [run.first_command - run.last_line for run in runs])]
    return (f"task row {ms[0]:.0f}, engine's first line +{ms[1]:.0f}, its last line before the script "
            f"+{ms[2]:.0f}, first command +{ms[3]:.0f} (ms)")


def main() -> int:
    report = Report(f"Dispatch latency: {TASKS} sequential tasks per repository, SQLite, {os.cpu_count()} CPUs")
    with temporary_directory("bench-dispatch-") as tmp:
        stamps = tmp / "stamps"
        stamps.mkdir()
        script = SCRIPT.replace("STAMPS", str(stamps))
        url = git_repository(tmp / "scripts", {"first.sh": script})
        with running_server(tmp / "server") as server:
            api = Api.logged_in(server.url)
            database = server.directory / "data" / "database.sqlite"
            repositories = {"file:// git URL": url, "local path": str(tmp / "scripts")}
            projects = {name: script_project(api, ["first.sh"], source)
                        for name, source in repositories.items()}
            viewer = Viewer(server.url, api.token)
            try:
                first = {name: task_run(api, viewer, database, pid, templates["first.sh"], stamps)
                         for name, (pid, templates) in projects.items()}
                runs: dict[str, list[Run]] = {name: [] for name in projects}
                bare: list[float] = []
                for run in range(TASKS):
                    for name, (pid, templates) in projects.items():
                        runs[name].append(task_run(api, viewer, database, pid, templates["first.sh"], stamps))
                    bare.append(bare_spawn(tmp / "scripts" / "first.sh", stamps, run))
            finally:
                viewer.close()

    baseline = median(bare)
    report.info("bare spawn `bash script`, median", f"{baseline * 1000:.1f} ms")
    for name, measured in runs.items():
        values = [run.first_command for run in measured]
        overhead = median(values) - baseline
        report.info(f"{name}: first task (cold)", f"{first[name].first_command * 1000:.0f} ms")
        report.info(f"{name}: create -> first command, median", f"{median(values) * 1000:.0f} ms "
                    f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})")
        report.check(f"{name}: overhead over bare spawn, median", f"{overhead * 1000:.0f} ms",
                     f"< {MAX_OVERHEAD * 1000:.0f} ms", overhead < MAX_OVERHEAD)
        report.info(f"{name}: phases, median", phases(measured))
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
