"""The task engine in-process with the real bash executor plugin: running, failing, stopping,
timeouts, limits, orphans of dead servers, retention, confirmation, deploy autorun, secrets and
running as another user. HTTP goes through the Flask test client; processes, git and the
database are real."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import semaphore_bash
from live_server import git_repository
from sqlalchemy import select, update
from task_helpers import build_app, create_project, create_template, events, run_task

from semaphore import Executor, Job, ProcessSpec, hookimpl
from semaphore.cluster import nodes
from semaphore.db.models import Node, Repository, Runner, Task, TaskOutput
from semaphore.db.types import utcnow
from semaphore.engine.task_engine import TaskEngine
from semaphore.live import Viewer
from semaphore.state import app_state

FINISHED = {"success", "error", "stopped", "rejected"}

SCRIPTS = {
    "hello.sh": 'echo "hello $1"\necho second line\nprintf "no newline at the end"\n',
    "fail.sh": 'echo "about to fail"\nexit 3\n',
    "args.sh": 'echo "args: $*"\n',
    "stubborn.sh": ('trap "echo ignoring TERM" TERM\nsleep 300 &\necho $! > "$CHILD_PID_FILE"\n'
                    'echo waiting\nwhile true; do wait; done\n'),
    "sleep.sh": 'echo sleeping\nsleep 300 & wait\n',
    "stamp.sh": 'date +%s.%N > "$STAMP_DIR/$SEMAPHORE_TASK_ID.start"\nsleep 0.4\n'
                'date +%s.%N > "$STAMP_DIR/$SEMAPHORE_TASK_ID.end"\n',
    "whoami.sh": 'echo "uid $(id -u)"\n',
    "version.sh": 'echo "type=$SEMAPHORE_TASK_TYPE target=$SEMAPHORE_TASK_TARGET_VERSION '
                  'incoming=$SEMAPHORE_TASK_INCOMING_VERSION"\n',
}


class ConfirmingExecutor(Executor):
    """A two-step executor like terraform's plan -> confirm -> apply (the terraform plugin comes
    with a later issue); it exercises the engine's confirmation path with real processes."""

    app_id = "twostep"
    title = "Two steps"
    requires_playbook = False

    def run(self, job: Job) -> None:
        job.run_process(ProcessSpec(["echo", "planned"], job.context.repository_path))
        job.wait_for_confirmation()
        job.run_process(ProcessSpec(["echo", "applied"], job.context.repository_path))


class ConfirmingPlugin:
    @hookimpl
    def register_executors(self, register: Any) -> None:
        register(ConfirmingExecutor())


@pytest.fixture
def app(config, tmp_path):
    config.tmp_path = str(tmp_path / "work")
    config.local_repository_roots = [str(tmp_path)]  # the test's repositories are local directories
    config.env_vars = {"CHILD_PID_FILE": str(tmp_path / "child.pid"), "STAMP_DIR": str(tmp_path)}
    application = build_app(config, bash=semaphore_bash, twostep=ConfirmingPlugin())
    yield application
    engine = app_state(application).engine
    if engine is not None:
        engine.shutdown()
    application.extensions["semaphore"].db.dispose()


@pytest.fixture
def project(app, admin_client, tmp_path):
    project = create_project(app, admin_client)
    url = git_repository(tmp_path / "scripts", SCRIPTS)
    with app_state(app).db.session() as db:
        db.execute(update(Repository).where(Repository.id == project.repository_id).values(git_url=url))
    return project


def start_engine(app: Any, **settings: Any) -> TaskEngine:
    for name, value in settings.items():
        setattr(app_state(app).config, name, value)
    engine = TaskEngine(app_state(app))
    engine.start()
    return engine


def task_row(app: Any, task_id: int) -> Task:
    with app_state(app).db.session() as db:
        task = db.get(Task, task_id)
        assert task is not None
        db.expunge(task)
        return task


def wait_for(app: Any, task_id: int, statuses: set[str] = FINISHED, timeout: float = 30) -> Task:
    deadline = time.monotonic() + timeout
    while True:
        task = task_row(app, task_id)
        if task.status in statuses:
            return task
        assert time.monotonic() < deadline, f"task {task_id} is {task.status}, expected {statuses}"
        time.sleep(0.05)


def output(app: Any, task_id: int) -> list[str]:
    with app_state(app).db.session() as db:
        rows = db.scalars(select(TaskOutput).where(TaskOutput.task_id == task_id).order_by(TaskOutput.seq))
        return [row.output for row in rows]


def wait_for_line(app: Any, task_id: int, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in output(app, task_id)):
        assert time.monotonic() < deadline, f"{text!r} not in {output(app, task_id)}"
        time.sleep(0.05)


def test_a_task_runs_to_success_with_every_line_stored_in_order(app, admin_client, project, tmp_path):
    start_engine(app)
    template = create_template(admin_client, project, playbook="hello.sh", arguments='["world"]')
    task = run_task(admin_client, project, template["id"])

    finished = wait_for(app, task["id"])
    lines = output(app, task["id"])
    assert finished.status == "success", lines
    script_lines = ["hello world", "second line", "no newline at the end"]
    assert [line for line in lines if line in script_lines] == script_lines
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path / "scripts", capture_output=True,
                          text=True, check=True).stdout.strip()
    assert finished.commit_hash == head and finished.start and finished.end
    assert finished.claimed_by and finished.secret is None
    described = events(app, project.id)
    assert f"Task ID {task['id']} (Deploy app) is running" in described
    assert f"Task ID {task['id']} (Deploy app) finished - SUCCESS" in described
    assert not list((tmp_path / "work" / "runs").iterdir())  # the run's private directory is gone


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_failing_script_ends_the_task_as_error_with_its_exit_code(app, admin_client, project):
    start_engine(app)
    template = create_template(admin_client, project, playbook="fail.sh")
    task = run_task(admin_client, project, template["id"])
    assert wait_for(app, task["id"]).status == "error"
    lines = output(app, task["id"])
    assert "about to fail" in lines and "Bash exited with code 3" in lines


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_missing_branch_fails_the_task_with_a_clear_line(app, admin_client, project):
    start_engine(app)
    template = create_template(admin_client, project, playbook="hello.sh", git_branch="no-such-branch")
    task = run_task(admin_client, project, template["id"])
    assert wait_for(app, task["id"]).status == "error"
    assert any("no-such-branch" in line for line in output(app, task["id"]))


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_local_repository_outside_the_allowed_roots_runs_only_once_an_admin_saved_it(app, admin_client, project,
                                                                                     tmp_path):
    """A local repository saved before local_repository_roots (or written into the database by
    other means) is refused at run time, before anything of it runs, until an admin saves it."""
    with app_state(app).db.session() as db:
        db.execute(update(Repository).where(Repository.id == project.repository_id)
                   .values(git_url=str(tmp_path / "scripts"), git_branch=""))
    app_state(app).config.local_repository_roots = []
    start_engine(app)
    template = create_template(admin_client, project, playbook="hello.sh", arguments='["world"]')
    refused = run_task(admin_client, project, template["id"])
    assert wait_for(app, refused["id"]).status == "error"
    lines = output(app, refused["id"])
    assert any("outside local_repository_roots" in line for line in lines), lines
    assert "hello world" not in lines

    repository_url = f"{project.url}/repositories/{project.repository_id}"
    repository = admin_client.get(repository_url).get_json()
    assert admin_client.put(repository_url, json=repository).status_code == 204
    allowed = run_task(admin_client, project, template["id"])
    assert wait_for(app, allowed["id"]).status == "success"
    assert "hello world" in output(app, allowed["id"])


def start_stubborn_task(app: Any, admin_client: Any, project: Any, tmp_path: Path) -> tuple[dict[str, Any], int]:
    """A running task whose script ignores SIGTERM, and the pid of its background child."""
    template = create_template(admin_client, project, playbook="stubborn.sh")
    task = run_task(admin_client, project, template["id"])
    wait_for_line(app, task["id"], "waiting")
    return task, int((tmp_path / "child.pid").read_text())


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_stop_signals_the_process_group_and_kills_it_after_the_grace_period(app, admin_client, project, tmp_path):
    start_engine(app, task_stop_grace_sec=1)
    task, child = start_stubborn_task(app, admin_client, project, tmp_path)

    response = admin_client.post(f"{project.url}/tasks/{task['id']}/stop", json={"force": False})
    assert response.status_code == 204
    assert wait_for(app, task["id"], timeout=10).status == "stopped"
    assert "ignoring TERM" in output(app, task["id"])  # it got SIGTERM first ...
    assert not _alive(child)  # ... and the whole group SIGKILL after the grace period


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_forced_stop_ends_the_task_at_once(app, admin_client, project, tmp_path):
    start_engine(app, task_stop_grace_sec=60)
    task, child = start_stubborn_task(app, admin_client, project, tmp_path)

    started = time.monotonic()
    assert admin_client.post(f"{project.url}/tasks/{task['id']}/stop", json={"force": True}).status_code == 204
    assert task_row(app, task["id"]).status == "stopped"
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child) and time.monotonic() - started < 10


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_task_running_longer_than_max_task_duration_ends_as_error(app, admin_client, project):
    start_engine(app, max_task_duration_sec=1, task_stop_grace_sec=1)
    template = create_template(admin_client, project, playbook="sleep.sh")
    task = run_task(admin_client, project, template["id"])
    assert wait_for(app, task["id"], timeout=15).status == "error"
    assert any("max_task_duration_sec (1 s)" in line for line in output(app, task["id"]))


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"], indirect=True)
def test_no_more_than_max_parallel_tasks_run_at_once_and_all_finish(app, admin_client, project, tmp_path):
    start_engine(app, max_parallel_tasks=2)
    template = create_template(admin_client, project, playbook="stamp.sh", allow_parallel_tasks=True)
    ids = [run_task(admin_client, project, template["id"])["id"] for _ in range(6)]
    assert {wait_for(app, task_id).status for task_id in ids} == {"success"}
    spans = [(float((tmp_path / f"{i}.start").read_text()), float((tmp_path / f"{i}.end").read_text()))
             for i in ids]
    most = max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)
    assert most == 2  # parallel, but never more than the limit


def add_node(app: Any, node_id: str, *, age: float = 0, stopped: bool = False) -> None:
    """Another server process's node row: its last heartbeat ``age`` seconds ago."""
    beat = utcnow() - timedelta(seconds=age)
    with app_state(app).db.session() as db:
        db.add(Node(id=node_id, host="other-host", pid=7, version="0", started=beat, heartbeat=beat,
                    stopped=beat if stopped else None))
        db.commit()


def test_orphans_of_a_dead_node_end_as_error_and_waiting_tasks_run(app, admin_client, project, dialect):
    template = create_template(admin_client, project, playbook="hello.sh", allow_parallel_tasks=True)
    orphan = run_task(admin_client, project, template["id"])["id"]
    alive_elsewhere = run_task(admin_client, project, template["id"])["id"]
    waiting = run_task(admin_client, project, template["id"])["id"]
    add_node(app, "dead-node", age=nodes.NODE_TIMEOUT_SECONDS + 5)
    add_node(app, "live-node")
    with app_state(app).db.session() as db:
        db.execute(update(Task).where(Task.id == orphan).values(status="running", claimed_by="dead-node"))
        db.execute(update(Task).where(Task.id == alive_elsewhere).values(status="running", claimed_by="live-node"))
        db.add(TaskOutput(task_id=orphan, seq=1, output="written before the crash"))

    start_engine(app)
    crashed = wait_for(app, orphan)
    assert crashed.status == "error" and crashed.end
    lines = output(app, orphan)
    assert lines[0] == "written before the crash"
    assert lines[1:] == ["Task interrupted: the server process running it (node dead-node) stopped before the task "
                         "finished."]
    assert wait_for(app, waiting).status == "success"
    if dialect == "sqlite":  # one server per database file: every active task at start is an orphan
        assert task_row(app, alive_elsewhere).status == "error"
    else:  # a live node's task is left to it
        assert task_row(app, alive_elsewhere).status == "running"


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"], indirect=True)
def test_a_running_server_finishes_the_tasks_of_a_node_that_stops_or_dies_and_leaves_runners_theirs(
        app, admin_client, project):
    engine = TaskEngine(app_state(app))
    engine.sweep_seconds = 0.2
    engine.start()
    template = create_template(admin_client, project, playbook="hello.sh", allow_parallel_tasks=True)
    ids = [run_task(admin_client, project, template["id"])["id"] for _ in range(4)]
    for task_id in ids:
        wait_for(app, task_id)
    add_node(app, "stopped-node", stopped=True)
    add_node(app, "silent-node", age=nodes.NODE_TIMEOUT_SECONDS + 1)
    add_node(app, "live-node")
    with app_state(app).db.session() as db:  # nodes that died after this one started
        runner = Runner(name="remote", token="t" * 64, webhook="")
        db.add(runner)
        db.flush()
        for task_id, holder in zip(ids, ("stopped-node", "silent-node", "live-node"), strict=False):
            db.execute(update(Task).where(Task.id == task_id).values(status="running", end=None, claimed_by=holder))
        db.execute(update(Task).where(Task.id == ids[3]).values(status="running", end=None, claimed_by=None,
                                                               runner_id=runner.id))
    assert wait_for(app, ids[0], timeout=10).status == "error"
    assert wait_for(app, ids[1], timeout=10).status == "error"
    assert "(node silent-node) stopped before the task finished" in output(app, ids[1])[-1]
    time.sleep(3 * engine.sweep_seconds)  # sweeps that must leave them alone
    assert task_row(app, ids[2]).status == "running"  # a live node's
    assert task_row(app, ids[3]).status == "running"  # a remote runner's: its runner's to report


@pytest.mark.parametrize("dialect", ["postgres"], indirect=True)
def test_a_claim_of_this_node_that_it_does_not_run_ends_once_the_claim_is_old(app, admin_client, project):
    """A run whose thread was lost before it wrote its final status: the claim is this node's, the
    run is gone; a fresh claim is left to its run's set-up."""
    engine = TaskEngine(app_state(app))
    engine.sweep_seconds = 0.2
    engine.start()
    template = create_template(admin_client, project, playbook="hello.sh", allow_parallel_tasks=True)
    lost, fresh = (run_task(admin_client, project, template["id"])["id"] for _ in range(2))
    for task_id in (lost, fresh):
        wait_for(app, task_id)
    old = utcnow() - timedelta(seconds=nodes.NODE_TIMEOUT_SECONDS + 1)
    with app_state(app).db.session() as db:
        for task_id, claimed in ((lost, old), (fresh, utcnow())):
            db.execute(update(Task).where(Task.id == task_id).values(
                status="running", end=None, claimed_by=app_state(app).node_id, heartbeat=claimed))
    assert wait_for(app, lost, timeout=10).status == "error"
    assert task_row(app, fresh).status == "running"


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_draining_node_claims_nothing_until_it_is_resumed(app, admin_client, project):
    start_engine(app)
    node_id = app_state(app).node_id
    with app_state(app).db.session() as db:
        nodes.set_draining(db, db.get(Node, node_id), True)
    template = create_template(admin_client, project, playbook="hello.sh")
    task_id = run_task(admin_client, project, template["id"])["id"]  # wakes the dispatcher at once
    deadline = time.monotonic() + nodes.HEARTBEAT_SECONDS + 10
    while True:  # the next heartbeat finds the node with no task: drained
        with app_state(app).db.session() as db:
            if db.get(Node, node_id).drained is not None:
                break
        assert time.monotonic() < deadline, "the node never said it was drained"
        time.sleep(0.1)
    assert task_row(app, task_id).status == "waiting"
    with app_state(app).db.session() as db:
        nodes.set_draining(db, db.get(Node, node_id), False)
    assert wait_for(app, task_id).status == "success"


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_retention_keeps_the_newest_finished_tasks_of_a_template(app, admin_client, project):
    start_engine(app, max_tasks_per_template=2)
    template = create_template(admin_client, project, playbook="hello.sh")
    ids = []
    for _ in range(4):
        ids.append(run_task(admin_client, project, template["id"])["id"])
        wait_for(app, ids[-1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app_state(app).db.session() as db:
            left = list(db.scalars(select(Task.id).where(Task.template_id == template["id"]).order_by(Task.id)))
        if left == ids[-2:]:
            break
        time.sleep(0.05)
    assert left == ids[-2:]
    assert output(app, ids[0]) == []


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("action", "final", "applied"), [
    ("confirm", "success", True), ("reject", "rejected", False), ("stop", "stopped", False)])
def test_a_task_waits_for_confirmation(app, admin_client, project, action, final, applied):
    start_engine(app)
    template = create_template(admin_client, project, app="twostep", playbook="")
    task = run_task(admin_client, project, template["id"])
    wait_for(app, task["id"], {"waiting_confirmation"})
    assert "planned" in output(app, task["id"])

    body = {"force": False} if action == "stop" else None
    response = admin_client.post(f"{project.url}/tasks/{task['id']}/{action}", json=body)
    assert response.status_code == 204, response.get_json()
    assert wait_for(app, task["id"]).status == final
    assert ("applied" in output(app, task["id"])) is applied


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_a_successful_build_queues_its_autorun_deploy_with_the_version(app, admin_client, project):
    start_engine(app)
    viewer = app_state(app).live.subscribe(Viewer(user_id=0, admin=True))  # what a websocket viewer receives
    build = create_template(admin_client, project, name="Build", playbook="version.sh", type="build",
                            start_version="1.4.0")
    deploy = create_template(admin_client, project, name="Deploy", playbook="version.sh", type="deploy",
                             build_template_id=build["id"], autorun=True)
    build_task = run_task(admin_client, project, build["id"])
    assert wait_for(app, build_task["id"]).status == "success"
    assert "type=build target=1.4.0 incoming=" in output(app, build_task["id"])

    deadline = time.monotonic() + 10
    while True:
        with app_state(app).db.session() as db:
            deploy_id = db.scalar(select(Task.id).where(Task.template_id == deploy["id"]))
        if deploy_id or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert deploy_id, "the deploy was not queued"
    deployed = wait_for(app, deploy_id)
    assert deployed.status == "success" and deployed.build_task_id == build_task["id"]
    assert "type=deploy target= incoming=1.4.0" in output(app, deploy_id)
    updates = [json.loads(m) for item in viewer.take(0) for m in item.messages()]
    statuses = [u["status"] for u in updates if u["type"] == "update" and u["task_id"] == deploy_id]
    assert statuses[:1] == ["waiting"]  # the deploy was shown queued


@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_secret_values_reach_the_script_but_never_the_log_or_the_database(app, admin_client, project):
    start_engine(app)
    template = create_template(admin_client, project, playbook="args.sh")
    secret = "pa55-w0rd-in-the-run-dialog"
    response = admin_client.post(f"{project.url}/tasks", json={
        "template_id": template["id"], "secret": json.dumps({"db_password": secret})})
    assert response.status_code == 201
    task_id = response.get_json()["id"]
    with app_state(app).db.session() as db:
        stored = db.get(Task, task_id).secret
    assert stored and secret not in stored  # kept encrypted until the run ends ...
    assert wait_for(app, task_id).status == "success"
    assert "args: db_password=********" in output(app, task_id)
    assert task_row(app, task_id).secret is None  # ... and then forgotten


@pytest.mark.skipif(os.geteuid() != 0, reason="running tasks as another user needs a root server")
@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_tasks_run_as_the_configured_user(app, admin_client, project):
    work = Path(tempfile.mkdtemp(prefix="semaphore-run-as-"))  # pytest's own temp dirs are private to root
    work.chmod(0o755)
    start_engine(app, task_run_as_user="nobody", tmp_path=str(work))
    template = create_template(admin_client, project, playbook="whoami.sh")
    task = run_task(admin_client, project, template["id"])
    assert wait_for(app, task["id"]).status == "success", output(app, task["id"])
    assert f"uid {pwd.getpwnam('nobody').pw_uid}" in output(app, task["id"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs a root server")
@pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
def test_tasks_run_inside_the_configured_chroot(app, admin_client, project, tmp_path):
    root = tmp_path / "jail"
    for program in ("/usr/bin/bash", "/usr/bin/env"):
        _copy_with_libraries(program, root)
    start_engine(app, task_chroot=str(root), tmp_path=str(root / "work"))
    template = create_template(admin_client, project, playbook="jailed.sh")
    with app_state(app).db.session() as db:
        url = db.scalar(select(Repository.git_url).where(Repository.id == project.repository_id))
    scripts = Path(url.removeprefix("file://"))
    (scripts / "jailed.sh").write_text('[ -e /etc/passwd ] && echo "sees the host" || echo "inside the jail"\n'
                                       'echo "cwd $PWD"\n')
    subprocess.run(["git", "add", "."], cwd=scripts, check=True)
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.test", "commit", "-qm", "jail"],
                   cwd=scripts, check=True)
    task = run_task(admin_client, project, template["id"])
    assert wait_for(app, task["id"]).status == "success", output(app, task["id"])
    lines = output(app, task["id"])
    assert "inside the jail" in lines
    assert any(line.startswith("cwd /work/runs/task-") for line in lines), lines


def _copy_with_libraries(program: str, root: Path) -> None:
    """``program`` and the shared libraries ldd lists, at the same paths under ``root``."""
    listed = subprocess.run(["ldd", program], capture_output=True, text=True, check=True).stdout
    paths = [program] + [word for line in listed.splitlines() for word in line.split() if word.startswith("/")]
    for path in paths:
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(path).resolve(), target)
