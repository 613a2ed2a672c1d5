"""A job made real on the machine that runs it: key files and static inventories written to the
run's private directory, the process environment built, and the :class:`RunPlan` the engine
follows::

    plan = materialise(spec, private_dir, config)  # RunPreparationError: the task fails
    checkout = check_out(plan.repository_id, plan.git_source)  # see semaphore.engine.checkout
    inventory_checkout = None
    if plan.inventory_source:  # a file inventory kept in another repository
        inventory_checkout = check_out(plan.inventory_repository_id, plan.inventory_source)
    context = plan.context(checkout, inventory_checkout)  # RunPreparationError too

``private_dir`` must be 0700; every file written there is 0600, and nothing secret is written
anywhere else. ``config`` is the running machine's: its ``tmp_path`` holds the template caches
(``<tmp_path>/templates/<template id>``, 0700, kept between runs of the template), and its
``forwarded_env_vars`` and ``env_vars`` settings are layers of the environment (see
:mod:`semaphore.engine.run_env`), as is the machine's own ``PATH`` and locale.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semaphore.config import Config
from semaphore.engine.checkout import GitSource
from semaphore.engine.inventory_files import PlannedInventory, plan_inventory
from semaphore.engine.job_spec import JobSpec, SourceSpec
from semaphore.engine.private_files import KeyFiles, require_private_dir
from semaphore.engine.run_env import RunEnvironment, run_environment
from semaphore.execution import RunContext, TaskDetails

__all__ = ["RunPlan", "materialise", "template_cache_dir"]


@dataclass
class RunPlan:
    """A run ready to go: check out ``git_source`` (and ``inventory_source``), then call
    :meth:`context` with the checkout."""

    repository_id: int
    git_source: GitSource  # the branch is the effective one; an ssh key is a 0600 file in the private dir
    inventory_repository_id: int | None  # a file inventory's own repository, when not the template's
    inventory_source: GitSource | None
    secrets: list[str]
    details: TaskDetails
    inventory: PlannedInventory | None
    environment: RunEnvironment
    fields: dict[str, Any]  # the RunContext fields known before the checkout

    def context(self, checkout: Path, inventory_checkout: Path | None = None) -> RunContext:
        inventory = self.inventory.resolve(checkout, inventory_checkout) if self.inventory else None
        return RunContext(repository_path=checkout, inventory=inventory, env=self.environment.build(checkout),
                          **self.fields)


def materialise(spec: JobSpec, private_dir: Path, config: Config,
                server_env: Mapping[str, str] | None = None) -> RunPlan:
    """Writes the job's files into ``private_dir``; ``server_env``: this machine's environment
    (default ``os.environ``), of which only the parts named in :mod:`run_env` reach the task."""
    require_private_dir(private_dir)
    key_files = KeyFiles(private_dir)
    git_source = _git_source(spec.source, key_files)
    inventory_source = _git_source(spec.inventory_source, key_files) if spec.inventory_source else None
    inventory = plan_inventory(spec.inventory, key_files) if spec.inventory else None
    environment = run_environment(os.environ if server_env is None else server_env, config, private_dir,
                                  spec.env_vars, spec.env_secrets, spec.task)
    fields = {
        "task": spec.task, "app_id": spec.app_id, "template": spec.template, "playbook": spec.playbook,
        "private_dir": private_dir, "extra_vars": spec.extra_vars, "secret_vars": spec.secret_vars,
        "template_args": spec.template_args, "task_args": spec.task_args,
        "debug": spec.debug, "dry_run": spec.dry_run, "diff": spec.diff, "limit": spec.limit,
        "vaults": spec.vaults, "vault_scripts": spec.vault_scripts, "app": spec.app, "params": spec.params,
        "cache_dir": template_cache_dir(Path(config.tmp_path), spec.template_id),
    }
    return RunPlan(spec.source.repository_id, git_source,
                   spec.inventory_source.repository_id if spec.inventory_source else None, inventory_source,
                   spec.secrets, spec.task, inventory, environment, fields)


def template_cache_dir(tmp_path: Path, template_id: int) -> Path:
    """The directory an executor keeps between runs of one template (made 0700 when missing)."""
    parent = tmp_path / "templates"
    if not parent.is_dir():
        parent.mkdir(parents=True, exist_ok=True)
        parent.chmod(0o711)  # traversable, not listable: a task user reaches only its template's cache
    path = parent / str(template_id)
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _git_source(source: SourceSpec, key_files: KeyFiles) -> GitSource:
    return GitSource(source.url, source.branch, source.commit, key_files.credentials(source.key))
