"""The base class of the script apps (``bash``, ``python``, ``powershell``): run one script of the
template's repository with an interpreter, with the command line of the original Semaphore."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from semaphore.errors import ValidationError
from semaphore.execution import ProcessSpec, RunContext, TaskFailed, TemplateField
from semaphore.interfaces import Executor

#: Extra vars the core adds for ansible (``task_details``); scripts do not get them as arguments.
HIDDEN_VARS = frozenset({"semaphore_vars"})
VERSION_TIMEOUT_SECONDS = 20

SCRIPT_TEMPLATE_FIELDS = (
    TemplateField("playbook", "Script", required=True,
                  help="Path of the script inside the repository, e.g. scripts/deploy.sh"),
    TemplateField("repository_id", "Repository", required=True),
    TemplateField("environment_id", "Variable group",
                  help="Its extra vars and var-type secrets become NAME=VALUE arguments, its env vars the "
                       "script's environment"),
    TemplateField("arguments", "CLI arguments", help="JSON array of arguments, after the secrets"),
    TemplateField("allow_override_args_in_task", "Allow arguments in task",
                  help="Tasks may add arguments at the end of the command line"),
)


class ScriptExecutor(Executor):
    """Runs the template's script (its ``playbook`` field, a path inside the repository) with an
    interpreter, in the checkout, with the run's environment. Subclasses set ``app_id``, ``title``
    and ``interpreters``. The command line::

        <interpreter> <default args> <script> <NAME=VALUE per secret var> <template args>
            <NAME=VALUE per extra var, except semaphore_vars> <task args>

    Extra vars that are not strings are passed as compact JSON (``COUNT=3``, ``DEBUG=true``,
    ``HOSTS=["a","b"]``). ``apps.<id>.path`` in the server config replaces the interpreter,
    ``apps.<id>.args`` the default arguments (an empty list removes them).
    """

    #: Interpreter names, tried in order on the run's ``PATH``; the first found runs the script
    #: (the first name is used when none is found, and starting it then fails with a clear error).
    interpreters: tuple[str, ...]
    #: Arguments between the interpreter and the script (powershell's ``-File``).
    default_args: tuple[str, ...] = ()
    #: Scripts take no inventory.
    inventory_types = ()
    #: ``playbook`` (the script), ``repository_id``, ``environment_id``, ``arguments``,
    #: ``allow_override_args_in_task``.
    template_fields = SCRIPT_TEMPLATE_FIELDS

    _version: str | None = None

    def version(self) -> str:
        """The interpreter's version line (``GNU bash, version 5.2.15(1)-release ...``), ""
        when it is not installed. Asked once, then cached."""
        if self._version is None:
            self._version = version_line([self._find_interpreter(os.environ.get("PATH", os.defpath)), "--version"])
        return self._version

    def validate_template(self, template: Mapping[str, Any]) -> None:
        """The script (``playbook``) must be a relative path that stays inside the repository."""
        problem = script_path_problem(template.get("playbook"))
        if problem:
            raise ValidationError(problem, field="playbook")

    def command(self, context: RunContext) -> ProcessSpec:
        """The process that runs the script. Raises :class:`~semaphore.execution.TaskFailed`
        when the script is not a file of the checkout (a task may override the template's script)."""
        script = context.playbook
        problem = script_path_problem(script)
        if problem:
            raise TaskFailed(f"script {script!r}: {problem}")
        if not (context.repository_path / script).is_file():
            raise TaskFailed(f"script not found: {script}")
        interpreter = context.app.path or self._find_interpreter(context.env.get("PATH", os.defpath))
        args = self.default_args if context.app.args is None else context.app.args
        # A script named "-x.sh" would be read as an option by the interpreter.
        script_arg = f"./{script}" if script.startswith("-") else script
        argv = [interpreter, *args, script_arg, *script_arguments(context)]
        return ProcessSpec(argv=argv, cwd=context.repository_path, env={"PWD": str(context.repository_path)})

    def _find_interpreter(self, search_path: str) -> str:
        found = (name for name in self.interpreters if shutil.which(name, path=search_path))
        return next(found, self.interpreters[0])


def script_arguments(context: RunContext) -> list[str]:
    """Everything after the script: secrets, template args, extra vars, task args."""
    return [
        *(f"{name}={value}" for name, value in context.secret_vars.items()),
        *context.template_args,
        *(var_argument(name, value) for name, value in context.extra_vars.items() if name not in HIDDEN_VARS),
        *context.task_args,
    ]


def var_argument(name: str, value: Any) -> str:
    """``NAME=VALUE``: strings as they are, anything else as compact JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f"{name}={text}"


def script_path_problem(path: Any, what: str = "script") -> str | None:
    """What is wrong with the path of a ``what`` (script, playbook) in the repository (``None``
    when it names a file inside it)."""
    if not isinstance(path, str) or not path.strip():
        return f"required: the path of the {what} inside the repository"
    if "\0" in path:
        return "must not contain NUL characters"
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute():
        return "must be a path inside the repository, not an absolute path"
    normalized = posixpath.normpath(path)
    if normalized == ".." or normalized.startswith("../"):
        return "must stay inside the repository ('..' leads out of it)"
    if normalized == ".":
        return f"must name a {what} file, not the repository itself"
    return None


def version_line(argv: list[str], env: Mapping[str, str] | None = None) -> str:
    """The first line a tool prints of its version (``argv`` asks for it), "" when it is not
    installed or fails."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
                                timeout=VERSION_TIMEOUT_SECONDS, env=None if env is None else dict(env))
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return lines[0] if result.returncode == 0 and lines else ""
