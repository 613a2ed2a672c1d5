"""The example plugin (examples/hello), loaded through its real entry point as a server loads it.

It relies on the editable install (`pip install -e examples/hello`, part of `make install`);
nothing is installed at run time.
"""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path

import pytest
from process_helpers import run_semaphore

from semaphore.app import create_app
from semaphore.db.models import AccessKey, Project, ProjectUser, Repository, Task, Template
from semaphore.plugin_testing import create_user_row, imported_top_level_modules, log_in, make_config
from semaphore.services.task_status import change_status
from semaphore.state import app_state


@pytest.fixture
def hello_app(database_env, tmp_path):
    """An app configured as an operator would: SEMAPHORE_PLUGINS=hello, entry points on."""
    config = make_config(tmp_path, {**database_env, "SEMAPHORE_PLUGINS": "hello"})
    application = create_app(config, entry_points=True)
    yield application
    application.extensions["semaphore"].db.dispose()


def test_loaded_through_its_entry_point(hello_app):
    create_user_row(hello_app, "ann", admin=True)
    client = log_in(hello_app.test_client(), "ann")
    plugins = {p["name"]: p for p in client.get("/api/plugins").get_json()}
    assert plugins["hello"] == {
        "name": "hello", "distribution": "semaphore-hello", "version": "0.1.0", "builtin": False,
        "status": "loaded", "error": None,
        "hooks": ["register_blueprints", "register_commands", "task_status_changed"]}
    # SEMAPHORE_PLUGINS is an allow-list: every other installed plugin is listed as disabled.
    others = {p["status"] for p in plugins.values() if not p["builtin"] and p["name"] != "hello"}
    assert others <= {"disabled"}


def test_route_greets_the_logged_in_user(hello_app):
    create_user_row(hello_app, "ann", name="Ann Example")
    client = hello_app.test_client()
    assert client.get("/plugins/hello/").status_code == 401
    log_in(client, "ann")
    response = client.get("/plugins/hello/")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Hello, Ann Example!", "username": "ann", "last_task_change": None}


def test_command_and_plugin_list_in_the_command_line(tmp_path):
    env = {"SEMAPHORE_PLUGINS": "hello"}
    result = run_semaphore(["hello", "--name", "Ann"], tmp_path, env)
    assert (result.returncode, result.stdout) == (0, "Hello, Ann!\n")
    assert "Print a greeting." in run_semaphore(["--help"], tmp_path, env).stdout
    listed = json.loads(run_semaphore(["plugins", "--json"], tmp_path, env).stdout)
    assert [(p["name"], p["status"]) for p in listed if p["name"] == "hello"] == [("hello", "loaded")]


def started_task(db, app, project_name: str) -> tuple[int, int]:
    """A task of a new project, changed to running through the core (so the hook is called)."""
    project = Project(name=project_name)
    db.add(project)
    db.flush()
    key = AccessKey(name="none", type="none", project_id=project.id)
    db.add(key)
    db.flush()
    repository = Repository(name="repo", project_id=project.id, git_url="file:///srv/repo", ssh_key_id=key.id)
    db.add(repository)
    db.flush()
    template = Template(name="Deploy", project_id=project.id, app="bash", playbook="deploy.sh",
                        repository_id=repository.id)
    db.add(template)
    db.flush()
    task = Task(template_id=template.id, project_id=project.id, status="waiting")
    db.add(task)
    db.flush()
    assert change_status(db, app_state(app).events, task, "running")
    return project.id, task.id


def test_task_status_changes_reach_the_plugin_and_only_members_see_them(hello_app, caplog):
    ann = create_user_row(hello_app, "ann")
    create_user_row(hello_app, "eve")
    create_user_row(hello_app, "root", admin=True)
    with hello_app.extensions["semaphore"].db.session() as db, \
            caplog.at_level(logging.INFO, logger="semaphore_hello"):
        ann_project, ann_task = started_task(db, hello_app, "Ann's")
        db.add(ProjectUser(project_id=ann_project, user_id=ann, role="guest"))
        _, other_task = started_task(db, hello_app, "Someone else's")  # the newest change

    assert f"task {ann_task} is now running" in caplog.text

    def last_change(login: str) -> object:
        return log_in(hello_app.test_client(), login).get("/plugins/hello/").get_json()["last_task_change"]

    assert last_change("ann") == {"task_id": ann_task, "status": "running"}
    assert last_change("eve") is None  # a member of no project sees no task
    assert last_change("root") == {"task_id": other_task, "status": "running"}  # an admin sees every project


def test_make_run_installs_no_example_plugin():
    """`make run` serves with what requirements.txt installs, and uninstalls every example the tests
    installed before; an example is loaded as a plugin by any server that has it installed."""
    root = Path(__file__).resolve().parents[1]
    installed = [line.split()[-1] for line in (root / "requirements.txt").read_text().splitlines()
                 if line.startswith("-e")]
    assert installed and not [path for path in installed if "examples" in path]
    assert "-e ./examples/hello" in (root / "requirements-test.txt").read_text().splitlines()
    removed = next(line for line in (root / "Makefile").read_text().splitlines()
                   if line.startswith("EXAMPLE_DISTRIBUTIONS :="))
    for example in (root / "examples").glob("*/pyproject.toml"):
        name = tomllib.loads(example.read_text())["project"]["name"]
        assert name in removed.split(), f"the Makefile's EXAMPLE_DISTRIBUTIONS misses {name}"


def test_importing_the_plugin_stays_cheap():
    # The database layer and the core's API modules load only when a request needs them.
    assert {"sqlalchemy", "flask_login"} & imported_top_level_modules("semaphore_hello") == set()
