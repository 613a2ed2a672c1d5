"""Helpers for testing an executor without the task engine.

``make_run_context`` builds the :class:`~semaphore.execution.RunContext` the engine would prepare
for a checkout that is already on disk; ``run_spec`` runs a :class:`~semaphore.execution.ProcessSpec`
the way the engine does (working directory, the run's environment plus the spec's, empty stdin);
``SubprocessJob`` is a :class:`~semaphore.execution.Job` built on it, for testing
:meth:`~semaphore.interfaces.Executor.run`. They are test doubles of the engine, which has its
own tests: no process group, stop, log masking or database here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from semaphore.execution import Job, ProcessSpec, RunContext, TaskDetails


def make_run_context(repository: Path, app_id: str, playbook: str, **fields: Any) -> RunContext:
    """A run of task 1 by ``ann`` in ``repository``: the server's ``PATH``, ``HOME`` in a private
    directory next to the checkout, ``semaphore_vars`` among the extra vars. ``fields`` set any
    other :class:`RunContext` field (``extra_vars`` are added to ``semaphore_vars``)."""
    private_dir = repository.parent / f"{repository.name}-private"
    private_dir.mkdir(mode=0o700, exist_ok=True)
    task = TaskDetails(id=1, username="ann", message="", url=None)
    extra_vars = {"semaphore_vars": {"task_details": task.as_vars()}, **fields.pop("extra_vars", {})}
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(private_dir), **fields.pop("env", {})}
    return RunContext(task=task, app_id=app_id, template={"playbook": playbook}, playbook=playbook,
                      repository_path=repository, private_dir=private_dir, extra_vars=extra_vars,
                      secret_vars=fields.pop("secret_vars", {}), env=env, **fields)


def run_spec(context: RunContext, spec: ProcessSpec) -> subprocess.CompletedProcess[str]:
    """Run ``spec`` to the end with the run's environment; stdout and stderr are captured."""
    return subprocess.run(spec.argv, cwd=spec.cwd, env={**context.env, **spec.env}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=False, timeout=60)


class SubprocessJob(Job):
    """A job whose processes run with :func:`run_spec`; their output lines and ``log`` lines are
    collected in ``lines``."""

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)

    def run_process(self, spec: ProcessSpec) -> int:
        result = run_spec(self.context, spec)
        self.lines += (result.stdout + result.stderr).splitlines()
        return result.returncode
