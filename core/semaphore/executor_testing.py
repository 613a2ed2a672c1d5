"""Helpers for testing an executor without the task engine.

``make_run_context`` builds the :class:`~semaphore.execution.RunContext` the engine would prepare
for a checkout that is already on disk; ``run_spec`` runs a :class:`~semaphore.execution.ProcessSpec`
the way the engine does (working directory, the run's environment plus the spec's, empty stdin);
``SubprocessJob`` is a :class:`~semaphore.execution.Job` for testing
:meth:`~semaphore.interfaces.Executor.run`: its processes run as the engine runs them (process
group, a terminal when prompts are answered), their output collected as lines. They are test
doubles of the engine, which has its own tests: no stop, log masking or database here.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from semaphore.execution import HostResult, Job, ProcessSpec, RunContext, TaskDetails, TaskStopped


def make_run_context(repository: Path, app_id: str, playbook: str, **fields: Any) -> RunContext:
    """A run of task 1 by ``ann`` in ``repository``: the server's ``PATH``, ``HOME`` in a private
    directory next to the checkout, ``semaphore_vars`` among the extra vars. ``fields`` set any
    other :class:`RunContext` field (``extra_vars`` are added to ``semaphore_vars``, ``template`` fields
to its ``playbook``)."""
    private_dir = repository.parent / f"{repository.name}-private"
    private_dir.mkdir(mode=0o700, exist_ok=True)
    task = TaskDetails(id=1, username="ann", message="", url=None)
    extra_vars = {"semaphore_vars": {"task_details": task.as_vars()}, **fields.pop("extra_vars", {})}
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(private_dir), **fields.pop("env", {})}
    template = {"playbook": playbook, **fields.pop("template", {})}
    return RunContext(task=task, app_id=app_id, template=template, playbook=playbook,
                      repository_path=repository, private_dir=private_dir, extra_vars=extra_vars,
                      secret_vars=fields.pop("secret_vars", {}), env=env, **fields)


def run_spec(context: RunContext, spec: ProcessSpec) -> subprocess.CompletedProcess[str]:
    """Run ``spec`` to the end with the run's environment; stdout and stderr are captured."""
    return subprocess.run(spec.argv, cwd=spec.cwd, env={**context.env, **spec.env}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=False, timeout=60)


class SubprocessJob(Job):
    """A job whose processes run as the engine runs them; their output lines and ``log`` lines are
    collected in ``lines``, saved host results in ``host_results``. ``confirm`` answers
    :meth:`wait_for_confirmation`: True goes on, False rejects (``TaskStopped``)."""

    def __init__(self, context: RunContext, confirm: bool = True) -> None:
        self.context = context
        self.confirm = confirm
        self.lines: list[str] = []
        self.host_results: list[HostResult] = []
        self.confirmations = 0

    def log(self, line: str) -> None:
        self.lines.append(line)

    def run_process(self, spec: ProcessSpec) -> int:
        from semaphore.engine import process
        from semaphore.engine.isolation import Isolation

        sink = _LineSink(self.lines)
        return process.run(spec, self.context.env, sink, process.StopSignal(), grace_seconds=5, isolation=Isolation())

    def wait_for_confirmation(self) -> None:
        self.confirmations += 1
        if not self.confirm:
            raise TaskStopped("Task rejected by a user.")

    def save_host_results(self, results: Sequence[HostResult]) -> None:
        self.host_results = list(results)


class _LineSink:
    """Output of a process as lines (a terminal's CRLF read as LF)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.partial = b""

    def feed(self, data: bytes) -> None:
        *complete, self.partial = (self.partial + data).split(b"\n")
        self.lines += [line.decode("utf-8", "replace").removesuffix("\r") for line in complete]

    def end_of_stream(self) -> None:
        if self.partial:
            self.lines.append(self.partial.decode("utf-8", "replace").removesuffix("\r"))
            self.partial = b""

    def write(self, line: str) -> None:
        self.lines.append(line)
