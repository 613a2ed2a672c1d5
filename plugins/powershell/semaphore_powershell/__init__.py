"""PowerShell scripts as Semaphore templates (app ``powershell``): ``pwsh -File <script> NAME=VALUE ...``.

The original Semaphore runs ``powershell -File``; PowerShell 7 (the one for Linux and macOS) is
called ``pwsh``. The executor runs ``pwsh`` when it is on the run's ``PATH``, else ``powershell``
(Windows PowerShell); ``apps.powershell.path`` names either explicitly.

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""

from __future__ import annotations

from collections.abc import Callable

from semaphore import Executor, ScriptExecutor, hookimpl


class PowerShellExecutor(ScriptExecutor):
    """Runs a PowerShell script of the template's repository."""

    app_id = "powershell"
    title = "PowerShell"
    icon = "powershell"
    interpreters = ("pwsh", "powershell")
    default_args = ("-File",)


@hookimpl
def register_executors(register: Callable[[Executor], None]) -> None:
    register(PowerShellExecutor())
