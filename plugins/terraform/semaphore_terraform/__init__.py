"""Terraform and OpenTofu as Semaphore templates (apps ``terraform``, ``tofu``).

A run, in the template's sub-directory (``playbook``) of the checkout: ``init``, the inventory's
workspace (created when missing), ``plan -detailed-exitcode -out``; a plan with changes waits for
confirmation (``POST .../tasks/{id}/confirm``, or ``/reject``) unless auto-approved, then
``apply`` applies exactly that saved plan. Extra vars become typed ``-var`` arguments, secret
vars ``TF_VAR_*`` environment variables. The local state and ``TF_DATA_DIR`` are kept in the
template's cache directory between runs (see :mod:`semaphore_terraform.state_cache`).

Importing this package must stay cheap: it uses the standard library only (the smoke test checks
that no heavy library is imported).
"""

from __future__ import annotations

from collections.abc import Callable

from semaphore import Executor, hookimpl
from semaphore_terraform.executor import TerraformExecutor, TofuExecutor

__all__ = ["TerraformExecutor", "TofuExecutor", "register_executors"]


@hookimpl
def register_executors(register: Callable[[Executor], None]) -> None:
    register(TerraformExecutor())
    register(TofuExecutor())
