"""Dispatch through a runner: from the create request to the task's first command, beside a local run.

Two real servers (SQLite) in the same run: one runs its tasks itself, the other has
use_remote_runner on and one real `semaphore runner start` polling it. Each has the same project:
a file:// git repository with a bash script whose first command writes ``date +%s.%N`` to a file
named after $SEMAPHORE_TASK_ID. Tasks are created one at a time (the clock read just before the
POST) and waited for before the next; local and runner tasks take turns, so that the machine's
noise falls on both alike.

Target: median(runner) - median(local) <= 1.5 s. The runner polls once a second (as the original
does), so a task waits half a poll on average and a whole one at worst before the runner sees it;
the rest is the runner's own fetch, checkout and spawn, which the local run pays too.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from harness import (
    Api,
    Report,
    git_repository,
    median,
    running_runner,
    running_servers,
    script_project,
    temporary_directory,
)

TASKS = 10  # per side, after one warm-up task each
MAX_EXTRA = 1.5  # seconds a runner may add to the local run's median
SCRIPT = 'date +%s.%N > "STAMPS/$SEMAPHORE_TASK_ID"\necho started\n'


def first_command(api: Api, pid: int, template_id: int, stamps: Path) -> float:
    """Seconds from the create request to the script's first command, for one task run to its end."""
    started = time.time()
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
    final = api.wait_for_status(pid, task["id"], {"success", "error", "stopped"})
    if final["status"] != "success":
        raise SystemExit(f"task {task['id']} ended {final['status']}: {api.output(pid, task['id'])}")
    # the two servers number their tasks alike: each side stamps into its own directory
    return float((stamps / str(task["id"])).read_text()) - started


def milliseconds(values: list[float]) -> str:
    return (f"{median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, "
            f"max {max(values) * 1000:.0f})")


def main() -> int:
    report = Report(f"Dispatch through a runner: {TASKS} sequential tasks each, SQLite, {os.cpu_count()} CPUs")
    with temporary_directory("bench-runner-dispatch-") as tmp, running_servers(tmp / "servers") as servers:
        sides = {}
        for name, server in zip(("local", "runner"), servers, strict=True):
            stamps = tmp / name / "stamps"
            stamps.mkdir(parents=True)
            url = git_repository(tmp / name / "scripts", {"first.sh": SCRIPT.replace("STAMPS", str(stamps))})
            api = Api.logged_in(server.url)
            pid, templates = script_project(api, ["first.sh"], url)
            sides[name] = (api, pid, templates["first.sh"], stamps)
        with running_runner(tmp / "runner", servers[1].url):
            first = {name: first_command(*side) for name, side in sides.items()}
            runs: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(TASKS):
                for name, side in sides.items():
                    runs[name].append(first_command(*side))

    for name in sides:
        report.info(f"{name}: first task (cold)", f"{first[name] * 1000:.0f} ms")
        report.info(f"{name}: create -> first command, median", milliseconds(runs[name]))
    extra = median(runs["runner"]) - median(runs["local"])
    report.check("runner - local, median", f"{extra * 1000:.0f} ms (runner/local "
                 f"{median(runs['runner']) / median(runs['local']):.1f}x)", f"<= {MAX_EXTRA * 1000:.0f} ms",
                 extra <= MAX_EXTRA)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
