"""The ``terraform`` and ``tofu`` apps: init, workspace, plan, confirmation, apply of that plan."""

from __future__ import annotations

import os
import posixpath
import shlex
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from semaphore import Executor, Job, ProcessSpec, RunContext, TaskFailed, TemplateField
from semaphore.plugin_api.errors import ValidationError
from semaphore.plugin_api.executors import HIDDEN_VARS, var_argument, version_line
from semaphore_terraform.options import OptionError, RunOptions, run_options, template_options
from semaphore_terraform.state_cache import WorkingDirCache

DEFAULT_WORKSPACE = "default"
PLAN_FILE = "tfplan"
#: ``plan -detailed-exitcode``: 0 = no changes, 2 = changes to apply, anything else = failed.
NO_CHANGES, CHANGES = 0, 2
#: Set for every step unless the run's environment sets them: no prompts, output for automation,
#: no calls home to check for a newer version.
AUTOMATION_ENV = {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}

TEMPLATE_FIELDS = (
    TemplateField("playbook", "Sub-directory",
                  help="Directory of the configuration inside the repository; empty means the repository's root"),
    TemplateField("repository_id", "Repository", required=True),
    TemplateField("inventory_id", "Workspace",
                  help="An inventory of type terraform-workspace (tofu-workspace) naming the workspace; "
                       "none means the workspace default. A missing workspace is created"),
    TemplateField("environment_id", "Variable group",
                  help="Extra vars become -var NAME=VALUE (non-strings as JSON), var secrets TF_VAR_NAME in the "
                       "environment, env vars (e.g. TF_VAR_*, provider credentials) the environment"),
    TemplateField("arguments", "CLI arguments", help="JSON array of arguments added to plan"),
    TemplateField("allow_override_args_in_task", "Allow arguments in task",
                  help="Tasks may add arguments to plan, after the template's"),
    TemplateField("task_params.auto_approve", "Auto approve",
                  help="Apply every plan without waiting for confirmation"),
    TemplateField("task_params.allow_auto_approve", "Allow auto approve in task",
                  help="A task may set params.auto_approve to apply its plan without confirmation"),
    TemplateField("task_params.allow_destroy", "Allow destroy in task",
                  help="A task may set params.destroy to plan and apply the destruction of everything"),
)


class TerraformExecutor(Executor):
    """Runs a Terraform configuration of the template's repository, in its ``playbook``
    sub-directory::

        terraform init -input=false
        terraform workspace select NAME || terraform workspace new NAME   (not for "default")
        terraform plan -input=false -detailed-exitcode -out <private dir>/tfplan [-destroy]
            <-var NAME=VALUE per extra var> <template args> <task args>
        (waiting_confirmation until confirmed, unless auto-approved)
        terraform apply -input=false <private dir>/tfplan

    A plan without changes ends the task successfully without asking. The binary is the app id
    on the run's ``PATH``; ``apps.<id>.path`` replaces it, ``apps.<id>.args`` are global options
    put before each subcommand.
    """

    app_id = "terraform"
    title = "Terraform"
    icon = "terraform"
    inventory_types: tuple[str, ...] = ("terraform-workspace",)
    requires_playbook = False
    template_fields = TEMPLATE_FIELDS

    _version: str | None = None

    @property
    def binary(self) -> str:
        return self.app_id

    def version(self) -> str:
        """The tool's first version line (``Terraform v1.0.3``), "" when it is not installed.
        Asked once, then cached."""
        if self._version is None:
            self._version = version_line([shutil.which(self.binary) or self.binary, "version"],
                                         env={**os.environ, "CHECKPOINT_DISABLE": "1"})
        return self._version

    def validate_template(self, template: Mapping[str, Any]) -> None:
        """The sub-directory must stay inside the repository; ``task_params`` options are booleans."""
        problem = directory_problem(template.get("playbook"))
        if problem:
            raise ValidationError(problem, field="playbook")
        try:
            template_options(template.get("task_params"))
        except OptionError as exc:
            raise ValidationError(str(exc), field=exc.field) from None

    def validate_task(self, template: Mapping[str, Any], task: Mapping[str, Any]) -> None:
        """``params.auto_approve`` and ``params.destroy`` only when the template allows them."""
        if task.get("playbook"):
            problem = directory_problem(task["playbook"])
            if problem:
                raise ValidationError(problem, field="playbook")
        try:
            run_options(template.get("task_params"), task.get("params"))
        except OptionError as exc:
            raise ValidationError(str(exc), field=exc.field) from None

    def run(self, job: Job) -> None:
        context = job.context
        try:  # checked again: the template may have changed since the task was queued
            options = run_options(context.template.get("task_params"), context.params)
        except OptionError as exc:
            raise TaskFailed(f"{exc.field}: {exc}") from None
        workdir = working_directory(context)
        with self._cache(job, workdir) as cache:
            try:
                self._init_plan_apply(job, workdir, options, cache)
            finally:
                if cache is not None:
                    cache.save(workdir)

    @contextmanager
    def _cache(self, job: Job, workdir: Path) -> Iterator[WorkingDirCache | None]:
        """The working directory's cache, held alone for the run (none without a cache directory)."""
        context = job.context
        if context.cache_dir is None:
            yield None
            return
        with job.cache_lock() as cache_dir:
            subdir = posixpath.normpath(context.playbook.strip() or ".")
            cache = WorkingDirCache(cache_dir, subdir, self.app_id)
            restored = cache.restore(workdir)
            if restored:
                job.log(f"Restored the state kept from earlier runs: {', '.join(restored)}")
            yield cache

    def _init_plan_apply(self, job: Job, workdir: Path, options: RunOptions, cache: WorkingDirCache | None) -> None:
        context = job.context
        env = {name: value for name, value in AUTOMATION_ENV.items() if name not in context.env}
        if cache is not None and "TF_DATA_DIR" not in context.env:
            env["TF_DATA_DIR"] = str(cache.data_dir)
        step = _Steps(job, self._command(context), workdir, env)
        workspace = context.inventory.name if context.inventory and context.inventory.name else DEFAULT_WORKSPACE
        if workspace.startswith("-"):
            raise TaskFailed(f"workspace {workspace!r}: a workspace name must not start with '-'")
        plan = context.private_dir / PLAN_FILE
        destroy = ["-destroy"] if options.destroy else []
        plan_args = ["-input=false", "-detailed-exitcode", "-out", str(plan), *destroy, *variable_arguments(context),
                     *context.template_args, *context.task_args]
        secrets = secret_variables(context)  # checked before anything starts, like the arguments
        step("init", "-input=false")
        if workspace != DEFAULT_WORKSPACE and step.run("workspace", "select", workspace) != 0:
            job.log(f"Workspace {workspace!r} does not exist yet: creating it")
            step("workspace", "new", workspace)
        code = step.run("plan", *plan_args, env=secrets)
        if code == NO_CHANGES:
            job.log("No changes: nothing to apply")
            return
        if code != CHANGES:
            raise TaskFailed(f"{step.name} plan exited with code {code}")
        if options.auto_approve:
            job.log("The plan is applied without confirmation (auto_approve)")
        else:
            job.log("Waiting for confirmation of the plan")
            job.wait_for_confirmation()
        step("apply", "-input=false", str(plan))

    def _command(self, context: RunContext) -> list[str]:
        binary = context.app.path or shutil.which(self.binary, path=context.env.get("PATH", os.defpath)) or self.binary
        return [binary, *(context.app.args or ())]


class TofuExecutor(TerraformExecutor):
    """The same for OpenTofu (binary ``tofu``), which also takes terraform-workspace inventories."""

    app_id = "tofu"
    title = "OpenTofu"
    icon = "tofu"
    inventory_types = ("tofu-workspace", "terraform-workspace")


class _Steps:
    """Runs one subcommand after the other in the working directory, each line logged first."""

    def __init__(self, job: Job, command: list[str], workdir: Path, env: dict[str, str]) -> None:
        self.job, self.command, self.workdir, self.env = job, command, workdir, env
        self.name = Path(command[0]).name

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> int:
        """The exit code of ``<tool> args``; ``env`` is added for this step only (never logged)."""
        self.job.log(shlex.join([self.name, *args]))
        return self.job.run_process(ProcessSpec(argv=[*self.command, *args], cwd=self.workdir,
                                                env={**self.env, "PWD": str(self.workdir), **(env or {})}))

    def __call__(self, *args: str) -> None:
        """Run ``<tool> args``; a non-zero exit code fails the task, naming the step."""
        code = self.run(*args)
        if code != 0:
            step = " ".join(args[:2]) if args[0] == "workspace" else args[0]
            raise TaskFailed(f"{self.name} {step} exited with code {code}")


def variable_arguments(context: RunContext) -> list[str]:
    """``-var NAME=VALUE`` per extra var, except ``semaphore_vars`` and names of secret vars.
    Strings are passed as they are, other values as JSON, which Terraform reads as HCL for
    variables with a type: ``3`` stays a number, ``["a","b"]`` a list."""
    args = []
    for name, value in context.extra_vars.items():
        if name in HIDDEN_VARS or name in context.secret_vars:
            continue
        _check_variable_name(name, "extra var")
        args += ["-var", var_argument(name, value)]
    return args


def secret_variables(context: RunContext) -> dict[str, str]:
    """``TF_VAR_<name>`` per secret var: in the environment, not on the command line (``ps``)."""
    for name, value in context.secret_vars.items():
        _check_variable_name(name, "secret var")
        if "\x00" in value:
            raise TaskFailed(f"secret var {name!r}: its value contains a NUL character")
    return {f"TF_VAR_{name}": value for name, value in context.secret_vars.items()}


def _check_variable_name(name: str, what: str) -> None:
    if not name or "=" in name or "\x00" in name:
        raise TaskFailed(f"{what} {name!r}: not a valid Terraform variable name")


def working_directory(context: RunContext) -> Path:
    """The checkout's sub-directory ``playbook`` (the checkout when empty), which must be a
    directory inside it, also through symlinks."""
    subdir = context.playbook or ""
    problem = directory_problem(subdir)
    if problem:
        raise TaskFailed(f"sub-directory {subdir!r}: {problem}")
    root = context.repository_path.resolve()
    workdir = (root / subdir.strip()).resolve()
    if not workdir.is_relative_to(root):
        raise TaskFailed(f"sub-directory {subdir!r}: leads outside the repository")
    if not workdir.is_dir():
        raise TaskFailed(f"sub-directory {subdir!r}: not a directory of the repository")
    return workdir


def directory_problem(path: Any) -> str | None:
    """What is wrong with a sub-directory (``None`` when it is empty or stays inside the repository)."""
    if path is None:
        return None
    if not isinstance(path, str):
        return "must be a string"
    if "\0" in path:
        return "must not contain NUL characters"
    path = path.strip()
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute():
        return "must be a directory inside the repository, not an absolute path"
    normalized = posixpath.normpath(path or ".")
    if normalized == ".." or normalized.startswith("../"):
        return "must stay inside the repository ('..' leads out of it)"
    return None
