"""The powershell executor, run against a stand-in for PowerShell.

PowerShell cannot be installed on the development and CI machines (it is neither in Debian nor
on PyPI or npm; see TESTING.md, "Terraform, OpenTofu, PowerShell"). The tests therefore put a small
stand-in executable named ``pwsh`` (and one named ``powershell``) on ``PATH``. It records its argv,
working directory and environment, and prints what the real tool prints: ``--version`` gives
``PowerShell 7.4.6``; ``[-File] <script> <args>`` runs scripts of the one shape the tests use
(``foreach ($a in $args) { Write-Output $a }``, optionally followed by ``exit <code>``), and a
missing script gives PowerShell's own error and exit code 64.

The task engine is not part of these tests either (it has its own): ``make_run_context`` builds the
context it would prepare, and ``run_spec`` / ``SubprocessJob`` (from ``semaphore.executor_testing``)
run the process as it would, with plain ``subprocess``.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
import semaphore_powershell
from semaphore_powershell import PowerShellExecutor

from semaphore import AppSettings, TaskFailed
from semaphore.plugin_api.errors import ValidationError
from semaphore.plugin_testing import SubprocessJob, listed_app, make_run_context, run_spec

STAND_IN = f"""#!{sys.executable}
import json, os, re, sys
from pathlib import Path

here = Path(__file__).parent
with open(here / "calls.jsonl", "a") as calls:
    calls.write(json.dumps({{"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ)}}) + "\\n")
args = sys.argv[1:]
if args == ["--version"]:
    print("PowerShell 7.4.6")
    sys.exit(0)
while args and args[0].startswith("-") and args[0].lower() != "-file":
    args.pop(0)  # -NoProfile, -NonInteractive, ...
if args and args[0].lower() == "-file":
    args.pop(0)
script = Path(args[0])
if not script.is_file():
    print(f"The argument '{{script}}' is not recognized as the name of a script file. Check the spelling of the "
          "name, or if a path was included, verify that the path is correct and try again.", file=sys.stderr)
    sys.exit(64)
text = script.read_text()
if "foreach ($a in $args) {{ Write-Output $a }}" in text:
    for arg in args[1:]:
        print(arg)
code = re.search(r"^exit (\\d+)$", text, re.M)
sys.exit(int(code.group(1)) if code else 0)
"""
PRINT_ARGS = "foreach ($a in $args) { Write-Output $a }\n"


def install_stand_ins(directory, *names):
    directory.mkdir(exist_ok=True)
    for name in names:
        (directory / name).write_text(STAND_IN)
        (directory / name).chmod(0o755)
    return directory


def calls(directory):
    return [json.loads(line) for line in (directory / "calls.jsonl").read_text().splitlines()]


@pytest.fixture
def dialect():
    return "sqlite"  # only the registration test uses a database, and it does not depend on it


@pytest.fixture
def bin_dir(tmp_path):
    return install_stand_ins(tmp_path / "bin", "pwsh", "powershell")


@pytest.fixture
def checkout(tmp_path):
    repository = tmp_path / "repository"
    (repository / "scripts").mkdir(parents=True)
    (repository / "scripts" / "deploy.ps1").write_text(PRINT_ARGS)
    return repository


def context_with(bin_dir, checkout, playbook="scripts/deploy.ps1", **fields):
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **fields.pop("env", {})}
    return make_run_context(checkout, "powershell", playbook, env=env, **fields)


def test_pwsh_runs_the_script_with_file_and_gets_the_arguments_in_order(bin_dir, checkout):
    context = context_with(bin_dir, checkout, secret_vars={"AdminPassword": "p@ss"}, template_args=["-Verbose"],
                           extra_vars={"Site": "intranet", "Port": 8080, "Tags": ["a", "b"]}, task_args=["-WhatIf"],
                           env={"DEPLOY_ENV": "staging"})
    spec = PowerShellExecutor().command(context)
    assert spec.argv[:3] == ["pwsh", "-File", "scripts/deploy.ps1"]
    result = run_spec(context, spec)
    assert result.returncode == 0, result.stderr
    # semaphore_vars (task details, in every run's extra vars) are not passed to scripts
    assert result.stdout.splitlines() == [
        "AdminPassword=p@ss", "-Verbose", "Site=intranet", "Port=8080", 'Tags=["a","b"]', "-WhatIf",
    ]
    (call,) = calls(bin_dir)
    assert call["argv"][1:] == spec.argv[1:] and call["cwd"] == str(checkout)
    assert call["env"]["DEPLOY_ENV"] == "staging" and call["env"]["HOME"] == str(context.private_dir)


def test_windows_powershell_is_used_when_pwsh_is_not_on_the_path(tmp_path, checkout):
    only_windows = install_stand_ins(tmp_path / "windows", "powershell")
    context = context_with(only_windows, checkout, task_args=["one"])
    spec = PowerShellExecutor().command(context)
    assert spec.argv == ["powershell", "-File", "scripts/deploy.ps1", "one"]
    assert run_spec(context, spec).stdout == "one\n"


def test_without_any_powershell_the_command_is_pwsh(tmp_path, checkout):
    context = make_run_context(checkout, "powershell", "scripts/deploy.ps1", env={"PATH": str(tmp_path / "empty")})
    assert PowerShellExecutor().command(context).argv == ["pwsh", "-File", "scripts/deploy.ps1"]


def test_apps_path_and_args_replace_the_command_and_file(bin_dir, checkout):
    windows = str(bin_dir / "powershell")
    context = context_with(bin_dir, checkout, task_args=["x"],
                           app=AppSettings(path=windows, args=("-NoProfile", "-NonInteractive", "-File")))
    spec = PowerShellExecutor().command(context)
    assert spec.argv == [windows, "-NoProfile", "-NonInteractive", "-File", "scripts/deploy.ps1", "x"]
    assert run_spec(context, spec).stdout == "x\n"

    no_args = context_with(bin_dir, checkout, app=AppSettings(args=()))
    assert PowerShellExecutor().command(no_args).argv == ["pwsh", "scripts/deploy.ps1"]


def test_a_missing_script_fails_the_task_before_powershell_starts(bin_dir, checkout):
    with pytest.raises(TaskFailed, match=r"^script not found: scripts/setup\.ps1$"):
        PowerShellExecutor().command(context_with(bin_dir, checkout, "scripts/setup.ps1"))
    assert not (bin_dir / "calls.jsonl").exists()


@pytest.mark.parametrize("playbook", ["", "C:\\deploy\\site.ps1", "\\\\server\\share\\site.ps1", "/opt/site.ps1",
                                      "scripts/../../site.ps1"])
def test_templates_with_a_bad_script_path_are_refused_naming_the_field(playbook):
    with pytest.raises(ValidationError) as error:
        PowerShellExecutor().validate_template({"playbook": playbook})
    assert error.value.field == "playbook"


def test_run_fails_with_the_scripts_exit_code(bin_dir, checkout):
    (checkout / "fail.ps1").write_text(PRINT_ARGS + "exit 5\n")
    job = SubprocessJob(context_with(bin_dir, checkout, "fail.ps1", task_args=["last words"]))
    with pytest.raises(TaskFailed, match=r"^PowerShell exited with code 5$"):
        PowerShellExecutor().run(job)
    assert job.lines == ["last words"]

    job = SubprocessJob(context_with(bin_dir, checkout))
    PowerShellExecutor().run(job)


def test_version_is_pwshs_or_empty_when_powershell_is_missing(bin_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert PowerShellExecutor().version() == ""
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert PowerShellExecutor().version() == "PowerShell 7.4.6"
    assert calls(bin_dir)[-1]["argv"][1:] == ["--version"]


def test_registered_as_the_powershell_app(plugin_app):
    app = plugin_app(powershell=semaphore_powershell)
    executor = app.extensions["semaphore"].registry.executor("powershell")
    assert isinstance(executor, PowerShellExecutor) and executor.plugin == "powershell"
    entry = listed_app(app, "powershell")
    assert (entry["title"], entry["installed"], entry["plugin"]) == ("PowerShell", True, "powershell")
