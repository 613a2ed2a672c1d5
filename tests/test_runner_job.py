"""A runner runs a job with the engine's code: jobs planned from a real database, sealed and opened
as they travel, run with real processes and real git in the runner's own directory, and their
reports taken from the outbox as the poll loop takes them (the test plays the poll loop; there is
no server). Their log equals the local engine's for the same task, secrets masked; stop and force
stop reach the process group; a PUT that failed is sent again with the same records."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import semaphore_ansible
import semaphore_bash
import semaphore_python
from live_server import git_repository
from sqlalchemy import select, update
from task_helpers import build_app, create_template, run_task
from test_task_engine import ConfirmingPlugin  # a two-step executor that asks for confirmation

from semaphore.db.models import AccessKey, Inventory, Repository, Task, TaskOutput
from semaphore.engine.job_spec import JobSpec
from semaphore.engine.prepare import decrypt_task_secret, plan_job
from semaphore.engine.task_engine import TaskEngine
from semaphore.plugins import Plugins
from semaphore.registry import Registry
from semaphore.runners.job_runner import JobRunner, installed_registry
from semaphore.runners.outbox import Outbox
from semaphore.runners.sealed import generate_private_key, public_key_pem, seal_job
from semaphore.services.keys import encrypt_payload
from semaphore.state import app_state
from semaphore.testing import make_config

FINISHED = {"success", "error", "stopped", "rejected"}
SECRET = "pa55-w0rd-of-the-runner-test"
ENV_SECRET = "api-key-of-the-variable-group"

SCRIPTS = {
    "show.sh": 'echo "hello $1"\necho "args: $*"\necho "key: $API_KEY"\nprintf "no newline at the end"\n',
    "fail.sh": 'echo "about to fail"\nexit 3\n',
    "stubborn.sh": ('trap "echo ignoring TERM" TERM\nsleep 300 &\necho $! > "$CHILD_PID_FILE"\n'
                    'echo waiting\nwhile true; do wait; done\n'),
    "show.py": 'import sys\nprint("hello from python", sys.argv[1:])\nprint("done", end="")\n',
    "site.yml": '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: greet\n'
                '      debug: msg="hello {{ who }}"\n    - name: touch\n      command: /bin/true\n',
}


@pytest.fixture
def app(config, tmp_path):
    config.tmp_path = str(tmp_path / "server-work")
    config.local_repository_roots = [str(tmp_path)]
    application = build_app(config, bash=semaphore_bash, python=semaphore_python, ansible=semaphore_ansible,
                            twostep=ConfirmingPlugin())
    yield application
    engine = app_state(application).engine
    if engine is not None:
        engine.shutdown()
    application.extensions["semaphore"].db.dispose()


@pytest.fixture
def project(project, app, tmp_path):
    url = git_repository(tmp_path / "scripts", SCRIPTS)
    with app_state(app).db.session() as db:
        db.execute(update(Repository).where(Repository.id == project.repository_id).values(git_url=url))
    return project


@pytest.fixture
def runner_config(tmp_path):
    """The runner's own configuration: another tmp_path, nothing shared with the server."""
    config = make_config(tmp_path / "runner")
    config.task_stop_grace_sec = 1
    config.env_vars = {"CHILD_PID_FILE": str(tmp_path / "child.pid")}
    return config


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def job_runner(runner_config, outbox):
    runner = JobRunner(runner_config, installed_registry(runner_config), outbox)
    yield runner
    runner.shutdown(timeout=10)


class Received:
    """What a server would store from the outbox's batches; the test plays the poll loop: take a
    batch, "PUT" it (as JSON), acknowledge it."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.lines: dict[int, dict[int, str]] = defaultdict(dict)  # task id → seq → line
        self.times: dict[int, list[str]] = defaultdict(list)  # task id → its chunks' times
        self.statuses: dict[int, list[str]] = defaultdict(list)
        self.commits: dict[int, dict[str, str]] = {}
        self.host_results: dict[int, list[dict[str, Any]]] = {}

    def receive(self) -> bool:
        batch = self.outbox.take()
        if not batch:
            return False
        for job in json.loads(json.dumps(batch.body()))["Jobs"]:
            task_id = job["ID"]
            for seq, line in numbered_lines(job):
                self.lines[task_id].setdefault(seq, line)
            self.times[task_id] += [chunk["time"] for chunk in job.get("LogChunks", [])]
            if "Status" in job:
                self.statuses[task_id].append(job["Status"])
            if "Commit" in job:
                self.commits[task_id] = job["Commit"]
            if "HostResults" in job:
                self.host_results[task_id] = job["HostResults"]
        self.outbox.acknowledge(batch)
        return True

    def until(self, task_id: int, statuses: set[str] = FINISHED, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while not (self.statuses[task_id] and self.statuses[task_id][-1] in statuses):
            assert time.monotonic() < deadline, f"task {task_id}: {self.statuses[task_id]}, {self.messages(task_id)}"
            if not self.receive():
                self.outbox.wait(0.05)
        return self.statuses[task_id][-1]

    def until_line(self, task_id: int, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.messages(task_id)):
            assert time.monotonic() < deadline, f"{text!r} not in {self.messages(task_id)}"
            if not self.receive():
                self.outbox.wait(0.05)

    def messages(self, task_id: int) -> list[str]:
        return [line for _seq, line in sorted(self.lines[task_id].items())]


def numbered_lines(job: dict[str, Any]) -> list[tuple[int, str]]:
    """(seq, line) of a report's job, from its LogChunks."""
    return [(chunk["seq"] + n, line) for chunk in job.get("LogChunks", []) for n, line in enumerate(chunk["lines"])]


def plan(app: Any, task_id: int) -> JobSpec:
    """The job as the server plans it, after a JSON round trip (as it travels)."""
    state = app_state(app)
    with state.db.sessionmaker() as db:
        task = db.get(Task, task_id)
        assert task is not None
        spec = plan_job(db, state.config, state.secrets, task, task_secret=decrypt_task_secret(state.secrets,
                                                                                                task.secret))
    travelled = JobSpec.from_json(json.loads(json.dumps(spec.to_json())))
    assert travelled == spec
    return travelled


def engine_output(app: Any, task_id: int, timeout: float = 60) -> tuple[str, list[str]]:
    """Run the task with the local engine: its final status and log."""
    engine = TaskEngine(app_state(app))
    engine.start()
    deadline = time.monotonic() + timeout
    while True:
        with app_state(app).db.session() as db:
            status = db.scalar(select(Task.status).where(Task.id == task_id))
            lines = list(db.scalars(select(TaskOutput.output).where(TaskOutput.task_id == task_id)
                                    .order_by(TaskOutput.seq)))
        if status in FINISHED:
            return status, lines
        assert time.monotonic() < deadline, f"task {task_id} is {status}"
        time.sleep(0.05)


def queue_task(client: Any, project: Any, **template_fields: Any) -> int:
    template = create_template(client, project, **template_fields)
    return int(run_task(client, project, template["id"])["id"])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


# -- the same log as a local run ------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_sealed_bash_job_logs_what_the_local_engine_logs_with_secrets_masked(
        app, admin_client, project, job_runner, outbox, tmp_path):
    with app_state(app).db.session() as db:
        db.add(AccessKey(name="env.API_KEY", type="string", project_id=project.id,
                         environment_id=project.environment_id,
                         secret=encrypt_payload(app_state(app).secrets, ENV_SECRET)))
    template = create_template(admin_client, project, playbook="show.sh", arguments='["world"]',
                               environment_id=project.environment_id)
    response = admin_client.post(f"{project.url}/tasks", json={
        "template_id": template["id"], "secret": json.dumps({"DB_PASSWORD": SECRET})})
    assert response.status_code == 201
    task_id = response.get_json()["id"]
    spec = dataclasses.replace(plan(app, task_id), log_seq=7)  # lines 1-6 are the server's

    key = generate_private_key()
    answer = {"CurrentJobs": [], "new_jobs": [{"task_id": task_id, "job": seal_job(spec, public_key_pem(key))}]}
    job_runner.handle_poll_answer(answer, key)
    received = Received(outbox)
    assert received.until(task_id) == "success", received.messages(task_id)

    local_status, local_lines = engine_output(app, task_id)
    assert local_status == "success"
    assert received.messages(task_id) == local_lines
    assert "args: DB_PASSWORD=******** world" in local_lines
    assert "key: ********" in local_lines
    assert not any(SECRET in line or ENV_SECRET in line for line in local_lines)
    assert local_lines[-1] == "no newline at the end"

    seqs = list(received.lines[task_id])
    assert seqs == list(range(7, 7 + len(seqs)))
    assert all(stamp.endswith("Z") and "T" in stamp for stamp in received.times[task_id])
    assert received.statuses[task_id] == ["starting", "running", "success"]
    head = (tmp_path / "scripts" / ".git" / "refs" / "heads" / "main").read_text().strip()
    assert received.commits[task_id] == {"hash": head, "message": "scripts"}
    assert not list((tmp_path / "runner" / "work" / "runs").iterdir())  # the private directory is gone
    assert (tmp_path / "runner" / "work" / "repositories" / f"{project.repository_id}.git").is_dir()
    assert outbox.task_ids() == [] and not outbox.pending()  # every report acknowledged


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_python_job_logs_what_the_local_engine_logs(app, admin_client, project, job_runner, outbox):
    task_id = queue_task(admin_client, project, app="python", playbook="show.py", arguments='["x"]')
    job_runner.start(plan(app, task_id))
    received = Received(outbox)
    assert received.until(task_id) == "success", received.messages(task_id)
    local_status, local_lines = engine_output(app, task_id)
    assert local_status == "success"
    assert received.messages(task_id) == local_lines
    assert local_lines[-2:] == ["hello from python ['x']", "done"]


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_an_ansible_job_reports_its_recap_and_host_results(app, admin_client, project, job_runner, outbox):
    with app_state(app).db.session() as db:
        hosts = f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        inventory = Inventory(name="local", project_id=project.id, type="static", inventory=hosts)
        db.add(inventory)
        db.flush()
        inventory_id = inventory.id
    template = create_template(admin_client, project, app="ansible", playbook="site.yml", inventory_id=inventory_id,
                               environment_id=project.environment_id)
    task_id = run_task(admin_client, project, template["id"], environment='{"who": "the runner"}')["id"]
    job_runner.start(plan(app, task_id))
    received = Received(outbox)
    assert received.until(task_id, timeout=120) == "success", received.messages(task_id)
    lines = received.messages(task_id)
    assert any('"msg": "hello the runner"' in line for line in lines), lines
    assert any(line.startswith("PLAY RECAP") for line in lines)
    assert received.host_results[task_id] == [{"host": "localhost", "ok": 2, "changed": 1, "failed": 0,
                                                "unreachable": 0, "skipped": 0, "rescued": 0, "ignored": 0,
                                                "failures": []}]


# -- failing, stopping, confirming ---------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_failing_script_ends_error_with_its_output_kept(app, admin_client, project, job_runner, outbox):
    task_id = queue_task(admin_client, project, playbook="fail.sh")
    job_runner.start(plan(app, task_id))
    received = Received(outbox)
    assert received.until(task_id) == "error"
    lines = received.messages(task_id)
    assert lines[-2:] == ["about to fail", "Bash exited with code 3"]


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
@pytest.mark.parametrize("wanted", ["stopping", "stopped"])
def test_a_stop_from_the_server_ends_the_process_group_within_2_seconds(
        app, admin_client, project, job_runner, outbox, tmp_path, wanted):
    """``stopping``: SIGTERM, then SIGKILL after the grace period (1 s); ``stopped``: SIGKILL at once."""
    task_id = queue_task(admin_client, project, playbook="stubborn.sh")
    job_runner.start(plan(app, task_id))
    received = Received(outbox)
    received.until_line(task_id, "waiting")
    child = int((tmp_path / "child.pid").read_text())

    asked = time.monotonic()
    job_runner.handle_poll_answer({"CurrentJobs": [{"id": task_id, "status": wanted}], "new_jobs": []},
                                  generate_private_key())
    assert received.until(task_id) == "stopped"
    assert time.monotonic() - asked < 2
    assert not alive(child)
    lines = received.messages(task_id)
    assert lines[-1] == "Task stopped by a user."
    assert ("ignoring TERM" in lines) is (wanted == "stopping")  # a forced stop sends no SIGTERM


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_confirmation_waits_for_the_server_to_have_seen_the_question(app, admin_client, project, runner_config,
                                                                       outbox):
    plugins = Plugins(strict=True)
    plugins.register(ConfirmingPlugin(), "twostep")
    job_runner = JobRunner(runner_config, Registry(plugins), outbox)
    try:
        task_id = queue_task(admin_client, project, app="twostep", playbook="")
        running = job_runner.start(plan(app, task_id))
        deadline = time.monotonic() + 30
        while running.status != "waiting_confirmation":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        # An answer computed before the server had the question (an old confirmation) is no answer.
        job_runner.want(task_id, "confirmed")
        time.sleep(0.3)
        assert running.status == "waiting_confirmation"

        received = Received(outbox)
        received.until(task_id, {"waiting_confirmation"})
        assert "planned" in received.messages(task_id)
        job_runner.want(task_id, "confirmed")
        assert received.until(task_id) == "success"
        assert received.statuses[task_id] == ["starting", "running", "waiting_confirmation", "running", "success"]
        assert received.messages(task_id)[-1] == "applied"
    finally:
        job_runner.shutdown(timeout=10)


def test_a_job_that_does_not_open_ends_as_error_saying_why(job_runner, outbox):
    job = seal_job(_any_spec(), public_key_pem(generate_private_key()))
    job_runner.handle_poll_answer({"new_jobs": [{"task_id": 41, "job": job}, {"no": "task"}]}, generate_private_key())
    received = Received(outbox)
    assert received.until(41) == "error"
    assert received.messages(41) == ["The runner cannot open the job: the sealed box does not open: wrong key, "
                                     "changed bytes or other associated data"]


def _any_spec() -> JobSpec:
    from semaphore.engine.job_spec import SourceSpec
    from semaphore.execution import TaskDetails

    return JobSpec(task=TaskDetails(id=41, username="", message="", url=None), app_id="bash",
                   template={"id": 1, "name": "t"}, playbook="x.sh", source=SourceSpec(1, "/nowhere", "", None, None),
                   inventory=None, inventory_source=None, extra_vars={}, secret_vars={}, env_vars={}, env_secrets={},
                   secrets=[])


# -- the outbox --------------------------------------------------------------------------------

def test_a_failed_put_sends_the_same_records_again_and_an_acknowledged_batch_is_dropped():
    outbox = Outbox()
    job = outbox.open(5, first_seq=10)
    job.add_lines(["zero"])
    job.status("running")
    job.add_lines(["one", "two"])
    job.status("waiting_confirmation")

    first = outbox.take()  # a status goes only with every line made before it, one status per batch
    entry = first.body()["Jobs"][0]
    assert entry["Status"] == "running"
    assert numbered_lines(entry) == [(10, "zero"), (11, "one"), (12, "two")]
    job.add_lines(["three"])  # made while the PUT is under way; it fails: nothing is acknowledged
    retried = outbox.take()
    assert retried.body()["Jobs"][0]["LogChunks"] == entry["LogChunks"]  # same seqs, same times
    assert retried.body()["Jobs"][0]["Status"] == "running"
    outbox.acknowledge(first)  # the server confirmed only what the first attempt carried
    outbox.acknowledge(first)  # twice is harmless
    assert job.acknowledged_status == "running"

    rest = outbox.take().body()["Jobs"][0]
    assert numbered_lines(rest) == [(13, "three")]
    assert rest["Status"] == "waiting_confirmation"
    job.commit("abc123", "first commit")
    job.finish("success")
    final = outbox.take()  # the earlier batch was never acknowledged: its reports come again
    assert final.body()["Jobs"][0]["Status"] == "waiting_confirmation"
    assert final.body()["Jobs"][0]["LogChunks"][0]["seq"] == 13
    assert final.body()["Jobs"][0]["Commit"] == {"hash": "abc123", "message": "first commit"}
    outbox.acknowledge(final)
    assert outbox.task_ids() == [5] and job.acknowledged_status == "waiting_confirmation"
    last = outbox.take()
    assert last.body() == {"Jobs": [{"ID": 5, "Status": "success"}]}
    outbox.acknowledge(last)
    assert outbox.task_ids() == [] and not outbox.take()
    with pytest.raises(RuntimeError):
        job.status("running")


def test_a_batch_is_bounded_and_a_long_backlog_goes_in_order_over_several_batches():
    from semaphore.runners.outbox import MAX_BATCH_LINES

    outbox = Outbox()
    job = outbox.open(1, first_seq=1)
    job.add_lines([f"line {n}" for n in range(MAX_BATCH_LINES + 10)])
    job.finish("success")
    seen: list[int] = []
    statuses = []
    while batch := outbox.take():
        entry = batch.body()["Jobs"][0]
        seen += [seq for seq, _line in numbered_lines(entry)]
        statuses.append(entry.get("Status"))
        outbox.acknowledge(batch)
    assert seen == list(range(1, MAX_BATCH_LINES + 11))
    assert statuses == [None, "success"]  # the final status only with the last lines


def test_a_log_waits_while_too_much_is_unacknowledged_unless_its_job_is_stopping(monkeypatch):
    import threading

    from semaphore.runners import outbox as outbox_module

    monkeypatch.setattr(outbox_module, "MAX_PENDING_LINES", 2)
    outbox = Outbox()
    job = outbox.open(3, first_seq=1)
    job.add_lines(["a", "b"])
    writer = threading.Thread(target=job.add_lines, args=(["c"],))
    writer.start()
    writer.join(0.3)
    assert writer.is_alive()  # the server is behind: the run waits (its process blocks on its pipe)
    outbox.acknowledge(outbox.take())
    writer.join(5)
    assert not writer.is_alive() and job.next_seq == 4

    job.add_lines(["d"])
    job.add_lines(["stopping now"], give_way=lambda: True)  # a stopping run never waits for the server
    assert [seq for seq, _line in numbered_lines(outbox.take().body()["Jobs"][0])] == [3, 4, 5]
