"""What an executor works with while a task runs.

The task engine prepares a :class:`RunContext` (checkout, inventory file, merged variables,
secrets) and hands the executor a :class:`Job`, through which it runs processes, writes log lines
and waits for confirmation. Executors never touch the database.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_LOCK_POLL_SECONDS = 0.1


class TaskFailed(Exception):
    """Raised by an executor when the task failed; the message becomes the last log line."""


class TaskStopped(Exception):
    """Raised by :meth:`Job.run_process` and :meth:`Job.wait_for_confirmation` when the task was
    stopped (by a user, or for running too long). Executors let it propagate."""


#: The controls a template form can show for a field (``TemplateField.kind``).
FIELD_KINDS = ("text", "textarea", "checkbox", "json", "lines", "select", "int", "vaults")
#: ``*_id`` fields whose select lists the project's objects of this kind.
OBJECT_FIELDS = {"repository_id": "repositories", "inventory_id": "inventories", "environment_id": "environments"}


@dataclass(frozen=True)
class TemplateField:
    """A template field an executor uses, for forms and docs (``playbook``, ``inventory_id``, ...).

    A dotted name is a key of the template's ``task_params`` (``task_params.limit``). ``kind`` is the
    form's control (one of ``FIELD_KINDS``); when empty, ``control`` infers it from the name.
    ``options`` are a select's ``(value, title)`` choices."""

    name: str
    title: str
    required: bool = False
    help: str = ""
    kind: str = ""
    options: tuple[tuple[str, str], ...] = ()

    @property
    def control(self) -> str:
        """The form control: ``kind``, else a select for ``*_id`` and fields with options, a
        checkbox for ``allow_*`` and ``auto_approve`` flags, a JSON array for ``arguments``, text
        otherwise."""
        if self.kind:
            return self.kind
        last = self.name.rsplit(".", 1)[-1]
        if self.options or last.endswith("_id"):
            return "select"
        if last.startswith("allow_") or last == "auto_approve":
            return "checkbox"
        if last == "arguments":
            return "json"
        if last == "vaults":
            return "vaults"
        return "text"


@dataclass(frozen=True)
class TaskDetails:
    """``semaphore_vars.task_details``: who runs what. ``type`` and the versions are set only for
    build and deploy templates, as in the original."""

    id: int
    username: str
    message: str
    url: str | None
    type: str = ""
    target_version: str | None = None
    incoming_version: str | None = None

    def as_vars(self) -> dict[str, Any]:
        details: dict[str, Any] = {"id": self.id, "username": self.username, "url": self.url}
        if self.message:
            details["message"] = self.message
        if self.type:
            details["type"] = self.type
            if self.target_version is not None:
                details["target_version"] = self.target_version
            if self.incoming_version is not None:
                details["incoming_version"] = self.incoming_version
        return details


@dataclass(frozen=True)
class Credentials:
    """A decrypted key store entry as a tool needs it. ``private_key_path`` is a 0600 file in the
    run's private directory (ssh keys only)."""

    type: str  # "ssh", "login_password" or "none"
    login: str = ""
    password: str = ""
    passphrase: str = ""
    private_key_path: Path | None = None


@dataclass(frozen=True)
class InventoryFile:
    """The inventory of the run. ``path`` is a file the engine wrote (static, static-yaml) or a path
    inside the checkout (file); ``name`` is the inventory text itself for apps that take a name
    (terraform workspaces)."""

    type: str
    path: Path | None
    name: str = ""
    ssh: Credentials | None = None
    become: Credentials | None = None


@dataclass(frozen=True)
class AppSettings:
    """``apps.<id>`` of the server config: ``path`` replaces the command, ``args`` its default
    arguments (e.g. powershell's ``-File``)."""

    path: str = ""
    args: tuple[str, ...] | None = None


@dataclass
class RunContext:
    """Everything about one run, prepared by the engine before the executor is called."""

    task: TaskDetails
    app_id: str
    template: Mapping[str, Any]  # the template's JSON fields
    playbook: str  # the task's override, else the template's
    repository_path: Path  # the checkout (a local repository is used in place)
    private_dir: Path  # 0700, removed after the run: key files, inventory files, HOME
    extra_vars: dict[str, Any]  # environment JSON over task environment, plus semaphore_vars
    secret_vars: dict[str, str]  # var-type secrets and the task's secret values
    env: dict[str, str]  # the complete process environment (base, forwarded, env vars, env secrets, SEMAPHORE_*)
    template_args: list[str] = field(default_factory=list)
    task_args: list[str] = field(default_factory=list)
    debug: bool = False
    dry_run: bool = False
    diff: bool = False
    limit: str = ""
    inventory: InventoryFile | None = None
    vaults: dict[str, str] = field(default_factory=dict)  # vault id -> password
    vault_scripts: dict[str, str] = field(default_factory=dict)  # vault id -> client script in the repository
    app: AppSettings = field(default_factory=AppSettings)
    params: Mapping[str, Any] = field(default_factory=dict)  # app-specific task params
    #: Kept between runs of the template (galaxy installs, terraform state): hold
    #: :meth:`Job.cache_lock` while using it. None when the executor runs without the engine.
    cache_dir: Path | None = None


@dataclass
class ProcessSpec:
    """One process to run: ``env`` is added to the run's environment; ``answers`` maps prompt
    prefixes to the line written back when the process prints them (needs a terminal, e.g.
    ansible's vault and SSH passwords)."""

    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostFailure:
    """A task that failed on a host (or found it unreachable), with the tool's message."""

    task: str
    message: str


@dataclass(frozen=True)
class HostResult:
    """What a run did on one host: counts per outcome, as Ansible's PLAY RECAP has them, and the
    failed tasks."""

    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0
    failures: tuple[HostFailure, ...] = ()

    @property
    def status(self) -> str:
        """The host's overall outcome: unreachable, failed, changed, ok or skipped."""
        if self.unreachable:
            return "unreachable"
        if self.failed:
            return "failed"
        if self.changed:
            return "changed"
        return "ok" if self.ok else "skipped"


class Job:
    """The engine's side of a run, as executors use it."""

    context: RunContext

    def log(self, line: str) -> None:
        """Add a line to the task's log (masked, stored, streamed)."""
        raise NotImplementedError

    def run_process(self, spec: ProcessSpec) -> int:
        """Run a process in its own process group, its output going to the log; the exit code.
        Raises :class:`TaskStopped` when the task is stopped meanwhile (the group is killed)."""
        raise NotImplementedError

    def wait_for_confirmation(self) -> None:
        """Move the task to ``waiting_confirmation`` and block until a user confirms it (then the
        task is ``running`` again); raises :class:`TaskStopped` when it is stopped instead."""
        raise NotImplementedError

    def save_host_results(self, results: Sequence[HostResult]) -> None:
        """Store what the run did per host (replacing what was stored before); messages are
        masked like the log. Shown by ``GET /api/project/{pid}/tasks/{id}/hosts``."""
        raise NotImplementedError

    def stop_requested(self) -> bool:
        """Whether the task was asked to stop (for executors that wait on something else than a
        process)."""
        return False

    @contextmanager
    def cache_lock(self) -> Iterator[Path]:
        """Hold the template's :attr:`RunContext.cache_dir` alone for the ``with`` block: other
        runs of the template, in this or another server process, wait. Raises
        :class:`TaskStopped` when the task is stopped while waiting."""
        directory = self.context.cache_dir
        if directory is None:
            raise TaskFailed("this run has no cache directory")
        fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            waiting = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self.stop_requested():
                        raise TaskStopped("stopped while waiting for another run of the template") from None
                    if not waiting:
                        self.log("Waiting for another run of this template to finish with its cache")
                        waiting = True
                    time.sleep(CACHE_LOCK_POLL_SECONDS)
            yield directory
        finally:
            os.close(fd)  # releases the lock
