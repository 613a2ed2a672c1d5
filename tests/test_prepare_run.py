"""Preparing a run, on every database: key and inventory files, the checkout's inventory path,
variables, the process environment, task details and the secrets the log masks; the planned job
survives its JSON round trip (as it travels to a remote runner) and materialises the same.

Rows are built directly (keys encrypted as the key store stores them); templates and tasks go
through the API. The checkout is a directory the test fills, as the engine's checkout would.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import pytest
from task_helpers import create_template, run_task

from semaphore.db.models import AccessKey, Environment, Inventory, Repository, Task
from semaphore.engine.job_spec import JobSpec, JobSpecError
from semaphore.engine.materialise import materialise
from semaphore.engine.prepare import RunPreparationError, decrypt_task_secret, plan_job
from semaphore.services.keys import encrypt_payload
from semaphore.state import app_state

PASSPHRASE = "correct-horse-passphrase"
BECOME_PASSWORD = "become-password-4711"
REPO_PASSWORD = "p@ss/word:42"  # URL-quoted inside an https URL: p%40ss%2Fword%3A42
VAULT_PASSWORD = "vault-password-0815"
SERVER_ENV = {"PATH": "/srv/bin:/usr/bin", "LANG": "C.UTF-8", "FORWARDED": "from the server",
              "SEMAPHORE_ACCESS_KEY_ENCRYPTION": "c2VydmVyLWtleQ==", "SEMAPHORE_DB_PASS": "db-password",
              "AWS_SECRET_ACCESS_KEY": "aws-secret"}


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def private_dir(tmp_path):
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def checkout(tmp_path):
    path = tmp_path / "checkout"
    (path / "inventories").mkdir(parents=True)
    (path / "inventories" / "hosts.ini").write_text("[web]\nweb1\n")
    return path


@pytest.fixture(scope="module")
def ssh_key(tmp_path_factory):
    """A real passphrase-protected OpenSSH key, stored as a client might paste it: CRLF line ends,
    no final newline."""
    path = tmp_path_factory.mktemp("ssh") / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", str(path)], check=True)
    return path.read_text().strip("\n").replace("\n", "\r\n")


def add_rows(app, *rows):
    with app.app_context(), app.extensions["semaphore"].db.session() as db:
        db.add_all(rows)
        db.flush()
        return [row.id for row in rows]


def add_key(app, project, name, key_type, payload):
    secret = encrypt_payload(app_state(app).secrets, payload)
    return add_rows(app, AccessKey(name=name, type=key_type, project_id=project.id, secret=secret))[0]


def update(app, model, row_id, **values):
    with app.extensions["semaphore"].db.session() as db:
        row = db.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)


def plan_spec(app, task_id, task_secret=None):
    state = app_state(app)
    with state.db.sessionmaker() as db:  # no app context: the engine's threads have none
        return plan_job(db, state.config, state.secrets, db.get(Task, task_id), task_secret=task_secret)


def plan(app, task_id, private_dir, task_secret=None, server_env=SERVER_ENV):
    return materialise(plan_spec(app, task_id, task_secret), private_dir, config(app), server_env=server_env)


def config(app):
    return app.extensions["semaphore"].config


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def inventory(app, project, text, inventory_type, **fields):
    return add_rows(app, Inventory(name=f"{inventory_type} hosts", project_id=project.id, inventory=text,
                                   type=inventory_type, **fields))[0]


# -- files ------------------------------------------------------------------------------------

def test_keys_and_a_static_inventory_are_0600_files_in_the_private_directory(
        app, admin_client, project, private_dir, checkout, tmp_path, ssh_key):
    ssh_id = add_key(app, project, "deploy key", "ssh",
                     {"login": "deploy", "passphrase": PASSPHRASE, "private_key": ssh_key})
    become_id = add_key(app, project, "become", "login_password", {"login": "root", "password": BECOME_PASSWORD})
    update(app, Repository, project.repository_id, ssh_key_id=ssh_id, git_url="git@example.com:ops/app.git")
    hosts = "[web]\nweb1 ansible_host=10.0.0.1\n"
    inventory_id = inventory(app, project, hosts, "static", ssh_key_id=ssh_id, become_key_id=become_id)
    template = create_template(admin_client, project, inventory_id=inventory_id)
    result = plan(app, run_task(admin_client, project, template["id"])["id"], private_dir)
    context = result.context(checkout)

    key_file = private_dir / f"key_{ssh_id}"  # the repository and the inventory share the key: one file
    assert sorted(path.name for path in private_dir.iterdir()) == sorted([key_file.name, "inventory"])
    assert mode(private_dir) == 0o700 and all(mode(path) == 0o600 for path in private_dir.iterdir())
    assert (private_dir / "inventory").read_text() == hosts
    assert context.inventory.type == "static" and context.inventory.path == private_dir / "inventory"
    # ssh accepts the file: LF line ends and the final newline restored, owner-only mode.
    subprocess.run(["ssh-keygen", "-y", "-P", PASSPHRASE, "-f", str(key_file)], check=True, capture_output=True)
    source = result.git_source
    assert (source.url, source.branch, source.commit) == ("git@example.com:ops/app.git", "main", None)
    assert source.credentials == context.inventory.ssh
    assert (source.credentials.type, source.credentials.login, source.credentials.passphrase,
            source.credentials.private_key_path) == ("ssh", "deploy", PASSPHRASE, key_file)
    become = context.inventory.become
    assert (become.type, become.login, become.password, become.private_key_path) == (
        "login_password", "root", BECOME_PASSWORD, None)
    # Nothing secret is written outside the private directory.
    for path in tmp_path.rglob("*"):
        if path.is_file() and private_dir not in path.parents:
            assert PASSPHRASE.encode() not in path.read_bytes(), path


def test_a_static_yaml_inventory_is_a_yml_file(app, admin_client, project, private_dir, checkout):
    hosts = "all:\n  hosts:\n    web1: {}\n"
    inventory_id = inventory(app, project, hosts, "static-yaml")
    template = create_template(admin_client, project, inventory_id=inventory_id)
    context = plan(app, run_task(admin_client, project, template["id"])["id"], private_dir).context(checkout)
    assert context.inventory.path == private_dir / "inventory.yml" and context.inventory.path.read_text() == hosts
    assert mode(context.inventory.path) == 0o600 and context.inventory.ssh is None and context.inventory.become is None


def test_the_task_inventory_overrides_the_template_inventory(app, admin_client, project, private_dir, checkout):
    template = create_template(admin_client, project, inventory_id=project.inventory_id)
    workspace = inventory(app, project, "staging", "terraform-workspace")
    task = run_task(admin_client, project, template["id"], inventory_id=workspace)
    context = plan(app, task["id"], private_dir).context(checkout)
    assert (context.inventory.type, context.inventory.path, context.inventory.name) == (
        "terraform-workspace", None, "staging")
    assert list(private_dir.iterdir()) == []  # a workspace writes no file
    no_inventory = create_template(admin_client, project, name="no inventory")
    assert plan(app, run_task(admin_client, project, no_inventory["id"])["id"], private_dir).context(
        checkout).inventory is None


def test_an_unnamed_workspace_is_default(app, admin_client, project, private_dir, checkout):
    template = create_template(admin_client, project, inventory_id=inventory(app, project, "", "tofu-workspace"))
    context = plan(app, run_task(admin_client, project, template["id"])["id"], private_dir).context(checkout)
    assert (context.inventory.type, context.inventory.name) == ("tofu-workspace", "default")


def test_a_file_inventory_is_found_in_the_checkout(app, admin_client, project, private_dir, checkout):
    template = create_template(admin_client, project,
                               inventory_id=inventory(app, project, "inventories/../inventories/hosts.ini", "file"))
    result = plan(app, run_task(admin_client, project, template["id"])["id"], private_dir)
    assert result.inventory_source is None
    assert result.context(checkout).inventory.path == checkout.resolve() / "inventories" / "hosts.ini"


@pytest.mark.parametrize(("path", "message"), [
    ("/etc/hosts", "the file path '/etc/hosts' must be relative to the repository"),
    ("../outside.ini", "the file path '../outside.ini' leads outside the repository"),
    ("escape/outside.ini", "the file path 'escape/outside.ini' leads outside the repository"),
    ("inventories/missing.ini", "'inventories/missing.ini' does not exist in the repository"),
])
def test_a_file_inventory_outside_the_checkout_is_refused(app, admin_client, project, private_dir, checkout, tmp_path,
                                                           path, message):
    (tmp_path / "outside.ini").write_text("[web]\nintruder\n")
    (checkout / "escape").symlink_to(tmp_path)
    template = create_template(admin_client, project, inventory_id=inventory(app, project, path, "file"))
    task_id = run_task(admin_client, project, template["id"])["id"]
    with pytest.raises(RunPreparationError) as raised:
        plan(app, task_id, private_dir).context(checkout)
    assert str(raised.value) == f"inventory 'file hosts': {message}"


def test_a_file_inventory_of_another_repository_is_checked_out_too(app, admin_client, project, private_dir,
                                                                    checkout, tmp_path):
    key_id = add_key(app, project, "https", "login_password", {"login": "ci", "password": REPO_PASSWORD})
    other = add_rows(app, Repository(name="inventories", project_id=project.id, git_url="https://git.example.com/inv",
                                     git_branch="prod", ssh_key_id=key_id))[0]
    template = create_template(admin_client, project,
                               inventory_id=inventory(app, project, "hosts.ini", "file", repository_id=other))
    result = plan(app, run_task(admin_client, project, template["id"])["id"], private_dir)
    source = result.inventory_source
    assert (result.inventory_repository_id, source.url, source.branch, source.commit) == (other, "https://git.example.com/inv",
                                                                                 "prod", None)
    assert (source.credentials.login, source.credentials.password) == ("ci", REPO_PASSWORD)
    assert {REPO_PASSWORD, "p%40ss%2Fword%3A42"} <= set(result.secrets)
    with pytest.raises(RunPreparationError, match="its repository was not checked out"):
        result.context(checkout)
    inventory_checkout = tmp_path / "inventory-checkout"
    inventory_checkout.mkdir()
    (inventory_checkout / "hosts.ini").write_text("[db]\ndb1\n")
    assert result.context(checkout, inventory_checkout).inventory.path == inventory_checkout.resolve() / "hosts.ini"


# -- variables, environment, details ----------------------------------------------------------

def add_secret(app, project, environment_id, name, value):
    secret = encrypt_payload(app_state(app).secrets, value)
    add_rows(app, AccessKey(name=name, type="string", project_id=project.id, environment_id=environment_id,
                            secret=secret))


def test_task_values_win_over_the_environment_and_every_secret_is_masked(app, admin_client, project, private_dir,
                                                                         checkout, ssh_key):
    update(app, Environment, project.environment_id, json='{"region": "eu", "size": 1}', env='{"MODE": "fast"}')
    add_secret(app, project, project.environment_id, "var.TOKEN", "token-from-the-group")
    add_secret(app, project, project.environment_id, "var.db_password", "overridden-by-the-task")
    add_secret(app, project, project.environment_id, "env.API_KEY", "api-key-from-the-group")
    ssh_id = add_key(app, project, "deploy key", "ssh", {"login": "deploy", "passphrase": PASSPHRASE,
                                                         "private_key": ssh_key})
    update(app, Repository, project.repository_id, ssh_key_id=ssh_id)
    vault_id = add_key(app, project, "vault", "login_password", {"login": "", "password": VAULT_PASSWORD})
    template = create_template(admin_client, project, environment_id=project.environment_id,
                               vaults=[{"vault_key_id": vault_id}])
    task = run_task(admin_client, project, template["id"], environment={"size": 3, "owner": "ops"})
    result = plan(app, task["id"], private_dir,
                  task_secret={"db_password": "task-db-password", "pin": 4711, "tls": {"key": "tls-key-text"}})
    context = result.context(checkout)

    details = {"id": task["id"], "username": "admin", "url": None}
    assert context.extra_vars == {"region": "eu", "size": 3, "owner": "ops",
                                  "semaphore_vars": {"task_details": details}}
    assert context.secret_vars == {"TOKEN": "token-from-the-group", "db_password": "task-db-password", "pin": "4711",
                                   "tls": '{"key": "tls-key-text"}'}
    assert context.env["API_KEY"] == "api-key-from-the-group" and context.env["MODE"] == "fast"
    assert context.vaults == {"default": VAULT_PASSWORD}

    key_lines = [line.strip() for line in ssh_key.splitlines() if line.strip() and not line.startswith("-----")]
    assert key_lines and ssh_key in result.secrets and all(line in result.secrets for line in key_lines)
    assert set(result.secrets) - set(key_lines) - {ssh_key} == {
        PASSPHRASE, VAULT_PASSWORD, "token-from-the-group", "overridden-by-the-task", "api-key-from-the-group",
        "task-db-password", "4711", "tls-key-text"}
    assert [len(value) for value in result.secrets] == sorted((len(value) for value in result.secrets), reverse=True)


def test_the_process_environment_is_layered_and_leaks_nothing_of_the_server(app, admin_client, project, private_dir,
                                                                            checkout):
    config(app).forwarded_env_vars = ["FORWARDED", "NOT_ON_THE_SERVER", "LAYER"]
    config(app).env_vars = {"LAYER": "config", "FROM_CONFIG": "c", "PATH": "/config/bin"}
    update(app, Environment, project.environment_id,
           env=json.dumps({"LAYER": "group", "FROM_GROUP": 1.5, "SEMAPHORE_TASK_ID": "spoofed", "HOME": "/group"}))
    add_secret(app, project, project.environment_id, "env.LAYER", "secret-layer")
    template = create_template(admin_client, project, environment_id=project.environment_id)
    task = run_task(admin_client, project, template["id"], message="ship it")
    env = plan(app, task["id"], private_dir, server_env={**SERVER_ENV, "LAYER": "server"}).context(checkout).env

    details = {"id": task["id"], "username": "admin", "url": None, "message": "ship it"}
    assert env == {
        "PATH": "/config/bin", "LANG": "C.UTF-8", "HOME": "/group", "PWD": str(checkout), "PYTHONUNBUFFERED": "1",
        "FORWARDED": "from the server", "LAYER": "secret-layer", "FROM_CONFIG": "c", "FROM_GROUP": "1.5",
        "SEMAPHORE_TASK_ID": str(task["id"]), "SEMAPHORE_TASK_USERNAME": "admin", "SEMAPHORE_TASK_MESSAGE": "ship it",
        "SEMAPHORE_TASK_DETAILS": json.dumps(details),
    }


def test_the_server_environment_reaches_a_task_only_through_path_locale_and_forwarding(
        app, admin_client, project, private_dir, checkout, monkeypatch):
    monkeypatch.setenv("SEMAPHORE_DB_PASS", "db-password")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    template = create_template(admin_client, project)
    task_id = run_task(admin_client, project, template["id"])["id"]
    env = plan(app, task_id, private_dir, server_env=None).context(checkout).env
    assert env["PATH"] == os.environ["PATH"] and env["LC_ALL"] == "C.UTF-8" and env["HOME"] == str(private_dir)
    assert not set(env) - {"PATH", "LANG", "LC_ALL", "HOME", "PWD", "PYTHONUNBUFFERED", "SEMAPHORE_TASK_ID",
                           "SEMAPHORE_TASK_USERNAME", "SEMAPHORE_TASK_MESSAGE", "SEMAPHORE_TASK_DETAILS"}
    monkeypatch.delenv("PATH")
    assert plan(app, task_id, private_dir, server_env=None).context(checkout).env["PATH"] == os.defpath


def test_task_details_name_the_url_and_no_user_for_automatic_runs(app, admin_client, project, private_dir, checkout):
    config(app).web_host = "https://ci.example.com/"
    template = create_template(admin_client, project)
    task_id = run_task(admin_client, project, template["id"])["id"]
    update(app, Task, task_id, user_id=None)
    context = plan(app, task_id, private_dir).context(checkout)
    url = f"https://ci.example.com/project/{project.id}/history?t={task_id}"
    assert (context.task.id, context.task.username, context.task.url, context.task.type) == (task_id, "", url, "")
    assert context.env["SEMAPHORE_TASK_URL"] == url and context.env["SEMAPHORE_TASK_USERNAME"] == ""
    assert "SEMAPHORE_TASK_TYPE" not in context.env


def test_build_and_deploy_tasks_know_their_versions(app, admin_client, project, private_dir, checkout):
    build = create_template(admin_client, project, name="build", type="build", start_version="1.0.0")
    deploy = create_template(admin_client, project, name="deploy", type="deploy", build_template_id=build["id"])
    builds = [run_task(admin_client, project, build["id"])["id"] for _ in range(2)]
    for task_id in builds:
        update(app, Task, task_id, status="success")
    deploy_id = run_task(admin_client, project, deploy["id"])["id"]
    redeploy_id = run_task(admin_client, project, deploy["id"])["id"]
    update(app, Task, redeploy_id, build_task_id=deploy_id)  # a deploy of a deploy: the build behind it counts

    build_context = plan(app, builds[1], private_dir).context(checkout)
    assert (build_context.task.type, build_context.task.target_version, build_context.task.incoming_version) == (
        "build", "1.0.1", None)
    assert build_context.env["SEMAPHORE_TASK_TARGET_VERSION"] == "1.0.1"
    assert build_context.extra_vars["semaphore_vars"]["task_details"]["target_version"] == "1.0.1"
    for task_id in (deploy_id, redeploy_id):
        context = plan(app, task_id, private_dir).context(checkout)
        assert (context.task.type, context.task.target_version, context.task.incoming_version) == (
            "deploy", None, "1.0.1")
        assert (context.env["SEMAPHORE_TASK_TYPE"], context.env["SEMAPHORE_TASK_INCOMING_VERSION"]) == (
            "deploy", "1.0.1")
        assert "SEMAPHORE_TASK_TARGET_VERSION" not in context.env


# -- what to run -------------------------------------------------------------------------------

def test_app_settings_stored_by_an_admin_override_the_config_file(app, admin_client, project, private_dir):
    """``PUT /api/apps/{id}`` stores options that the next run uses, over the config file's ``apps``."""
    config(app).apps = {"bash": {"path": "/opt/bash5/bin/bash", "args": ["-x"]}}
    response = admin_client.put("/api/apps/bash", json={"args": ["-e", "-u"]})
    assert response.status_code == 204
    task = run_task(admin_client, project, create_template(admin_client, project)["id"])
    settings = plan(app, task["id"], private_dir).fields["app"]
    assert (settings.path, settings.args) == ("/opt/bash5/bin/bash", ("-e", "-u"))


def test_arguments_playbook_flags_vaults_app_settings_and_params(app, admin_client, project, private_dir, checkout):
    config(app).apps = {"bash": {"path": "/opt/bash5/bin/bash", "args": ["-x"]}}
    prod_key = add_key(app, project, "prod vault", "login_password", {"login": "", "password": "prod-vault"})
    empty_key = add_key(app, project, "empty vault", "login_password", {"login": "", "password": "x"})
    update(app, AccessKey, empty_key, secret=None)  # a vault key whose password was never set: no --vault-id
    template = create_template(admin_client, project, arguments=["--verbose", "-e", "x=1"],
                               allow_override_args_in_task=True, allow_override_branch_in_task=True,
                               vaults=[{"vault_key_id": prod_key, "name": "prod"},
                                       {"type": "script", "script": "bin/vault-client.sh", "name": "ci"}])
    task = run_task(admin_client, project, template["id"], arguments=["--tags", "web"], playbook="other.sh",
                    debug=True, dry_run=True, diff=True, limit="web1", git_branch="feature", params={"a": [1]})
    update(app, Task, task["id"], commit_hash="0123abcd")
    result = plan(app, task["id"], private_dir)
    context = result.context(checkout)
    assert (context.template_args, context.task_args) == (["--verbose", "-e", "x=1"], ["--tags", "web"])
    assert (context.playbook, context.debug, context.dry_run, context.diff, context.limit) == (
        "other.sh", True, True, True, "web1")
    assert context.vaults == {"prod": "prod-vault"}
    assert context.vault_scripts == {"ci": "bin/vault-client.sh"}
    assert (context.app.path, context.app.args, context.app_id) == ("/opt/bash5/bin/bash", ("-x",), "bash")
    assert context.params == {"a": [1]} and context.repository_path == checkout
    assert context.private_dir == private_dir and context.template["name"] == "Deploy app"
    assert (result.git_source.branch, result.git_source.commit) == ("feature", "0123abcd")


def test_overrides_the_template_does_not_allow_are_ignored(app, admin_client, project, private_dir, checkout):
    template = create_template(admin_client, project, git_branch="release")
    task_id = run_task(admin_client, project, template["id"])["id"]
    update(app, Task, task_id, arguments='["--evil"]', git_branch="feature")
    result = plan(app, task_id, private_dir)
    context = result.context(checkout)
    assert context.task_args == [] and result.git_source.branch == "release"
    assert (context.app.path, context.app.args, context.vaults, context.params) == ("", None, {}, {})
    plain = create_template(admin_client, project, name="plain")
    assert plan(app, run_task(admin_client, project, plain["id"])["id"], private_dir).git_source.branch == "main"


# -- the job as data ---------------------------------------------------------------------------

def test_the_planned_job_survives_json_and_materialises_the_same(app, admin_client, project, private_dir,
                                                                  checkout, ssh_key):
    update(app, Environment, project.environment_id, json='{"region": "eu"}', env='{"MODE": "fast"}')
    add_secret(app, project, project.environment_id, "var.TOKEN", "token-from-the-group")
    add_secret(app, project, project.environment_id, "env.API_KEY", "api-key-from-the-group")
    ssh_id = add_key(app, project, "deploy key", "ssh", {"login": "deploy", "passphrase": PASSPHRASE,
                                                         "private_key": ssh_key})
    become_id = add_key(app, project, "become", "login_password", {"login": "root", "password": BECOME_PASSWORD})
    vault_id = add_key(app, project, "vault", "login_password", {"login": "", "password": VAULT_PASSWORD})
    update(app, Repository, project.repository_id, ssh_key_id=ssh_id)
    config(app).apps = {"bash": {"path": "/opt/bash5/bin/bash", "args": ["-x"]}}
    inventory_id = inventory(app, project, "[web]\nweb1\n", "static", ssh_key_id=ssh_id, become_key_id=become_id)
    template = create_template(admin_client, project, environment_id=project.environment_id, inventory_id=inventory_id,
                               arguments=["-v"], vaults=[{"vault_key_id": vault_id, "name": "prod"},
                                                         {"type": "script", "script": "bin/vault.sh", "name": "ci"}])
    task = run_task(admin_client, project, template["id"], environment={"size": 3}, debug=True, limit="web1",
                    params={"a": [1]})
    spec = plan_spec(app, task["id"], task_secret={"db_password": "task-db-password", "pin": 4711})

    data = json.loads(json.dumps(spec.to_json()))
    assert data["version"] == 1 and data["log_seq"] == 0
    assert str(private_dir) not in json.dumps(data) and str(config(app).tmp_path) not in json.dumps(data)
    again = JobSpec.from_json(data)
    assert again == spec

    original = materialise(spec, private_dir, config(app), server_env=SERVER_ENV)
    context = original.context(checkout)
    files = {path.name: path.read_text() for path in private_dir.iterdir()}
    assert sorted(files) == sorted([f"key_{ssh_id}", "inventory"])
    shutil.rmtree(private_dir)
    private_dir.mkdir(mode=0o700)
    remade = materialise(again, private_dir, config(app), server_env=SERVER_ENV)
    assert remade.context(checkout) == context
    assert {path.name: path.read_text() for path in private_dir.iterdir()} == files
    assert all(mode(path) == 0o600 for path in private_dir.iterdir())
    assert (remade.repository_id, remade.git_source, remade.secrets) == (
        original.repository_id, original.git_source, original.secrets)
    assert (context.vaults, context.vault_scripts, context.app.args) == (
        {"prod": VAULT_PASSWORD}, {"ci": "bin/vault.sh"}, ("-x",))


# -- errors ------------------------------------------------------------------------------------

def test_an_undecryptable_key_fails_with_its_name(app, admin_client, project, private_dir):
    key_id = add_key(app, project, "old key", "login_password", {"login": "ci", "password": "pw"})
    update(app, AccessKey, key_id, secret="bm90IGVuY3J5cHRlZCB3aXRoIHRoaXMga2V5")
    update(app, Repository, project.repository_id, ssh_key_id=key_id)
    template = create_template(admin_client, project)
    with pytest.raises(RunPreparationError) as raised:
        plan(app, run_task(admin_client, project, template["id"])["id"], private_dir)
    assert str(raised.value) == ("cannot decrypt the key of repository 'Demo repo' (access key 'old key'): "
                                 "perhaps the encryption key (access_key_encryption) was changed")


def test_a_key_without_secret_and_bad_json_fail_without_showing_content(app, admin_client, project, private_dir):
    update(app, Repository, project.repository_id, ssh_key_id=project.ssh_key_id)  # an ssh key row without secret
    template = create_template(admin_client, project, environment_id=project.environment_id)
    task_id = run_task(admin_client, project, template["id"])["id"]
    with pytest.raises(RunPreparationError) as raised:
        plan(app, task_id, private_dir)
    assert str(raised.value) == "the key of repository 'Demo repo' (access key 'ssh') has no stored secret"
    update(app, Repository, project.repository_id, ssh_key_id=add_key(app, project, "none", "none", None))
    update(app, Environment, project.environment_id, json='{"password": "hunter2"')
    with pytest.raises(RunPreparationError) as raised:
        plan(app, task_id, private_dir)
    assert str(raised.value) == "the extra variables of the environment are not valid JSON"


def test_a_private_directory_others_can_open_is_refused(app, admin_client, project, private_dir):
    private_dir.chmod(0o755)
    template = create_template(admin_client, project)
    with pytest.raises(RunPreparationError, match="only its owner can open"):
        plan(app, run_task(admin_client, project, template["id"])["id"], private_dir)


def test_the_stored_task_secret_is_decrypted(app):
    box = app_state(app).secrets
    assert decrypt_task_secret(box, encrypt_payload(box, json.dumps({"token": "t"}))) == {"token": "t"}
    assert decrypt_task_secret(box, None) == {}
    with pytest.raises(RunPreparationError, match="cannot decrypt the task's secret variables"):
        decrypt_task_secret(box, "bm90IGVuY3J5cHRlZCB3aXRoIHRoaXMga2V5")


@pytest.mark.parametrize(("change", "message"), [
    ({"version": 2}, "job payload version 2 is not supported (this side understands version 1)"),
    ({"version": None}, "job payload version None is not supported"),
    ({"surprise": 1}, "the job payload is damaged: JobSpec has no field 'surprise'"),
    ({"source": None}, "the job payload is damaged: SourceSpec must be a JSON object"),
    ({"task": {"id": 1}}, "the job payload is damaged: TaskDetails"),
])
def test_a_job_payload_of_another_version_or_shape_is_refused(app, admin_client, project, change, message):
    template = create_template(admin_client, project)
    data = plan_spec(app, run_task(admin_client, project, template["id"])["id"]).to_json()
    with pytest.raises(JobSpecError) as raised:
        JobSpec.from_json({**data, **change})
    assert str(raised.value).startswith(message)
    data.pop("playbook")
    with pytest.raises(JobSpecError, match="the job payload is damaged: JobSpec.* missing .*'playbook'"):
        JobSpec.from_json(data)
    with pytest.raises(JobSpecError, match="must be a JSON object"):
        JobSpec.from_json([data])
