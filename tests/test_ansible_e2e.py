"""Ansible end to end on the real `semaphore server` process with the real ansible plugin: a
playbook of a file:// repository runs against localhost and over SSH (a throwaway sshd, with a
passphrase-protected key from the key store), a vault password comes from the key store, and
build/deploy templates pass their versions to the playbook."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from git_servers import SshGitServer, make_key
from live_server import ADMIN, Api, git_repository
from process_helpers import ServerProcess

from semaphore.services.tasks import strip_ansi

LOCAL = f"ansible_connection=local ansible_python_interpreter={sys.executable}"

SITE_YML = """\
- hosts: all
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: greet
      debug: msg="hello {{ who }} from task {{ semaphore_vars.task_details.id }}"
    - name: touch
      command: /bin/true
    - name: decrypted
      debug: msg="vault says {{ launch_code }}"
"""

VERSIONS_YML = """\
- hosts: all
  gather_facts: false
  tasks:
    - debug:
        msg: "type={{ details.type }} target={{ details.target_version | default('-') }}\\
          \\ incoming={{ details.incoming_version | default('-') }}"
      vars:
        details: "{{ semaphore_vars.task_details }}"
"""

REMOTE_YML = """\
- hosts: remote
  gather_facts: false
  tasks:
    - name: where am I
      command: hostname
      register: found
    - debug: msg="ran over ssh as {{ ansible_user | default('nobody') }}"
"""


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path, env=dict(ADMIN)).start()
    yield process
    process.stop()


def vault_file(tmp_path: Path, password: str) -> str:
    """``secrets.yml`` with ``launch_code`` encrypted for vault id ``prod``."""
    import subprocess

    password_file = tmp_path / "vault-password"
    password_file.write_text(password + "\n")
    return subprocess.run([str(Path(sys.executable).with_name("ansible-vault")), "encrypt_string", "--vault-id",
                           f"prod@{password_file}", "the launch code", "--name", "launch_code"],
                          capture_output=True, text=True, check=True).stdout


def set_up(api: Api, tmp_path: Path) -> dict[str, Any]:
    url = git_repository(tmp_path / "playbooks", {
        "site.yml": SITE_YML, "secrets.yml": vault_file(tmp_path, "vault-pw-0042"), "versions.yml": VERSIONS_YML,
        "remote.yml": REMOTE_YML})
    pid = api.created("/api/projects", {"name": "Ansible"})["id"]
    none = api.created(f"/api/project/{pid}/keys", {"name": "none", "type": "none", "project_id": pid})
    vault_key = api.created(f"/api/project/{pid}/keys", {
        "name": "vault", "type": "login_password", "project_id": pid, "login_password": {"password": "vault-pw-0042"}})
    repository = api.created(f"/api/project/{pid}/repositories", {
        "name": "playbooks", "git_url": url, "git_branch": "main", "ssh_key_id": none["id"], "project_id": pid})
    inventory = api.created(f"/api/project/{pid}/inventory", {
        "name": "local", "type": "static", "inventory": f"localhost {LOCAL}\n", "project_id": pid})
    environment = api.created(f"/api/project/{pid}/environment", {
        "name": "vars", "project_id": pid, "json": '{"who": "the variable group"}', "env": "{}"})
    common = {"project_id": pid, "repository_id": repository["id"], "inventory_id": inventory["id"],
              "environment_id": environment["id"], "app": "ansible"}
    return {"pid": pid, "common": common, "vault_key": vault_key, "inventory": inventory}


def test_a_playbook_runs_its_recap_is_logged_and_each_host_has_its_results(server, tmp_path):
    api = Api.logged_in(server.url)
    project = set_up(api, tmp_path)
    pid = project["pid"]
    template = api.created(f"/api/project/{pid}/templates", {
        **project["common"], "name": "site", "playbook": "site.yml",
        "vaults": [{"vault_key_id": project["vault_key"]["id"], "name": "prod"}]})
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template["id"],
                                                     "environment": '{"who": "the run dialog"}'})
    api.wait_for_status(pid, task["id"], {"success", "error"}, timeout=120)
    lines = [strip_ansi(line) for line in api.output(pid, task["id"])]
    assert api("GET", f"/api/project/{pid}/tasks/{task['id']}")[1]["status"] == "success", lines
    assert any(f'"msg": "hello the run dialog from task {task["id"]}"' in line for line in lines)
    assert any('"msg": "vault says the launch code"' in line for line in lines)
    assert "PLAY RECAP *********************************************************************" in lines
    assert not any("vault-pw-0042" in line for line in lines)

    assert api("GET", "/api/info")[1]["ansible"].startswith("ansible-playbook [core 2.")
    status, hosts = api("GET", f"/api/project/{pid}/tasks/{task['id']}/hosts")
    assert status == 200
    assert hosts == [{"host": "localhost", "status": "changed", "ok": 3, "changed": 1, "failed": 0,
                      "unreachable": 0, "skipped": 0, "rescued": 0, "ignored": 0, "failures": []}]


def test_a_failing_host_is_reported_failed_with_its_task_and_message(server, tmp_path):
    api = Api.logged_in(server.url)
    project = set_up(api, tmp_path)
    pid = project["pid"]
    two_hosts = api.created(f"/api/project/{pid}/inventory", {
        "name": "two", "type": "static", "project_id": pid,
        "inventory": f"[remote]\ngood {LOCAL}\nbad {LOCAL} ansible_python_interpreter=/nonexistent/py\n"})
    template = api.created(f"/api/project/{pid}/templates", {
        **project["common"], "inventory_id": two_hosts["id"], "name": "two hosts", "playbook": "remote.yml"})
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template["id"]})
    finished = api.wait_for_status(pid, task["id"], {"success", "error"}, timeout=120)
    assert finished["status"] == "error"
    lines = [strip_ansi(line) for line in api.output(pid, task["id"])]
    assert "ansible-playbook exited with code 2: one or more hosts failed" in lines
    hosts = {host["host"]: host for host in api("GET", f"/api/project/{pid}/tasks/{task['id']}/hosts")[1]}
    assert (hosts["good"]["status"], hosts["good"]["ok"], hosts["good"]["changed"]) == ("changed", 2, 1), hosts
    assert (hosts["bad"]["status"], hosts["bad"]["failed"]) == ("failed", 1)
    assert hosts["bad"]["failures"][0]["task"] == "where am I"
    assert "/nonexistent/py" in hosts["bad"]["failures"][0]["message"]


def test_build_versions_increase_and_the_deploy_sees_the_builds_version(server, tmp_path):
    api = Api.logged_in(server.url)
    project = set_up(api, tmp_path)
    pid = project["pid"]
    build = api.created(f"/api/project/{pid}/templates", {
        **project["common"], "name": "build", "playbook": "versions.yml", "type": "build", "start_version": "1.4.0"})
    deploy = api.created(f"/api/project/{pid}/templates", {
        **project["common"], "name": "deploy", "playbook": "versions.yml", "type": "deploy",
        "build_template_id": build["id"]})

    seen = []
    for _ in range(2):
        task = api.created(f"/api/project/{pid}/tasks", {"template_id": build["id"]})
        finished = api.wait_for_status(pid, task["id"], {"success", "error"}, timeout=120)
        assert finished["status"] == "success", api.output(pid, task["id"])
        seen.append(finished["version"])
        assert any(f'"msg": "type=build target={finished["version"]} incoming=-"' in strip_ansi(line)
                   for line in api.output(pid, task["id"]))
    assert seen == ["1.4.0", "1.4.1"]

    task = api.created(f"/api/project/{pid}/tasks", {"template_id": deploy["id"]})
    finished = api.wait_for_status(pid, task["id"], {"success", "error"}, timeout=120)
    lines = [strip_ansi(line) for line in api.output(pid, task["id"])]
    assert finished["status"] == "success", lines
    assert any('"msg": "type=deploy target=- incoming=1.4.1"' in line for line in lines)


def test_a_playbook_runs_over_ssh_with_a_passphrase_key_from_the_key_store(server, tmp_path):
    SshGitServer.require()
    sshd = SshGitServer(tmp_path / "sshd").start()
    try:
        key = sshd.authorize(make_key(tmp_path / "client_key", passphrase="key-passphrase-77"))
        api = Api.logged_in(server.url)
        project = set_up(api, tmp_path)
        pid = project["pid"]
        ssh_key = api.created(f"/api/project/{pid}/keys", {
            "name": "deploy key", "type": "ssh", "project_id": pid,
            "ssh": {"login": "root", "private_key": key.read_text(), "passphrase": "key-passphrase-77"}})
        remote = api.created(f"/api/project/{pid}/inventory", {
            "name": "remote", "type": "static", "project_id": pid, "ssh_key_id": ssh_key["id"],
            "inventory": f"[remote]\ntarget ansible_host=127.0.0.1 ansible_port={sshd.port} "
                         f"ansible_python_interpreter={sys.executable}\n"})
        template = api.created(f"/api/project/{pid}/templates", {
            **project["common"], "inventory_id": remote["id"], "name": "remote", "playbook": "remote.yml"})
        task = api.created(f"/api/project/{pid}/tasks", {"template_id": template["id"]})
        finished = api.wait_for_status(pid, task["id"], {"success", "error"}, timeout=120)
        lines = [strip_ansi(line) for line in api.output(pid, task["id"])]
        assert finished["status"] == "success", lines
        assert any('"msg": "ran over ssh as root"' in line for line in lines)
        assert not any("key-passphrase-77" in line or "PRIVATE KEY" in line for line in lines)
        hosts = api("GET", f"/api/project/{pid}/tasks/{task['id']}/hosts")[1]
        assert [(h["host"], h["status"], h["ok"], h["changed"]) for h in hosts] == [("target", "changed", 2, 1)]
    finally:
        sshd.stop()
