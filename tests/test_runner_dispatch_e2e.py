"""Tasks run on real runners: a real `semaphore server` with use_remote_runner on and real
`semaphore runner start` processes, each in its own directory with its own config. A task's output
on a runner equals a local run's, with its secret masked and absent from every byte a
TLS-terminating proxy between them sees; a stop arrives within 2 s; tags choose the runner; two
runners share a queue within their max_parallel_tasks; a runner killed mid-task fails its task
after runners.task_fail_timeout_sec, its output kept; a task a runner took but never started runs
on another; a job is handed over once however long its checkout takes, and again only when its
answer was lost; a runner removed mid-task fails its run at once and its starting task runs on
another."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import ADMIN, Api, bash_template
from process_helpers import ServerProcess
from runner_helpers import registration_body, runner_call
from runner_processes import RunnerDir, RunnerProcess
from tls_proxy import TlsProxy

from semaphore.runners.sealed import generate_private_key, open_job, public_key_pem

GLOBAL = "global registration token of the dispatch tests"
SECRET = "pa55-w0rd-that-travels-sealed"
TASK_FAIL_TIMEOUT = 3
REMOTE = {"SEMAPHORE_USE_REMOTE_RUNNER": "True", "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": GLOBAL,
          "SEMAPHORE_RUNNERS_OFFLINE_TIMEOUT_SEC": "2",
          "SEMAPHORE_RUNNERS_TASK_FAIL_TIMEOUT_SEC": str(TASK_FAIL_TIMEOUT),
          "SEMAPHORE_RUNNERS_RECONCILE_INTERVAL_SEC": "1"}
SHOW = 'echo "hello from $(basename "$PWD")"\necho "args: $*"\nprintf "no newline at the end"\n'
SLOW = 'echo started\nsleep 60\necho never\n'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    directory = tmp_path / "server"
    directory.mkdir()
    process = ServerProcess(directory, env={**ADMIN, **REMOTE}).start()
    yield process
    process.stop()


@pytest.fixture
def patient_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that gives its runners the default minute to come back after it was down: a runner's
    backoff grows up to 30 s while the server is away."""
    directory = tmp_path / "server"
    directory.mkdir()
    env = {**ADMIN, **REMOTE, "SEMAPHORE_RUNNERS_TASK_FAIL_TIMEOUT_SEC": "60"}
    process = ServerProcess(directory, env=env).start()
    yield process
    process.stop()


@pytest.fixture
def runners(tmp_path: Path) -> Iterator[list[RunnerProcess]]:
    started: list[RunnerProcess] = []
    yield started
    for process in started:
        if process.process is not None:
            process.stop()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.process.pid, signal.SIGKILL)  # what a killed runner left running


def start_runner(runners: list[RunnerProcess], directory: Path, web_host: str, env: dict[str, str] | None = None,
                 **config: object) -> RunnerProcess:
    runner = RunnerDir(directory, web_host)
    runner.write_config(registration_token=GLOBAL, name=directory.name, **config)
    process = runner.start(env)
    runners.append(process)
    process.wait_for_log("polling")
    return process


def run(admin: Api, pid: int, template_id: int, **fields: object) -> int:
    return int(admin.created(f"/api/project/{pid}/tasks", {"template_id": template_id, **fields})["id"])


def task_rows(server: ServerProcess) -> dict[int, tuple[str, int | None]]:
    """task id -> (status, runner id), straight from the server's database."""
    with sqlite3.connect(server.directory / "data" / "database.sqlite") as db:
        return {task_id: (status, runner_id) for task_id, status, runner_id in
                db.execute("SELECT id, status, runner_id FROM task")}


def wait_for_cloning(admin: Api, pid: int, task_id: int) -> None:
    """Until the task's log says its runner is cloning the repository: the runner has the job."""
    deadline = time.monotonic() + 30
    while not any(line.startswith("Cloning repository") for line in admin.output(pid, task_id)):
        assert time.monotonic() < deadline, admin.output(pid, task_id)
        time.sleep(0.1)


def hand_overs(server: ServerProcess, task_id: int) -> int:
    return server.stderr.count(f"task {task_id} handed to runner")


def gated_git(directory: Path, gate: Path) -> dict[str, str]:
    """A runner's environment whose `git` fetches (and so clones) only while ``gate`` is absent: a
    repository as slow to check out as the test wants."""
    directory.mkdir(parents=True)
    script = directory / "git"
    script.write_text(f'#!/bin/sh\ncase " $* " in *" fetch "*)\n'
                      f'  while [ -e {shlex.quote(str(gate))} ]; do sleep 0.1; done ;;\nesac\n'
                      f'exec {shlex.quote(shutil.which("git") or "git")} "$@"\n')
    script.chmod(0o755)
    return {"PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


def runner_ids(admin: Api) -> dict[str, int]:
    status, listed = admin("GET", "/api/runners")
    assert status == 200, listed
    return {runner["name"]: runner["id"] for runner in listed}


def wait_for_line(admin: Api, pid: int, task_id: int, line: str, timeout: float = 30) -> None:
    """Until the task's log has exactly this line (the run is under way)."""
    deadline = time.monotonic() + timeout
    while line not in admin.output(pid, task_id):
        assert time.monotonic() < deadline, admin.output(pid, task_id)
        time.sleep(0.1)


def without_ids(lines: list[str], task_id: int) -> list[str]:
    return [re.sub(rf"\bTask {task_id}\b", "Task N", line) for line in lines]


def test_a_task_with_a_secret_runs_on_a_runner_as_it_runs_locally_and_travels_sealed(tmp_path, runners):
    directory = tmp_path / "server"
    directory.mkdir()
    server = ServerProcess(directory, env={**ADMIN, "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": GLOBAL}).start()
    proxy = None
    try:
        admin = Api.logged_in(server.url)
        pid, template_id = bash_template(admin, tmp_path / "scripts", "show.sh", SHOW, project={"name": "Sealed"},
                                         template="Show")
        secret = {"secret": json.dumps({"DB_PASSWORD": SECRET})}
        local = run(admin, pid, template_id, **secret)
        assert admin.wait_for_status(pid, local, {"success", "error"})["status"] == "success"
        local_lines = admin.output(pid, local)

        server.stop()  # the same server and database, now with runners
        server.env.update(REMOTE)
        server.start()
        admin = Api.logged_in(server.url)
        proxy = TlsProxy(server.url, tmp_path)
        start_runner(runners, tmp_path / "runner", proxy.url, ca_file=str(proxy.certificate))
        remote = run(admin, pid, template_id, **secret)
        assert admin.wait_for_status(pid, remote, {"success", "error"})["status"] == "success", \
            admin.output(pid, remote)
        remote_lines = admin.output(pid, remote)
    finally:
        if proxy is not None:
            proxy.close()
        server.stop()

    assert without_ids(remote_lines, remote) == without_ids(local_lines, local)
    assert "args: DB_PASSWORD=********" in remote_lines and remote_lines[-1] == "no newline at the end"
    assert task_rows(server)[remote][1] is not None and task_rows(server)[local][1] is None
    seen = b"".join(proxy.seen)
    assert b'"new_jobs": [{"task_id"' in seen or b'"task_id":' in seen  # the job did pass the proxy
    assert SECRET.encode() not in seen
    assert SECRET not in server.stdout + server.stderr + runners[0].log


def processes_below(runner: RunnerProcess) -> list[int]:
    """The pids of the runner's descendants (its jobs' processes, wherever their group or session)."""
    assert runner.process is not None
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    below, frontier = [], [runner.process.pid]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        below += children
        frontier = children
    return below


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_stop_reaches_the_runner_within_2_seconds(server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "slow.sh", SLOW, project={"name": "Stop"},
                                     template="Slow")
    start_runner(runners, tmp_path / "runner", server.url)
    task_id = run(admin, pid, template_id)
    wait_for_line(admin, pid, task_id, "started")
    asked = time.monotonic()
    assert admin("POST", f"/api/project/{pid}/tasks/{task_id}/stop", {})[0] == 204
    assert admin.wait_for_status(pid, task_id, {"stopped"}, timeout=10)["status"] == "stopped"
    assert time.monotonic() - asked < 2.0
    assert "never" not in admin.output(pid, task_id)

    forced = run(admin, pid, template_id)  # a force stop: stopped at once, the runner kills the group
    wait_for_line(admin, pid, forced, "started")
    assert any("sleep 60" in cmdline(pid_) for pid_ in processes_below(runners[0]))
    assert admin("POST", f"/api/project/{pid}/tasks/{forced}/stop", {"force": True})[0] == 204
    assert admin("GET", f"/api/project/{pid}/tasks/{forced}")[1]["status"] == "stopped"
    deadline = time.monotonic() + 2
    while any("sleep 60" in cmdline(pid_) for pid_ in processes_below(runners[0])):
        assert time.monotonic() < deadline, "the force-stopped task's process still runs"
        time.sleep(0.05)


def test_tags_route_a_task_to_the_runner_that_has_them(server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "show.sh", SHOW, project={"name": "Tags"},
                                     template="Tagged")
    status, template = admin("GET", f"/api/project/{pid}/templates/{template_id}")
    assert status == 200
    assert admin("PUT", f"/api/project/{pid}/templates/{template_id}", {**template, "runner_tag": "blue"})[0] == 204
    for name, tags in (("red", ["red"]), ("blue", ["blue", "linux"])):
        start_runner(runners, tmp_path / name, server.url, tags=tags)
    ids = runner_ids(admin)
    tasks = [run(admin, pid, template_id) for _ in range(3)]
    for task_id in tasks:
        assert admin.wait_for_status(pid, task_id, {"success", "error"})["status"] == "success"
    assert {task_rows(server)[task_id][1] for task_id in tasks} == {ids["blue"]}

    clones = list((tmp_path / "blue" / "work" / "repositories").glob("*.git"))
    assert clones  # the blue runner's cache: cleaned at its next poll when asked
    assert admin("POST", f"/api/runners/{ids['blue']}/cache")[0] == 204
    deadline = time.monotonic() + 10
    while any(clone.exists() for clone in clones):
        assert time.monotonic() < deadline, "the runner did not clean its cache"
        time.sleep(0.1)


def test_two_runners_share_eight_tasks_within_their_max_parallel_tasks(server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "nap.sh", "echo nap\nsleep 1\n",
                                     project={"name": "Share"}, template="Nap")
    status, template = admin("GET", f"/api/project/{pid}/templates/{template_id}")
    assert admin("PUT", f"/api/project/{pid}/templates/{template_id}",
                 {**template, "allow_parallel_tasks": True})[0] == 204
    for name in ("one", "two"):
        start_runner(runners, tmp_path / name, server.url, max_parallel_tasks=2)
    tasks = [run(admin, pid, template_id) for _ in range(8)]
    most: dict[int, int] = {}
    deadline = time.monotonic() + 60
    while True:
        rows = task_rows(server)
        active: dict[int, int] = {}
        for task_id in tasks:
            status, runner_id = rows[task_id]
            if runner_id is not None and status not in ("success", "error", "stopped", "waiting"):
                active[runner_id] = active.get(runner_id, 0) + 1
        for runner_id, count in active.items():
            most[runner_id] = max(most.get(runner_id, 0), count)
        if all(rows[task_id][0] in ("success", "error") for task_id in tasks) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    rows = task_rows(server)
    assert [rows[task_id][0] for task_id in tasks] == ["success"] * 8
    assert set(most) == set(runner_ids(admin).values()) and max(most.values()) <= 2, most
    assert {rows[task_id][1] for task_id in tasks} == set(runner_ids(admin).values())


def test_a_runner_killed_mid_task_fails_it_after_the_timeout_with_its_output_kept(server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "slow.sh", SLOW, project={"name": "Killed"},
                                     template="Slow")
    process = start_runner(runners, tmp_path / "doomed", server.url)
    task_id = run(admin, pid, template_id)
    wait_for_line(admin, pid, task_id, "started")
    assert process.process is not None
    os.killpg(process.process.pid, signal.SIGKILL)
    killed = time.monotonic()
    assert admin.wait_for_status(pid, task_id, {"error"}, timeout=30)["status"] == "error"
    assert time.monotonic() - killed >= TASK_FAIL_TIMEOUT - 1
    lines = admin.output(pid, task_id)
    assert "started" in lines
    assert "'doomed'" in lines[-1] and f"more than {TASK_FAIL_TIMEOUT} s" in lines[-1], lines


def test_a_task_starting_on_a_runner_that_went_away_runs_on_another(server, tmp_path, runners):
    """The first runner polls once (the task is claimed for it, ``starting``) and is never heard of
    again: after runners.offline_timeout_sec the task waits again, and a live runner runs it."""
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "show.sh", SHOW, project={"name": "Away"},
                                     template="Show")
    status, gone = runner_call(server.url, "POST", registration_body(GLOBAL, name="gone"))
    assert status == 200, gone
    task_id = run(admin, pid, template_id)
    status, answer = runner_call(server.url, "GET", token=gone["token"])
    assert status == 200 and [job["task_id"] for job in answer["new_jobs"]] == [task_id], answer
    assert task_rows(server)[task_id] == ("starting", gone["id"])

    start_runner(runners, tmp_path / "alive", server.url)
    assert admin.wait_for_status(pid, task_id, {"success", "error"})["status"] == "success"
    assert task_rows(server)[task_id][1] == runner_ids(admin)["alive"]
    assert admin.output(pid, task_id)[-1] == "no newline at the end"


def test_a_one_off_runner_runs_one_job_and_exits_once_it_is_reported(server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "show.sh", SHOW, project={"name": "Once"},
                                     template="Show")
    process = start_runner(runners, tmp_path / "once", server.url, one_off=True, max_parallel_tasks=1)
    task_id = run(admin, pid, template_id)
    assert process.wait() == 0, process.log
    assert admin("GET", f"/api/project/{pid}/tasks/{task_id}")[1]["status"] == "success"
    assert admin.output(pid, task_id)[-1] == "no newline at the end"
    assert "one-off: the job finished and was reported" in process.log


def test_a_server_away_mid_task_loses_no_line_and_stores_none_twice(patient_server, tmp_path, runners):
    """The runner keeps its reports while the server is down for 10 s and sends them again when it is
    back: each line is stored once, in order, and the task finishes."""
    server = patient_server
    admin = Api.logged_in(server.url)
    script = 'for i in $(seq 1 40); do echo "line $i"; sleep 0.1; done\n'
    pid, template_id = bash_template(admin, tmp_path / "scripts", "count.sh", script, project={"name": "Away"},
                                     template="Count")
    process = start_runner(runners, tmp_path / "patient", server.url)
    task_id = run(admin, pid, template_id)
    wait_for_line(admin, pid, task_id, "line 5")
    server.stop()
    process.wait_for_log("server away")
    time.sleep(10)
    server.start()
    admin = Api.logged_in(server.url)
    assert admin.wait_for_status(pid, task_id, {"success", "error"}, timeout=90)["status"] == "success"
    lines = admin.output(pid, task_id)
    counted = [line for line in lines if line.startswith("line ")]
    assert counted == [f"line {i}" for i in range(1, 41)], lines
    assert process.log.count("server back") == 1


def test_a_job_is_handed_over_once_however_long_its_checkout_takes(server, tmp_path, runners):
    """The runner confirms the job as soon as it opened it; the server then never hands it over
    again, while the checkout keeps the task ``starting`` for seconds."""
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "show.sh", SHOW, project={"name": "Slow clone"},
                                     template="Show")
    gate = tmp_path / "clone-is-slow"
    gate.touch()
    start_runner(runners, tmp_path / "patient", server.url, env=gated_git(tmp_path / "bin", gate))
    task_id = run(admin, pid, template_id)
    wait_for_cloning(admin, pid, task_id)
    starting_until = time.monotonic() + 6  # twice the time after which an unconfirmed job goes again
    while time.monotonic() < starting_until:
        assert task_rows(server)[task_id][0] == "starting"
        time.sleep(0.2)
    gate.unlink()
    assert admin.wait_for_status(pid, task_id, {"success", "error"})["status"] == "success", \
        admin.output(pid, task_id)
    assert hand_overs(server, task_id) == 1, server.stderr


def test_a_job_whose_answer_was_lost_is_handed_over_again_until_confirmed(server, tmp_path):
    """A runner that never saw the answer carrying its job (here: one that ignores it) is given the
    job again a few seconds later, and no more once it confirmed it."""
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "show.sh", SHOW, project={"name": "Lost"},
                                     template="Show")
    key = generate_private_key()
    status, forgetful = runner_call(server.url, "POST",
                                    registration_body(GLOBAL, name="forgetful", public_key=public_key_pem(key)))
    assert status == 200, forgetful
    token = forgetful["token"]
    task_id = run(admin, pid, template_id)

    def new_jobs() -> list[dict[str, object]]:
        status, answer = runner_call(server.url, "GET", token=token)
        assert status == 200, answer
        return list(answer["new_jobs"])

    assert [job["task_id"] for job in new_jobs()] == [task_id]  # this answer is "lost"
    lost = time.monotonic()
    again = new_jobs()
    while not again:
        assert time.monotonic() - lost < 15, "the job was not handed over again"
        time.sleep(0.5)
        again = new_jobs()
    assert time.monotonic() - lost >= 2.5  # not at every poll: three seconds after the hand-over
    assert open_job(key, str(again[0]["job"]), task_id).task.id == task_id

    status, _ = runner_call(server.url, "PUT", {"Jobs": [{"ID": task_id, "Status": "starting"}]}, token=token)
    assert status == 204
    quiet_until = time.monotonic() + 5
    while time.monotonic() < quiet_until:
        assert new_jobs() == []
        time.sleep(0.5)
    assert hand_overs(server, task_id) == 2, server.stderr


def test_a_runner_removed_mid_task_fails_its_run_at_once_and_its_starting_task_runs_on_another(
        server, tmp_path, runners):
    admin = Api.logged_in(server.url)
    pid, slow = bash_template(admin, tmp_path / "slow", "slow.sh", SLOW, project={"name": "Removed"}, template="Slow")
    other_pid, show = bash_template(admin, tmp_path / "show", "show.sh", SHOW, project={"name": "Moved"},
                                    template="Show")
    gate = tmp_path / "clone-is-slow"
    doomed = start_runner(runners, tmp_path / "doomed", server.url, env=gated_git(tmp_path / "bin", gate),
                          max_parallel_tasks=2)
    running = run(admin, pid, slow)
    wait_for_line(admin, pid, running, "started")
    gate.touch()  # the next task stays starting on the doomed runner, checking out
    starting = run(admin, other_pid, show)
    wait_for_cloning(admin, other_pid, starting)
    doomed_id = runner_ids(admin)["doomed"]

    assert admin("DELETE", f"/api/runners/{doomed_id}")[0] == 204
    assert admin("GET", f"/api/project/{pid}/tasks/{running}")[1]["status"] == "error"
    lines = admin.output(pid, running)
    assert "started" in lines
    assert lines[-1] == f"Task failed: its runner 'doomed' (id {doomed_id}) was removed.", lines
    assert task_rows(server)[starting] == ("waiting", None)

    gate.unlink()
    assert doomed.wait() != 0 and "the runner was removed" in doomed.log
    start_runner(runners, tmp_path / "alive", server.url)
    assert admin.wait_for_status(other_pid, starting, {"success", "error"})["status"] == "success"
    assert task_rows(server)[starting][1] == runner_ids(admin)["alive"]
    assert admin.output(pid, running)[-1] == lines[-1]  # nothing the doomed runner sent later counts
