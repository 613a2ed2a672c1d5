"""The ansible executor runs the real ansible-playbook (and ansible-galaxy) on playbooks in a
checkout made in tmp_path, against localhost with ``connection: local``.

The task engine is not part of these tests (it has its own): ``make_run_context`` builds the
context it would prepare and ``SubprocessJob`` runs processes as it does (process group, a terminal
for prompts). Runs over SSH and through the real server are in tests/test_ansible_e2e.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import semaphore_ansible
from semaphore_ansible import AnsibleExecutor
from semaphore_ansible.command import PlaybookOptions, playbook_command

from semaphore import Credentials, HostFailure, HostResult, InventoryFile, TaskFailed
from semaphore.plugin_api.errors import ValidationError
from semaphore.plugin_testing import SubprocessJob, listed_app, make_run_context
from semaphore.services.tasks import strip_ansi

ANSIBLE_BIN = Path(sys.executable).parent
LOCAL = f"ansible_connection=local ansible_python_interpreter={sys.executable}"


@pytest.fixture
def dialect():
    return "sqlite"  # only the registration test uses a database, and it does not depend on it


@pytest.fixture
def checkout(tmp_path):
    repository = tmp_path / "repository"
    repository.mkdir()
    return repository


def inventory(tmp_path: Path, text: str, **credentials) -> InventoryFile:
    path = tmp_path / "inventory"
    path.write_text(text)
    return InventoryFile(type="static", path=path, **credentials)


def context_for(checkout: Path, playbook: str, yaml: str, hosts: str = f"localhost {LOCAL}\n", **fields):
    (checkout / playbook).parent.mkdir(parents=True, exist_ok=True)
    (checkout / playbook).write_text(yaml)
    fields.setdefault("inventory", inventory(checkout.parent, hosts))
    return make_run_context(checkout, "ansible", playbook, **fields)


def run(context) -> SubprocessJob:
    job = SubprocessJob(context)
    AnsibleExecutor().run(job)
    job.lines = [strip_ansi(line) for line in job.lines]  # ansible's colours are kept in the log
    return job


def debug_lines(job: SubprocessJob) -> list[str]:
    """The ``msg`` of every debug task, in order."""
    return [line.split('"msg": ', 1)[1].strip().strip('"') for line in job.lines if '"msg": ' in line]


SHOW_VARS = """\
- hosts: all
  gather_facts: false
  vars:
    who: play
  tasks:
    - debug: msg="who={{ who }} where={{ where }} token={{ token }}"
    - debug: msg="task {{ semaphore_vars.task_details.id }} by {{ semaphore_vars.task_details.username }}"
"""


def test_extra_vars_beat_play_and_inventory_vars_and_secret_vars_beat_extra_vars(checkout):
    context = context_for(checkout, "site.yml", SHOW_VARS, hosts=f"localhost {LOCAL} where=inventory token=inv\n",
                          extra_vars={"who": "extra", "token": "from-extra-vars"},
                          secret_vars={"token": "s3cret-token"})
    job = run(context)
    assert debug_lines(job) == ["who=extra where=inventory token=s3cret-token", "task 1 by ann"]
    assert any("PLAY RECAP" in line for line in job.lines)
    # extra vars travel in 0600 files of the private directory, never on the command line
    spec = playbook_command(context, PlaybookOptions())
    assert "s3cret-token" not in " ".join(spec.argv) and "from-extra-vars" not in " ".join(spec.argv)
    secret_file = Path(spec.argv[spec.argv.index("--extra-vars", spec.argv.index("--extra-vars") + 1) + 1][1:])
    assert json.loads(secret_file.read_text()) == {"token": "s3cret-token"}
    assert secret_file.stat().st_mode & 0o777 == 0o600


FAILS_ON_H2 = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: say hello
      debug: msg=hello
    - name: change something
      command: /bin/true
    - name: may fail
      command: /bin/false
      ignore_errors: true
    - name: break h2
      fail: msg="h2 is broken"
      when: inventory_hostname == 'h2'
    - name: only on h1
      debug: msg=after
"""


def test_a_failing_host_fails_the_task_and_every_host_gets_its_counts_and_failures(checkout):
    context = context_for(checkout, "site.yml", FAILS_ON_H2, hosts=f"h1 {LOCAL}\nh2 {LOCAL}\n")
    job = SubprocessJob(context)
    with pytest.raises(TaskFailed, match=r"^ansible-playbook exited with code 2: one or more hosts failed$"):
        AnsibleExecutor().run(job)
    assert job.host_results == [
        HostResult("h1", ok=4, changed=2, ignored=1, skipped=1),
        HostResult("h2", ok=3, changed=2, failed=1, ignored=1, failures=(HostFailure("break h2", "h2 is broken"),)),
    ]
    assert [result.status for result in job.host_results] == ["changed", "failed"]
    recap = [strip_ansi(line) for line in job.lines if strip_ansi(line).startswith("h2 ") and "ok=" in line]
    assert recap and "failed=1" in recap[0]  # the raw log keeps ansible's own PLAY RECAP


def test_an_unreachable_host_is_reported_as_unreachable(checkout):
    closed_port = "1"  # nothing listens on tcp port 1 of loopback
    hosts = f"gone ansible_host=127.0.0.1 ansible_port={closed_port} ansible_connection=ssh\n"
    context = context_for(checkout, "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n",
                          hosts=hosts)
    job = SubprocessJob(context)
    with pytest.raises(TaskFailed, match="code 4: one or more hosts were unreachable"):
        AnsibleExecutor().run(job)
    (gone,) = job.host_results
    assert (gone.host, gone.status, gone.unreachable) == ("gone", "unreachable", 1)
    assert gone.failures[0].task == "ping" and "Connection refused" in gone.failures[0].message


def test_a_playbook_that_cannot_be_parsed_is_not_reported_as_unreachable_hosts(checkout):
    """ansible-playbook exits with 4 for both; no host was tried here."""
    context = context_for(checkout, "site.yml", "- hosts: all\n  tasks:\n    - debug: msg=hi\n      bad: [\n")
    job = SubprocessJob(context)
    with pytest.raises(TaskFailed, match=r"code 4: the playbook could not be parsed\b"):
        AnsibleExecutor().run(job)
    assert any("YAML parsing failed" in strip_ansi(line) for line in job.lines)


def test_the_log_does_not_open_with_cryptographys_deprecation_warnings(checkout):
    """Importing ansible makes cryptography warn (DSA support is deprecated) on every run."""
    job = run(context_for(checkout, "site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n"))
    assert not [line for line in job.lines if "Warning" in line or "cryptography" in line], job.lines[:5]
    assert any(line.startswith("PLAY [all]") for line in job.lines)


def test_password_prompts_are_answered_and_the_answers_never_reach_the_log(checkout):
    ssh = Credentials(type="login_password", login="deploy", password="ssh-pass-123")
    become = Credentials(type="login_password", login="root", password="become-pass-456")
    context = context_for(checkout, "site.yml", SHOW_VARS.replace("{{ where }}", "x").replace("{{ token }}", "y"),
                          inventory=inventory(checkout.parent, f"localhost {LOCAL}\n", ssh=ssh, become=become))
    spec = playbook_command(context, PlaybookOptions())
    assert spec.argv[spec.argv.index("-i") + 2:spec.argv.index("-i") + 8] == [
        "--user", "deploy", "--ask-pass", "--become-user", "root", "--ask-become-pass"]
    assert spec.answers == {"SSH password:": "ssh-pass-123", "BECOME password": "become-pass-456"}
    job = run(context)
    assert debug_lines(job)[0] == "who=play where=x token=y"
    assert any(line.startswith("SSH password:") for line in job.lines)
    assert not any("ssh-pass-123" in line or "become-pass-456" in line for line in job.lines)


def test_vault_encrypted_variables_are_decrypted_with_vault_passwords_typed_at_the_prompt(checkout, tmp_path):
    password_file = tmp_path / "vault-pass"
    password_file.write_text("vault-pw-789\n")
    encrypted = subprocess.run(
        [str(ANSIBLE_BIN / "ansible-vault"), "encrypt_string", "--vault-id", f"prod@{password_file}",
         "the launch code", "--name", "launch_code"], capture_output=True, text=True, check=True).stdout
    (checkout / "vars.yml").write_text(encrypted)
    playbook = ("- hosts: all\n  gather_facts: false\n  vars_files: [vars.yml]\n"
                "  tasks:\n    - debug: msg=\"code={{ launch_code }}\"\n")
    context = context_for(checkout, "site.yml", playbook, vaults={"dev": "wrong-one", "prod": "vault-pw-789"})
    spec = playbook_command(context, PlaybookOptions())
    assert "--vault-id=dev@prompt" in spec.argv and "--vault-id=prod@prompt" in spec.argv
    job = run(context)
    assert debug_lines(job) == ["code=the launch code"]
    assert not any("vault-pw-789" in line for line in job.lines)
    assert not any("vault-pw-789" in path.read_text(errors="replace")
                   for path in context.private_dir.rglob("*") if path.is_file())


TAGGED = """\
- hosts: all
  gather_facts: false
  tasks:
    - {debug: {msg: "one on {{ inventory_hostname }}"}, tags: [one]}
    - {debug: {msg: "two on {{ inventory_hostname }}"}, tags: [two]}
    - {debug: {msg: "three on {{ inventory_hostname }}"}, tags: [three]}
"""


def test_limit_tags_and_skip_tags_come_from_the_template_unless_the_task_may_and_does_override_them(checkout):
    hosts = f"h1 {LOCAL}\nh2 {LOCAL}\n"
    template_params = {"tags": ["one", "two"], "skip_tags": "two", "limit": ["h1"]}
    context = context_for(checkout, "site.yml", TAGGED, hosts=hosts,
                          template={"task_params": template_params}, params={"tags": ["three"]})
    assert debug_lines(run(context)) == ["one on h1"]  # the task may not override: template values

    allowing = {**template_params, "allow_override_tags": True, "allow_override_limit": True}
    context = context_for(checkout, "site.yml", TAGGED, hosts=hosts, template={"task_params": allowing},
                          params={"tags": ["three", "two"]}, limit="h2")
    spec = playbook_command(context, AnsibleExecutor._options(context))
    assert spec.argv[spec.argv.index("--tags"):spec.argv.index("--tags") + 2] == ["--tags", "three,two"]
    assert spec.argv[-2:] == ["--limit=h2", "site.yml"]
    assert debug_lines(run(context)) == ["three on h2"]


def test_a_task_overriding_what_the_template_does_not_allow_is_refused_naming_the_field():
    executor = AnsibleExecutor()
    with pytest.raises(ValidationError, match="does not allow overriding limit") as error:
        executor.validate_task({"task_params": {}}, {"limit": "web1", "params": {}})
    assert error.value.field == "limit"
    with pytest.raises(ValidationError, match="does not allow overriding skip_tags") as error:
        executor.validate_task({"task_params": {"allow_override_tags": True}}, {"params": {"skip_tags": ["slow"]}})
    assert error.value.field == "params"
    with pytest.raises(ValidationError, match="params.tags must be a list of strings"):
        executor.validate_task({"task_params": {"allow_override_tags": True}}, {"params": {"tags": [1]}})
    executor.validate_task({"task_params": {"allow_override_limit": True}}, {"limit": "web1", "params": {}})


@pytest.mark.parametrize(("template", "field", "message"), [
    ({"playbook": "", "inventory_id": 1}, "playbook", "the path of the playbook"),
    ({"playbook": "../site.yml", "inventory_id": 1}, "playbook", "must stay inside the repository"),
    ({"playbook": "site.yml", "inventory_id": None}, "inventory_id", "required"),
    ({"playbook": "site.yml", "inventory_id": 1, "task_params": {"tags": 3}}, "task_params", "task_params.tags"),
    ({"playbook": "site.yml", "inventory_id": 1, "task_params": {"allow_override_limit": "yes"}}, "task_params",
     "true or false"),
])
def test_templates_the_executor_cannot_run_are_refused_naming_the_field(template, field, message):
    with pytest.raises(ValidationError, match=message) as error:
        AnsibleExecutor().validate_template(template)
    assert error.value.field == field


def test_a_missing_playbook_fails_before_ansible_starts(checkout):
    context = make_run_context(checkout, "ansible", "missing.yml", inventory=inventory(checkout.parent, "localhost"))
    with pytest.raises(TaskFailed, match="^playbook not found: missing.yml$"):
        AnsibleExecutor().run(SubprocessJob(context))


def make_role_and_collection(directory: Path) -> tuple[Path, Path]:
    """A role tarball (role ``greeter``) and a collection tarball (``acme.tools`` with a filter)."""
    role = directory / "role-src" / "greeter"
    (role / "tasks").mkdir(parents=True)
    (role / "tasks/main.yml").write_text('- debug: msg="greeter role ran"\n')
    (role / "meta").mkdir()
    (role / "meta/main.yml").write_text("galaxy_info: {author: t, description: d, license: MIT, "
                                        "min_ansible_version: '2.9', platforms: []}\n")
    role_tar = directory / "greeter.tar.gz"
    with tarfile.open(role_tar, "w:gz") as archive:
        archive.add(role, arcname="greeter")
    collection = directory / "collection-src"
    (collection / "plugins/filter").mkdir(parents=True)
    (collection / "galaxy.yml").write_text("namespace: acme\nname: tools\nversion: 1.0.0\nreadme: README.md\n"
                                           "authors: [test]\n")
    (collection / "README.md").write_text("acme.tools\n")
    (collection / "plugins/filter/shout.py").write_text(
        "class FilterModule:\n    def filters(self):\n        return {'shout': lambda text: str(text).upper() + '!'}\n")
    subprocess.run([str(ANSIBLE_BIN / "ansible-galaxy"), "collection", "build", str(collection), "--output-path",
                    str(directory)], capture_output=True, check=True)
    return role_tar, directory / "acme-tools-1.0.0.tar.gz"


USES_ROLE_AND_COLLECTION = """\
- hosts: all
  gather_facts: false
  roles: [greeter]
  tasks:
    - debug: msg="{{ 'hello' | acme.tools.shout }}"
"""


def test_galaxy_requirements_are_installed_before_the_run_and_skipped_when_unchanged(checkout, tmp_path):
    role_tar, collection_tar = make_role_and_collection(tmp_path)
    (checkout / "roles").mkdir()
    (checkout / "roles/requirements.yml").write_text(f"- src: file://{role_tar}\n  name: greeter\n")
    (checkout / "collections").mkdir()
    (checkout / "collections/requirements.yml").write_text(
        f"collections:\n  - name: {collection_tar}\n    type: file\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    context = context_for(checkout, "site.yml", USES_ROLE_AND_COLLECTION, cache_dir=cache)
    job = run(context)
    assert debug_lines(job) == ["greeter role ran", "HELLO!"]
    assert "Installing Galaxy roles from roles/requirements.yml" in job.lines
    assert "Installing Galaxy collections from collections/requirements.yml" in job.lines

    again = run(context_for(checkout, "site.yml", USES_ROLE_AND_COLLECTION, cache_dir=cache))
    assert debug_lines(again) == ["greeter role ran", "HELLO!"]
    assert not any(line.startswith("Installing Galaxy") for line in again.lines)
    assert "Galaxy roles of roles/requirements.yml are unchanged since they were installed: skipping." in again.lines


def test_a_shared_requirements_file_is_installed_for_the_kinds_it_lists_and_a_failure_stops_the_run(
        checkout, tmp_path):
    role_tar, _ = make_role_and_collection(tmp_path)
    (checkout / "requirements.yml").write_text(f"- src: file://{role_tar}\n  name: greeter\n")  # roles only
    context = context_for(checkout, "site.yml", "- hosts: all\n  gather_facts: false\n  roles: [greeter]\n")
    job = run(context)
    assert "Installing Galaxy roles from requirements.yml" in job.lines
    assert not any("collections from requirements.yml" in line for line in job.lines)
    assert any("greeter role ran" in line for line in job.lines)

    (checkout / "roles").mkdir()
    (checkout / "roles/requirements.yml").write_text(f"- src: file://{tmp_path}/missing.tar.gz\n  name: gone\n")
    job = SubprocessJob(context_for(checkout, "site.yml", "- hosts: all\n  tasks: []\n"))
    with pytest.raises(TaskFailed, match=r"^ansible-galaxy role install -r roles/requirements.yml failed"):
        AnsibleExecutor().run(job)
    assert not any(line == "Installing Galaxy roles from requirements.yml" for line in job.lines)  # stopped
    assert not any("PLAY" in line for line in job.lines)


def test_version_is_ansible_playbooks_first_line():
    assert AnsibleExecutor().version().startswith("ansible-playbook [core 2.")


def test_registered_as_the_ansible_app(plugin_app):
    app = plugin_app(ansible=semaphore_ansible)
    executor = app.extensions["semaphore"].registry.executor("ansible")
    assert isinstance(executor, AnsibleExecutor) and executor.plugin == "ansible"
    entry = listed_app(app, "ansible")
    assert (entry["title"], entry["installed"], entry["plugin"]) == ("Ansible Playbook", True, "ansible")


def test_a_vault_password_client_script_of_the_repository_unlocks_its_vault_id(checkout, tmp_path):
    password_file = tmp_path / "vault-pass"
    password_file.write_text("from-the-script\n")
    encrypted = subprocess.run(
        [str(ANSIBLE_BIN / "ansible-vault"), "encrypt_string", "--vault-id", f"ci@{password_file}",
         "scripted secret", "--name", "scripted"], capture_output=True, text=True, check=True).stdout
    (checkout / "vars.yml").write_text(encrypted)
    (checkout / "bin").mkdir()
    client = checkout / "bin/vault-client.sh"
    client.write_text("#!/bin/sh\necho from-the-script\n")
    client.chmod(0o755)
    playbook = ("- hosts: all\n  gather_facts: false\n  vars_files: [vars.yml]\n"
                "  tasks:\n    - debug: msg=\"got {{ scripted }}\"\n")
    context = context_for(checkout, "site.yml", playbook, vault_scripts={"ci": "bin/vault-client.sh"})
    assert f"--vault-id=ci@{client}" in playbook_command(context, PlaybookOptions()).argv
    assert debug_lines(run(context)) == ["got scripted secret"]

    context = context_for(checkout, "site.yml", playbook, vault_scripts={"ci": "../outside.sh"})
    with pytest.raises(TaskFailed, match="leads outside the repository"):
        AnsibleExecutor().run(SubprocessJob(context))


def test_debug_diff_check_and_arguments_take_their_places_on_the_command_line(checkout):
    context = context_for(checkout, "site.yml", "- hosts: all\n  tasks: []\n", debug=True, diff=True, dry_run=True,
                          template_args=["--forks", "3"], task_args=["--flush-cache"], limit="web1",
                          template={"task_params": {"allow_override_limit": True, "tags": "deploy"}})
    spec = playbook_command(context, AnsibleExecutor._options(context))
    extra_vars = f"@{context.private_dir / 'extra-vars.json'}"
    assert spec.argv[1:] == ["-i", str(context.inventory.path), "-vvvv", "--diff", "--check", "--extra-vars",
                             extra_vars, "--tags", "deploy", "--forks", "3", "--flush-cache", "--limit=web1",
                             "site.yml"]
    assert spec.cwd == checkout and spec.answers == {}
    callbacks = spec.env["ANSIBLE_CALLBACK_PLUGINS"].split(":")
    assert callbacks[1:] == ["~/.ansible/plugins/callback", "/usr/share/ansible/plugins/callback"]
