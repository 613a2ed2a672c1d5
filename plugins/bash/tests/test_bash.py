"""The bash executor runs real bash on a script in a checkout made in tmp_path.

The task engine is not part of these tests (it has its own): ``make_run_context`` builds the
context it would prepare, and ``run_spec`` / ``SubprocessJob`` (from ``semaphore.executor_testing``)
run the process as it would, with plain ``subprocess``.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import semaphore_bash
from semaphore_bash import BashExecutor

from semaphore import AppSettings, TaskFailed
from semaphore.plugin_api.errors import ValidationError
from semaphore.plugin_testing import SubprocessJob, listed_app, make_run_context, run_spec

PRINT_ARGS = 'for arg in "$@"; do printf "%s\\n" "$arg"; done\n'


@pytest.fixture
def dialect():
    return "sqlite"  # only the registration test uses a database, and it does not depend on it


@pytest.fixture
def checkout(tmp_path):
    repository = tmp_path / "repository"
    (repository / "scripts").mkdir(parents=True)
    return repository


def run(context):
    return run_spec(context, BashExecutor().command(context))


def test_the_script_gets_secrets_template_args_extra_vars_and_task_args_in_order(checkout):
    (checkout / "deploy.sh").write_text(PRINT_ARGS)
    context = make_run_context(
        checkout, "bash", "deploy.sh",
        secret_vars={"DB_PASSWORD": "s3cret word"},
        template_args=["--verbose"],
        extra_vars={"SITE": "web 1", "COUNT": 3, "DEBUG": True, "HOSTS": ["a", "b"], "LIMITS": {"cpu": 1.5},
                    "NOTHING": None},
        task_args=["--only", "db"],
    )
    result = run_spec(context, BashExecutor().command(context))
    assert result.returncode == 0, result.stderr
    # semaphore_vars (task details, in every run's extra vars) are not passed to scripts
    assert result.stdout.splitlines() == [
        "DB_PASSWORD=s3cret word", "--verbose", "SITE=web 1", "COUNT=3", "DEBUG=true", 'HOSTS=["a","b"]',
        'LIMITS={"cpu":1.5}', "NOTHING=null", "--only", "db",
    ]


def test_the_script_runs_in_the_checkout_with_the_runs_environment(checkout, tmp_path):
    (checkout / "version.txt").write_text("1.2.3\n")
    (checkout / "scripts/show.sh").write_text('echo "dir=$(pwd) PWD=$PWD"\necho "version=$(cat version.txt)"\n'
                                              'echo "greeting=$GREETING home=$HOME"\n')
    context = make_run_context(checkout, "bash", "scripts/show.sh", env={"GREETING": "hello"})
    spec = BashExecutor().command(context)
    assert spec.argv == ["bash", "scripts/show.sh"]
    result = run_spec(context, spec)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"dir={checkout} PWD={checkout}", "version=1.2.3", f"greeting=hello home={context.private_dir}",
    ]


def test_a_script_named_like_an_option_is_still_run_as_a_script(checkout):
    (checkout / "-c").write_text("echo ran the script\n")
    result = run(make_run_context(checkout, "bash", "-c"))
    assert (result.returncode, result.stdout) == (0, "ran the script\n")


def test_apps_path_replaces_bash_and_apps_args_are_put_before_the_script(checkout):
    (checkout / "which.sh").write_text('echo "${BASH_VERSION:-not bash}"\n')
    sh = make_run_context(checkout, "bash", "which.sh", app=AppSettings(path=shutil.which("sh")))
    assert run(sh).stdout == "not bash\n"

    traced = make_run_context(checkout, "bash", "which.sh", app=AppSettings(args=("-x",)))
    assert BashExecutor().command(traced).argv == ["bash", "-x", "which.sh"]
    result = run(traced)
    assert result.stdout not in ("", "not bash\n") and "+ echo" in result.stderr


def test_a_missing_script_fails_the_task_before_anything_starts(checkout):
    with pytest.raises(TaskFailed, match=r"^script not found: deploy\.sh$"):
        BashExecutor().command(make_run_context(checkout, "bash", "deploy.sh"))
    (checkout / "scripts" / "deploy.sh").mkdir()
    with pytest.raises(TaskFailed, match=r"^script not found: scripts/deploy\.sh$"):
        BashExecutor().command(make_run_context(checkout, "bash", "scripts/deploy.sh"))


def test_a_script_path_leading_out_of_the_checkout_fails_the_task(checkout):
    # a task may override the template's script: it is checked again when the task runs
    (checkout / "inside.sh").write_text("echo inside\n")
    with pytest.raises(TaskFailed, match=r"script '\.\./repository/inside\.sh': must stay inside the repository"):
        BashExecutor().command(make_run_context(checkout, "bash", "../repository/inside.sh"))


@pytest.mark.parametrize(("playbook", "message"), [
    ("", "required"),
    ("   ", "required"),
    (None, "required"),
    ("/usr/local/bin/deploy.sh", "not an absolute path"),
    ("C:\\scripts\\deploy.sh", "not an absolute path"),
    ("../deploy.sh", "must stay inside the repository"),
    ("scripts/../../deploy.sh", "must stay inside the repository"),
    ("scripts/..", "must name a script file"),
    ("deploy\0.sh", "NUL"),
])
def test_templates_with_a_bad_script_path_are_refused_naming_the_field(playbook, message):
    with pytest.raises(ValidationError, match=message) as error:
        BashExecutor().validate_template({"playbook": playbook})
    assert error.value.field == "playbook"


@pytest.mark.parametrize("playbook", ["deploy.sh", "./scripts/deploy.sh", "scripts/../deploy.sh", "..deploy.sh"])
def test_templates_with_a_script_inside_the_repository_are_accepted(playbook):
    BashExecutor().validate_template({"playbook": playbook})


def test_run_succeeds_when_the_script_does_and_fails_with_its_exit_code(checkout):
    (checkout / "ok.sh").write_text("echo all good\n")
    job = SubprocessJob(make_run_context(checkout, "bash", "ok.sh"))
    BashExecutor().run(job)
    assert job.lines == ["all good"]

    (checkout / "fail.sh").write_text("echo broken >&2\nexit 3\n")
    job = SubprocessJob(make_run_context(checkout, "bash", "fail.sh"))
    with pytest.raises(TaskFailed, match=r"^Bash exited with code 3$"):
        BashExecutor().run(job)
    assert job.lines == ["broken"]


def test_version_is_bashs_first_version_line_or_empty_when_bash_is_missing(tmp_path, monkeypatch):
    expected = subprocess.run(["bash", "--version"], capture_output=True, text=True, check=True).stdout
    executor = BashExecutor()
    assert executor.version() == expected.splitlines()[0]
    assert executor.version().startswith("GNU bash, version ")

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    assert executor.version() == expected.splitlines()[0]  # asked once, then cached
    assert BashExecutor().version() == ""


def test_registered_as_the_bash_app(plugin_app):
    app = plugin_app(bash=semaphore_bash)
    executor = app.extensions["semaphore"].registry.executor("bash")
    assert isinstance(executor, BashExecutor) and executor.plugin == "bash"
    bash = listed_app(app, "bash")
    assert (bash["title"], bash["installed"], bash["active"], bash["plugin"]) == ("Bash", True, True, "bash")
