"""The python executor runs the real ``python3`` on a script in a checkout made in tmp_path.

The task engine is not part of these tests (it has its own): ``make_run_context`` builds the
context it would prepare, and ``run_spec`` / ``SubprocessJob`` (from ``semaphore.executor_testing``)
run the process as it would, with plain ``subprocess``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import semaphore_python
from semaphore_python import PythonExecutor

from semaphore import AppSettings, TaskFailed
from semaphore.plugin_api.errors import ValidationError
from semaphore.plugin_testing import SubprocessJob, listed_app, make_run_context, run_spec

REPORT = """\
import json, os, sys
print(json.dumps({"args": sys.argv[1:], "cwd": os.getcwd(), "token": os.environ.get("API_TOKEN"),
                  "optimized": not __debug__, "executable": sys.executable}))
"""


@pytest.fixture
def dialect():
    return "sqlite"  # only the registration test uses a database, and it does not depend on it


@pytest.fixture
def checkout(tmp_path):
    repository = tmp_path / "repository"
    (repository / "tools").mkdir(parents=True)
    (repository / "tools" / "report.py").write_text(REPORT)
    return repository


def report(context):
    result = run_spec(context, PythonExecutor().command(context))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_script_gets_its_arguments_and_environment_in_the_checkout(checkout):
    context = make_run_context(
        checkout, "python", "tools/report.py",
        secret_vars={"DB_PASSWORD": "pa ss"},
        template_args=["--region", "eu"],
        extra_vars={"release": "2024.1", "replicas": 2, "canary": False, "zones": ["a", "b"], "note": "ünïcode"},
        task_args=["--dry"],
        env={"API_TOKEN": "t0k3n"},
    )
    assert PythonExecutor().command(context).argv[:2] == ["python3", "tools/report.py"]
    seen = report(context)
    # semaphore_vars (task details, in every run's extra vars) are not passed to scripts
    assert seen["args"] == ["DB_PASSWORD=pa ss", "--region", "eu", "release=2024.1", "replicas=2", "canary=false",
                            'zones=["a","b"]', "note=ünïcode", "--dry"]
    assert (seen["cwd"], seen["token"], seen["optimized"]) == (str(checkout), "t0k3n", False)


def test_apps_path_and_args_choose_the_interpreter_and_its_options(checkout):
    context = make_run_context(checkout, "python", "tools/report.py", task_args=["x"],
                               app=AppSettings(path=sys.executable, args=("-O",)))
    assert PythonExecutor().command(context).argv == [sys.executable, "-O", "tools/report.py", "x"]
    seen = report(context)
    assert (seen["executable"], seen["optimized"], seen["args"]) == (sys.executable, True, ["x"])


def test_a_missing_script_fails_the_task_before_anything_starts(checkout):
    with pytest.raises(TaskFailed, match=r"^script not found: tools/deploy\.py$"):
        PythonExecutor().command(make_run_context(checkout, "python", "tools/deploy.py"))


@pytest.mark.parametrize("playbook", ["", "/srv/deploy.py", "../deploy.py", "tools/../../deploy.py"])
def test_templates_with_a_bad_script_path_are_refused_naming_the_field(playbook):
    with pytest.raises(ValidationError) as error:
        PythonExecutor().validate_template({"playbook": playbook})
    assert error.value.field == "playbook"
    assert error.value.message.startswith("playbook: ")


def test_run_fails_with_the_scripts_exit_code_and_keeps_its_output(checkout):
    (checkout / "fail.py").write_text("import sys\nprint('checking')\nsys.exit(7)\n")
    job = SubprocessJob(make_run_context(checkout, "python", "fail.py"))
    with pytest.raises(TaskFailed, match=r"^Python exited with code 7$"):
        PythonExecutor().run(job)
    assert job.lines == ["checking"]

    (checkout / "ok.py").write_text("print('done')\n")
    job = SubprocessJob(make_run_context(checkout, "python", "ok.py"))
    PythonExecutor().run(job)
    assert job.lines == ["done"]


def test_version_is_python3s_or_empty_when_it_is_missing(tmp_path, monkeypatch):
    expected = subprocess.run(["python3", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert PythonExecutor().version() == expected
    assert expected.startswith("Python 3.")
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    assert PythonExecutor().version() == ""


def test_registered_as_the_python_app(plugin_app):
    app = plugin_app(python=semaphore_python)
    executor = app.extensions["semaphore"].registry.executor("python")
    assert isinstance(executor, PythonExecutor) and executor.plugin == "python"
    entry = listed_app(app, "python")
    assert (entry["title"], entry["installed"], entry["plugin"]) == ("Python", True, "python")
