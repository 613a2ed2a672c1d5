"""Python scripts as Semaphore templates (app ``python``): ``python3 <script> NAME=VALUE ... <args>``.

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""

from __future__ import annotations

from collections.abc import Callable

from semaphore import Executor, ScriptExecutor, hookimpl


class PythonExecutor(ScriptExecutor):
    """Runs a Python script of the template's repository with ``python3`` from the run's ``PATH``."""

    app_id = "python"
    title = "Python"
    icon = "language-python"
    interpreters = ("python3",)


@hookimpl
def register_executors(register: Callable[[Executor], None]) -> None:
    register(PythonExecutor())
