"""A python task with a secret and an ansible task with a vault password and an SSH key run on a
real runner as they run on the server itself: the same server and database run both first with
no runners, then with use_remote_runner on and a runner behind a TLS-terminating proxy. The logs
are equal apart from task ids, the secrets (task secret, vault password, key and passphrase)
appear nowhere in them, nor in any byte the proxy saw."""

from __future__ import annotations

import json
import sys

from git_servers import SshGitServer, make_key
from live_server import ADMIN, Api, git_repository
from process_helpers import ServerProcess
from test_ansible_e2e import vault_file
from test_runner_dispatch_e2e import GLOBAL, REMOTE, SECRET, run, runners, start_runner, without_ids
from tls_proxy import TlsProxy

from semaphore.services.tasks import strip_ansi

__all__ = ["runners"]  # the fixture, shared with the dispatch tests

VAULT_PASSWORD = "vault-pw-on-a-runner-0042"
PASSPHRASE = "key-passphrase-on-a-runner-77"
SHOW_PY = "import sys\nprint('python', sys.version_info[0])\nprint('args:', sys.argv[1:])\n"
PLAYBOOK = """\
- hosts: remote
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - command: /bin/true
    - debug: msg="ran over ssh as {{ ansible_user | default('nobody') }}"
    - debug: msg="vault says {{ launch_code }}"
"""


def set_up(api: Api, tmp_path, sshd: SshGitServer) -> tuple[int, dict[str, int], str]:
    """A project with a python template and an ansible template (vault, SSH key); (project id,
    template ids by app, the private key's text)."""
    url = git_repository(tmp_path / "repo", {"show.py": SHOW_PY, "site.yml": PLAYBOOK,
                                             "secrets.yml": vault_file(tmp_path, VAULT_PASSWORD)})
    key_text = sshd.authorize(make_key(tmp_path / "client_key", passphrase=PASSPHRASE)).read_text()
    pid = api.created("/api/projects", {"name": "Apps"})["id"]

    def key(name: str, kind: str, **secret: object) -> int:
        return int(api.created(f"/api/project/{pid}/keys", {"name": name, "type": kind, "project_id": pid,
                                                            **secret})["id"])

    none = key("none", "none")
    vault = key("vault", "login_password", login_password={"password": VAULT_PASSWORD})
    ssh = key("deploy", "ssh", ssh={"login": "root", "private_key": key_text, "passphrase": PASSPHRASE})
    repository = api.created(f"/api/project/{pid}/repositories", {
        "name": "repo", "git_url": url, "git_branch": "main", "ssh_key_id": none, "project_id": pid})
    inventory = api.created(f"/api/project/{pid}/inventory", {
        "name": "remote", "type": "static", "project_id": pid, "ssh_key_id": ssh,
        "inventory": f"[remote]\ntarget ansible_host=127.0.0.1 ansible_port={sshd.port} "
                     f"ansible_python_interpreter={sys.executable}\n"})
    environment = api.created(f"/api/project/{pid}/environment", {"name": "vars", "project_id": pid,
                                                                  "json": "{}", "env": "{}"})
    common = {"project_id": pid, "repository_id": repository["id"], "inventory_id": inventory["id"],
              "environment_id": environment["id"]}
    python = api.created(f"/api/project/{pid}/templates", {**common, "app": "python", "name": "py",
                                                           "playbook": "show.py"})
    ansible = api.created(f"/api/project/{pid}/templates", {
        **common, "app": "ansible", "name": "site", "playbook": "site.yml",
        "vaults": [{"vault_key_id": vault, "name": "prod"}]})
    return pid, {"python": python["id"], "ansible": ansible["id"]}, key_text


def run_all(admin: Api, pid: int, templates: dict[str, int]) -> dict[str, list[str]]:
    """Each template's task (the python one with a secret), run to success; its log without ids."""
    logs = {}
    for app, template_id in templates.items():
        fields = {"secret": json.dumps({"DB_PASSWORD": SECRET})} if app == "python" else {}
        task_id = run(admin, pid, template_id, **fields)
        finished = admin.wait_for_status(pid, task_id, {"success", "error"}, timeout=120)
        lines = [strip_ansi(line) for line in admin.output(pid, task_id)]
        assert finished["status"] == "success", lines
        logs[app] = without_ids(lines, task_id)
    return logs


def test_python_and_ansible_tasks_with_secrets_run_on_a_runner_as_locally(tmp_path, runners):
    SshGitServer.require()
    sshd = SshGitServer(tmp_path / "sshd").start()
    directory = tmp_path / "server"
    directory.mkdir()
    server = ServerProcess(directory, env={**ADMIN, "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": GLOBAL}).start()
    proxy = None
    try:
        admin = Api.logged_in(server.url)
        pid, templates, key_text = set_up(admin, tmp_path, sshd)
        local = run_all(admin, pid, templates)

        server.stop()  # the same server and database, now with a runner
        server.env.update(REMOTE)
        server.start()
        admin = Api.logged_in(server.url)
        proxy = TlsProxy(server.url, tmp_path)
        start_runner(runners, tmp_path / "runner", proxy.url, ca_file=str(proxy.certificate))
        remote = run_all(admin, pid, templates)
    finally:
        if proxy is not None:
            proxy.close()
        server.stop()
        sshd.stop()

    assert remote == local
    assert any('"msg": "vault says the launch code"' in line for line in remote["ansible"])
    assert any('"msg": "ran over ssh as root"' in line for line in remote["ansible"])
    assert any(line.startswith("python 3") for line in remote["python"])
    secrets = [SECRET, VAULT_PASSWORD, PASSPHRASE, key_text.splitlines()[1]]
    logs = "\n".join(line for lines in (*local.values(), *remote.values()) for line in lines)
    seen = b"".join(proxy.seen)
    assert b'"task_id":' in seen  # the jobs did pass the proxy
    for secret in secrets:
        assert secret not in logs
        assert secret.encode() not in seen
        assert secret not in server.stdout + server.stderr + runners[0].log
