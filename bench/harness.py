"""What the benchmarks share: the real server and the test suite's clients, a project of bash
templates, a table of results with targets, and readers of process memory and CPU time.

The server, the HTTP client, the websocket viewer and the git repository helper are the test
suite's own (tests/process_helpers.py, tests/live_server.py): a benchmark measures exactly what the
end-to-end tests exercise.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from cluster_helpers import Cluster, running_cluster  # noqa: E402
from live_server import ADMIN, Api, Viewer, git_repository  # noqa: E402
from process_helpers import ServerProcess  # noqa: E402
from runner_processes import RunnerDir, RunnerProcess  # noqa: E402

__all__ = ["ADMIN", "Api", "Cluster", "Report", "RssSampler", "ServerProcess", "Viewer", "children", "cpu_seconds",
           "git_repository", "median", "running_cluster", "running_runner", "running_server", "running_servers",
           "script_project", "temporary_directory"]


# -- results -------------------------------------------------------------------------------------

@dataclass
class Row:
    measure: str
    value: str
    target: str
    ok: bool | None  # None: reported, no target


@dataclass
class Report:
    """The table a benchmark prints: ``measure | value | target | ok``."""

    title: str
    rows: list[Row] = field(default_factory=list)

    def check(self, measure: str, value: str, target: str, ok: bool) -> None:
        self.rows.append(Row(measure, value, target, ok))

    def info(self, measure: str, value: str) -> None:
        self.rows.append(Row(measure, value, "", None))

    @property
    def passed(self) -> bool:
        return all(row.ok is not False for row in self.rows)

    def render(self) -> str:
        cells = [("measure", "value", "target", "ok")]
        cells += [(r.measure, r.value, r.target, "-" if r.ok is None else "yes" if r.ok else "NO") for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(4)]
        lines = [" | ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
                 for row in cells]
        lines.insert(1, "-+-".join("-" * width for width in widths))
        verdict = "all targets met" if self.passed else "TARGET MISSED"
        return "\n".join([f"== {self.title} ==", *lines, verdict])

    def finish(self) -> int:
        """Print the table; the process's exit status (1 when a target was missed)."""
        print(self.render(), flush=True)
        return 0 if self.passed else 1


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- the server and a project --------------------------------------------------------------------

@contextlib.contextmanager
def temporary_directory(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


@contextlib.contextmanager
def running_server(directory: Path, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """The real `semaphore server` (SQLite in ``directory``) with the admin of ``ADMIN``."""
    directory.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(directory, env={**ADMIN, **(env or {})}).start()
    try:
        yield server
    finally:
        server.stop()


RUNNERS_TOKEN = "registration token of the benchmarks' runner"
REMOTE_RUNNER = {"SEMAPHORE_USE_REMOTE_RUNNER": "True", "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": RUNNERS_TOKEN}


@contextlib.contextmanager
def running_servers(directory: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two real servers side by side: (one running its tasks itself, one with use_remote_runner on)."""
    with running_server(directory / "local") as local, running_server(directory / "remote", REMOTE_RUNNER) as remote:
        yield local, remote


@contextlib.contextmanager
def running_runner(directory: Path, server_url: str) -> Iterator[RunnerProcess]:
    """A real `semaphore runner start` registered with the server at ``server_url``, polling."""
    runner = RunnerDir(directory, server_url)
    runner.write_config(registration_token=RUNNERS_TOKEN, name="bench")
    process = runner.start()
    try:
        process.wait_for_log("polling")
        yield process
    finally:
        process.stop()


def script_project(api: Api, scripts: Iterable[str], repository: str, *,
                   allow_parallel_tasks: bool = False) -> tuple[int, dict[str, int]]:
    """A project with ``repository`` (a git URL, or a local path used in place) and a bash template
    per script of it named in ``scripts``; (project id, template id by script name)."""
    pid = api.created("/api/projects", {"name": "Bench"})["id"]
    key = api.created(f"/api/project/{pid}/keys", {"name": "none", "type": "none", "project_id": pid})
    branch = "" if repository.startswith("/") else "main"
    repository_id = api.created(f"/api/project/{pid}/repositories", {
        "name": "scripts", "git_url": repository, "git_branch": branch, "ssh_key_id": key["id"],
        "project_id": pid})["id"]
    templates = {}
    for name in scripts:
        templates[name] = api.created(f"/api/project/{pid}/templates", {
            "name": name, "app": "bash", "playbook": name, "project_id": pid, "repository_id": repository_id,
            "allow_parallel_tasks": allow_parallel_tasks})["id"]
    return pid, templates


# -- memory ---------------------------------------------------------------------------------------

def rss_bytes(pid: int) -> int:
    """VmRSS of a live process, 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds of the process, CPU seconds of its children it has waited for), user + system."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime) / ticks, (cutime + cstime) / ticks


class RssSampler:
    """Samples the RSS of the server's master and its worker (the master's child) every ``interval``
    seconds in a thread; keeps the maxima."""

    def __init__(self, master_pid: int, interval: float = 0.1) -> None:
        self.master_pid = master_pid
        self.interval = interval
        self.max_master = 0
        self.max_worker = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.max_master = max(self.max_master, rss_bytes(self.master_pid))
            workers = children(self.master_pid)
            self.max_worker = max([self.max_worker, *(rss_bytes(pid) for pid in workers)])
            self.samples += 1
            self._stop.wait(self.interval)

