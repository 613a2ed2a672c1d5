"""Ansible playbooks as Semaphore templates (app ``ansible``): Galaxy requirements, then
``ansible-playbook`` with the template's inventory, keys, vaults and variables, and per-host
results recorded by a callback plugin (``GET /api/project/{pid}/tasks/{id}/hosts``).

Importing this package must stay cheap: ansible itself is never imported here (it runs as its own
process), and heavy libraries load inside the methods that use them (the smoke test checks this).
"""

from __future__ import annotations

from collections.abc import Callable

from semaphore import Executor, hookimpl
from semaphore_ansible.executor import AnsibleExecutor

__all__ = ["AnsibleExecutor", "register_executors"]


@hookimpl
def register_executors(register: Callable[[Executor], None]) -> None:
    register(AnsibleExecutor())
