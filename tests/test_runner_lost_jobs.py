"""The runner's side of a restart: which of the poll answer's jobs a runner process reports lost
(active on the server, and neither run, nor reported, nor handed over in that answer by it), and
what a killed runner process left on its machine, removed at the next start: its run directories,
and its jobs' process groups while their leader is still the recorded process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from semaphore.runners.client import RunnerClient
from semaphore.runners.job_runner import JobRunner, installed_registry
from semaphore.runners.leftovers import RunRecord, clean_leftovers, identity
from semaphore.runners.outbox import Outbox
from semaphore.runners.poller import RunnerLoop
from semaphore.runners.sealed import generate_private_key
from semaphore.testing import make_config

ACTIVE = ["starting", "waiting_confirmation", "confirmed", "running", "stopping"]


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path / "runner")


@pytest.fixture
def jobs(config):
    runner = JobRunner(config, installed_registry(config), Outbox())
    yield runner
    runner.shutdown(timeout=10)


def answer(current: dict[int, str], handed: tuple[int, ...] = ()) -> dict[str, object]:
    return {"CurrentJobs": [{"id": task_id, "status": status} for task_id, status in current.items()],
            "new_jobs": [{"task_id": task_id, "job": "sealed"} for task_id in handed]}


def test_active_jobs_this_process_does_not_have_are_lost(jobs):
    current = {10 + index: status for index, status in enumerate(ACTIVE)}
    current |= {20: "success", 21: "error", 22: "stopped", 23: "rejected"}
    assert jobs.lost(answer(current)) == list(range(10, 10 + len(ACTIVE)))
    malformed = {"CurrentJobs": [{"id": "x", "status": "running"}, {"status": "running"}, "junk"], "new_jobs": None}
    assert jobs.lost(malformed) == []


def test_a_job_whose_final_status_waits_in_the_outbox_or_handed_over_now_is_not_lost(jobs):
    reported = jobs.outbox.open(7, 1)
    reported.add_lines(["done"])
    reported.finish("success")  # the run ended; the server has not acknowledged it yet
    current = {7: "running", 8: "starting"}
    assert jobs.lost(answer(current, handed=(8,))) == []

    batch = jobs.outbox.take()
    jobs.outbox.acknowledge(batch)  # the server has the final status: its next answer says "success"
    assert jobs.lost(answer({7: "success", 8: "starting"}, handed=(8,))) == []
    assert jobs.lost(answer({7: "running", 8: "starting"})) == [7, 8]  # what a later process would see


def test_a_one_off_runner_does_not_report_lost_a_job_handed_over_beside_the_one_it_took(config, jobs):
    config.runner.one_off = True
    loop = RunnerLoop(config, None, RunnerClient("http://127.0.0.1:9", config.runner))
    loop._key = generate_private_key()
    loop.handle_poll_answer(answer({5: "starting", 6: "starting", 4: "running"}, handed=(5, 6)), jobs)
    assert loop._lost == [4]
    assert jobs.outbox.task_ids() == [5]  # taken (its sealed job did not open: it ends as error)


# -- leftovers ------------------------------------------------------------------------------------

RUN_AND_DIE = """
import subprocess, sys
from pathlib import Path
from semaphore.runners.leftovers import RunRecord
private_dir = Path(sys.argv[1])
private_dir.mkdir(mode=0o700)
(private_dir / "inventory").write_text("x")
record = RunRecord(private_dir)
child = subprocess.Popen(["sleep", "300"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
record.add_group(child.pid)
print(child.pid, flush=True)
"""  # a runner process that starts a job's process group, and dies before cleaning up


def killed_runner_run(runs: Path, name: str) -> int:
    """The pid of the job process a killed runner process left behind in ``runs/name``."""
    runs.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, "-c", RUN_AND_DIE, str(runs / name)], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_start_up_kills_a_killed_runners_job_groups_and_removes_its_run_directories(tmp_path):
    runs = tmp_path / "runs"
    child = killed_runner_run(runs, "task-1-aaaa")
    assert identity(child) is not None
    try:
        assert clean_leftovers(runs) == 1
        assert gone(child)
        assert list(runs.iterdir()) == []
    finally:
        if not gone(child, 0):
            os.kill(child, signal.SIGKILL)


def test_start_up_leaves_what_it_cannot_tell_is_a_dead_runners(tmp_path):
    runs = tmp_path / "runs"
    stranger = killed_runner_run(runs, "task-2-bbbb")  # its group's leader no longer matches its record
    record = runs / "task-2-bbbb.runner.json"
    content = json.loads(record.read_text())
    content["groups"] = [[stranger, "another boot:12345"]]
    record.write_text(json.dumps(content))
    (runs / "task-3-cccc").mkdir()  # no record: the server's own run, when it shares tmp_path
    alive = RunRecord(runs / "task-4-dddd")  # a runner process that still runs (this one)
    (runs / "task-4-dddd").mkdir()
    alive.add_group(stranger)
    try:
        assert clean_leftovers(runs) == 1  # only the dead runner's directory goes
        assert not gone(stranger, 0.5)
        assert sorted(path.name for path in runs.iterdir()) == ["task-3-cccc", "task-4-dddd",
                                                              "task-4-dddd.runner.json"]
    finally:
        os.kill(stranger, signal.SIGKILL)
