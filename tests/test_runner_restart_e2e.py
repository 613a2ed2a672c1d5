"""A runner killed and started again at once, with a real `semaphore server` and real `semaphore
runner start` processes. The server's timeouts are long here (a minute and more), so nothing but
the restarted runner's report can end or give back its old tasks: a task it was running ends
`error` within a few polls with its output kept and its process killed, a task whose checkout it
had begun waits again and runs."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import ADMIN, Api, bash_template
from process_helpers import ServerProcess
from runner_processes import RunnerProcess
from test_runner_dispatch_e2e import (
    GLOBAL,
    SHOW,
    cmdline,
    gated_git,
    hand_overs,
    processes_below,
    run,
    runner_ids,
    start_runner,
    task_rows,
    wait_for_cloning,
    wait_for_line,
)

PATIENT = {"SEMAPHORE_USE_REMOTE_RUNNER": "True", "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": GLOBAL,
           "SEMAPHORE_RUNNERS_OFFLINE_TIMEOUT_SEC": "120", "SEMAPHORE_RUNNERS_TASK_FAIL_TIMEOUT_SEC": "240",
           "SEMAPHORE_RUNNERS_RECONCILE_INTERVAL_SEC": "1"}
LONG = "echo started\nsleep 300\necho never\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    directory = tmp_path / "server"
    directory.mkdir()
    process = ServerProcess(directory, env={**ADMIN, **PATIENT}).start()
    yield process
    process.stop()


@pytest.fixture
def runners() -> Iterator[list[RunnerProcess]]:
    started: list[RunnerProcess] = []
    yield started
    for process in started:
        if process.process is not None:
            process.stop()


def crash(runner: RunnerProcess) -> None:
    """SIGKILL to the runner process alone: its jobs' processes, in their own groups, live on."""
    assert runner.process is not None
    os.kill(runner.process.pid, signal.SIGKILL)
    runner.process.wait()


def test_a_task_running_on_a_runner_killed_and_started_again_ends_at_once_and_its_process_dies(
        server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "long.sh", LONG, project={"name": "Restart"},
                                     template="Long")
    runner = start_runner(runners, tmp_path / "phoenix", server.url)
    task_id = run(admin, pid, template_id)
    wait_for_line(admin, pid, task_id, "started")
    sleeps = [pid_ for pid_ in processes_below(runner) if "sleep 300" in cmdline(pid_)]
    assert sleeps
    runs = tmp_path / "phoenix" / "work" / "runs"
    assert [path for path in runs.iterdir() if path.is_dir()]  # the run's private directory

    crash(runner)
    assert all("sleep 300" in cmdline(pid_) for pid_ in sleeps)  # left running by the killed runner
    runner.start()
    restarted = time.monotonic()
    assert admin.wait_for_status(pid, task_id, {"error", "success", "stopped"}, timeout=30)["status"] == "error"
    assert time.monotonic() - restarted < 20  # a few polls, far below the server's timeouts
    lines = admin.output(pid, task_id)
    assert "started" in lines and "never" not in lines
    phoenix = runner_ids(admin)["phoenix"]
    assert lines[-1] == f"Task failed: its runner 'phoenix' (id {phoenix}) restarted and no longer runs it.", lines
    assert not any("sleep 300" in cmdline(pid_) for pid_ in sleeps)  # the new process killed the old group
    assert list(runs.iterdir()) == []
    assert "reported lost" in runner.log and "killed process group" in runner.log


def test_a_task_checking_out_on_a_runner_killed_and_started_again_waits_again_and_runs(
        server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "show.sh", SHOW, project={"name": "Recheckout"},
                                     template="Show")
    gate = tmp_path / "clone-is-slow"
    gate.touch()
    env = gated_git(tmp_path / "bin", gate)
    runner = start_runner(runners, tmp_path / "phoenix", server.url, env=env)
    task_id = run(admin, pid, template_id)
    wait_for_cloning(admin, pid, task_id)  # confirmed: the server will not hand the job over again
    time.sleep(4)  # past the time after which an unconfirmed job would be handed over again
    assert task_rows(server)[task_id][0] == "starting" and hand_overs(server, task_id) == 1

    below = processes_below(runner)
    crash(runner)  # and its slow clone with it, as a reboot would
    for pid_ in below:
        os.kill(pid_, signal.SIGKILL)
    gate.unlink()
    runner.start(env)
    assert admin.wait_for_status(pid, task_id, {"success", "error"}, timeout=30)["status"] == "success", \
        admin.output(pid, task_id)
    assert hand_overs(server, task_id) == 2, server.stderr
    assert "restarted before running it; the task waits again" in server.stderr
    assert task_rows(server)[task_id][1] == runner_ids(admin)["phoenix"]
    assert admin.output(pid, task_id)[-1] == "no newline at the end"
