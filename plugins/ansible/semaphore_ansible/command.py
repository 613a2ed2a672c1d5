"""The ``ansible-playbook`` command line of a run, in the original's order, and its environment::

    ansible-playbook -i <inventory> [--user <login>] [--private-key <key file>] [--ask-pass]
        [--become-user <login>] [--ask-become-pass] [-vvvv] [--diff] [--check]
        [--vault-id <id>@prompt ...] [--vault-id <id>@<script> ...]
        --extra-vars @<extra vars file> [--extra-vars @<secret vars file>]
        [--tags <tags>] [--skip-tags <tags>] <template args> <task args> [--limit=<hosts>] <playbook>

Passwords (ssh login, become, vaults) are typed into ansible's own prompts on a terminal, never put
on the command line or in a file; a key's passphrase reaches ssh through ``SSH_ASKPASS``. Extra
vars are JSON files in the run's private directory (0600, removed after the run) rather than
arguments, which any user of the machine could read in ``ps``; secret vars come last, so they win.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from semaphore import Credentials, ProcessSpec, RunContext, TaskFailed

EVENTS_FILE = "ansible-events.jsonl"
CALLBACK_DIR = Path(__file__).parent / "callback"
ASKPASS_SCRIPT = '#!/bin/sh\nprintf \'%s\\n\' "$SEMAPHORE_SSH_PASSPHRASE"\n'
# Defaults a user may override in the variable group's environment.
# cryptography's deprecation warnings that importing ansible (and paramiko) sets off: they would open
# every log, and no playbook author can act on them. PYTHONWARNINGS cannot name their class
# (CryptographyDeprecationWarning is looked up before site-packages can be imported), so the filters
# match those warnings' messages, as UserWarnings (the class's base).
CRYPTOGRAPHY_IMPORT_WARNINGS = ("DSA is deprecated", "TripleDES has been moved", "Blowfish has been",
                                "CAST5 has been")
DEFAULT_ENV = {
    "ANSIBLE_FORCE_COLOR": "1",  # the log keeps ansible's colours, terminal or not
    # Every run has a fresh HOME, so no host would ever be known: checking would refuse every host.
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "PYTHONWARNINGS": ",".join(f"ignore:{message}:UserWarning" for message in CRYPTOGRAPHY_IMPORT_WARNINGS),
}
ANSIBLE_DEFAULT_PATHS = {
    "ANSIBLE_ROLES_PATH": "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles",
    "ANSIBLE_COLLECTIONS_PATH": "~/.ansible/collections:/usr/share/ansible/collections",
    "ANSIBLE_CALLBACK_PLUGINS": "~/.ansible/plugins/callback:/usr/share/ansible/plugins/callback",
}


@dataclass
class PlaybookOptions:
    limit: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    skip_tags: list[str] = field(default_factory=list)
    galaxy_paths: dict[str, Path] = field(default_factory=dict)  # env var -> installed roles/collections
    ssh_control_dir: Path | None = None  # where ssh multiplexing sockets go (see ssh_control)


def find_tool(name: str, search_path: str, configured: str = "") -> str:
    """The configured path, else the tool installed beside this Python (the venv that has
    ansible-core), else the first on ``search_path``."""
    if configured:
        return configured
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name, path=search_path) or name


def playbook_command(context: RunContext, options: PlaybookOptions) -> ProcessSpec:
    inventory = context.inventory
    if inventory is None or inventory.path is None:
        raise TaskFailed("an ansible task needs an inventory: set one on the template or the task")
    binary = find_tool("ansible-playbook", context.env.get("PATH", os.defpath), context.app.path)
    argv = [binary, *(context.app.args or ()), "-i", str(inventory.path)]
    env = _environment(context, options)
    answers: dict[str, str] = {}
    if inventory.ssh is not None:
        argv += _connection_args(inventory.ssh, context, env, answers)
    if inventory.become is not None:
        argv += _become_args(inventory.become, answers)
    if context.debug:
        argv.append("-vvvv")
    if context.diff:
        argv.append("--diff")
    if context.dry_run:
        argv.append("--check")
    for vault_id, password in context.vaults.items():
        argv.append(f"--vault-id={vault_id}@prompt")
        answers[f"Vault password ({vault_id}):"] = password
    for vault_id, script in context.vault_scripts.items():
        argv.append(f"--vault-id={vault_id}@{_vault_script(context.repository_path, script)}")
    argv += ["--extra-vars", f"@{_vars_file(context.private_dir, 'extra-vars.json', context.extra_vars)}"]
    if context.secret_vars:
        argv += ["--extra-vars", f"@{_vars_file(context.private_dir, 'secret-vars.json', context.secret_vars)}"]
    if options.tags:
        argv += ["--tags", ",".join(options.tags)]
    if options.skip_tags:
        argv += ["--skip-tags", ",".join(options.skip_tags)]
    argv += [*context.template_args, *context.task_args]
    if options.limit:
        argv.append(f"--limit={','.join(options.limit)}")
    argv.append(context.playbook)
    return ProcessSpec(argv=argv, cwd=context.repository_path, env=env, answers=answers)


def events_path(context: RunContext) -> Path:
    return context.private_dir / EVENTS_FILE


def _environment(context: RunContext, options: PlaybookOptions) -> dict[str, str]:
    env = {name: value for name, value in DEFAULT_ENV.items() if name not in context.env}
    env["SEMAPHORE_ANSIBLE_EVENTS"] = str(events_path(context))
    env["ANSIBLE_CALLBACK_PLUGINS"] = _search_path(context, "ANSIBLE_CALLBACK_PLUGINS", CALLBACK_DIR)
    for name, directory in options.galaxy_paths.items():
        env[name] = _search_path(context, name, directory)
    if options.ssh_control_dir is not None and "ANSIBLE_SSH_CONTROL_PATH_DIR" not in context.env:
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(options.ssh_control_dir)
    return env


def _search_path(context: RunContext, name: str, first: Path) -> str:
    """``first`` before the path the run's environment sets, else before ansible's default."""
    return f"{first}:{context.env.get(name) or ANSIBLE_DEFAULT_PATHS[name]}"


def _connection_args(ssh: Credentials, context: RunContext, env: dict[str, str], answers: dict[str, str]) -> list[str]:
    args = ["--user", ssh.login] if ssh.login else []
    if ssh.type == "ssh" and ssh.private_key_path is not None:
        args += ["--private-key", str(ssh.private_key_path)]
        if ssh.passphrase:
            askpass = context.private_dir / "ssh-askpass.sh"
            if not askpass.exists():
                askpass.write_text(ASKPASS_SCRIPT)
                askpass.chmod(0o700)
            env.update(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", SEMAPHORE_SSH_PASSPHRASE=ssh.passphrase)
    elif ssh.type == "login_password" and ssh.password:
        args.append("--ask-pass")  # ansible needs sshpass installed for password logins over ssh
        answers["SSH password:"] = ssh.password
    return args


def _become_args(become: Credentials, answers: dict[str, str]) -> list[str]:
    if become.type != "login_password":
        raise TaskFailed("the inventory's become key must be a login_password key (the user to become and "
                         "its password)")
    args = ["--become-user", become.login] if become.login else []
    if become.password:
        args.append("--ask-become-pass")
        answers["BECOME password"] = become.password
    return args


def _vault_script(repository: Path, script: str) -> Path:
    """A vault password client script of the checkout (ansible runs it when it is executable and
    reads it as a password file when not)."""
    path = (repository / script).resolve()
    if not path.is_relative_to(repository.resolve()):
        raise TaskFailed(f"vault password script {script!r} leads outside the repository")
    if not path.is_file():
        raise TaskFailed(f"vault password script not found: {script}")
    return path


def _vars_file(directory: Path, name: str, values: dict[str, object]) -> Path:
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle)
    return path
