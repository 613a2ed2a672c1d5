"""Bash scripts as Semaphore templates (app ``bash``): ``bash <script> NAME=VALUE ... <args>``.

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""

from __future__ import annotations

from collections.abc import Callable

from semaphore import Executor, ScriptExecutor, hookimpl


class BashExecutor(ScriptExecutor):
    """Runs a Bash script of the template's repository."""

    app_id = "bash"
    title = "Bash"
    icon = "bash"
    interpreters = ("bash",)


@hookimpl
def register_executors(register: Callable[[Executor], None]) -> None:
    register(BashExecutor())
