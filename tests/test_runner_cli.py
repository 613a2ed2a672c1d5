"""`semaphore runner setup | register | unregister | start`, run as a user runs them: real
processes, each runner in its own directory with its own config file, against a real server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from live_server import ADMIN, Api
from process_helpers import ServerProcess, assert_one_line_error, clean_env, free_port, run_semaphore, semaphore_argv
from runner_processes import RunnerDir
from sqlalchemy import select
from tls_proxy import TlsProxy

from semaphore.config import load_config
from semaphore.db.engine import Database
from semaphore.db.models import Runner
from semaphore.runners.backoff import Backoff
from semaphore.runners.sealed import public_key_pem, read_private_key
from semaphore.version import __version__


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def nowhere(tmp_path) -> RunnerDir:
    """A runner whose server is away: nothing listens on its port."""
    return RunnerDir(tmp_path / "runner", f"http://127.0.0.1:{free_port()}")


# -- setup ------------------------------------------------------------------------------------------

def test_setup_writes_the_documented_config_file(tmp_path):
    config_path = tmp_path / "etc" / "file.json"
    answers = ["ftp://nope", "https://semaphore.example.test/", str(tmp_path / "work"), "no", ""]
    result = run_semaphore(["runner", "setup", "--config", str(config_path)], tmp_path,
                           stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result
    assert "give an http:// or https:// URL" in result.stdout
    assert f"Configuration written to {config_path}" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        f"Register the runner with: echo REGISTRATION_TOKEN | semaphore runner register "
        f"--stdin-registration-token --config {config_path}")
    assert json.loads(config_path.read_text()) == {
        "tmp_path": str(tmp_path / "work"), "web_host": "https://semaphore.example.test",
        "runner": {"token_file": str(tmp_path / "etc" / "runner.token")}}
    assert mode(config_path) == 0o600

    # again, with a runner token: the token replaces the token file, other settings stay
    content = json.loads(config_path.read_text())
    content["runner"]["tags"] = ["linux"]
    content["git_client"] = "cmd_git"
    config_path.write_text(json.dumps(content))
    answers = ["http://10.0.0.1:3000", "", "yes", "s3cret-runner-token"]
    result = run_semaphore(["runner", "setup", "--config", str(config_path)], tmp_path,
                           stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result
    assert "s3cret-runner-token" not in result.stdout
    assert result.stdout.splitlines()[-1] == f"Start the runner with: semaphore runner start --config {config_path}"
    assert json.loads(config_path.read_text()) == {
        "tmp_path": "/tmp/semaphore", "web_host": "http://10.0.0.1:3000", "git_client": "cmd_git",
        "runner": {"tags": ["linux"], "token": "s3cret-runner-token"}}
    assert mode(config_path) == 0o600


def test_setup_without_config_asks_for_the_directory_and_stops_at_the_end_of_input(tmp_path):
    answers = ["http://127.0.0.1:3000", str(tmp_path / "work"), str(tmp_path / "etc"), "no",
               str(tmp_path / "keys" / "token")]
    result = run_semaphore(["runner", "setup"], tmp_path, stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result
    written = json.loads((tmp_path / "etc" / "config.json").read_text())
    assert written["runner"] == {"token_file": str(tmp_path / "keys" / "token")}

    result = run_semaphore(["runner", "setup"], tmp_path, stdin="http://127.0.0.1:3000\n")
    assert_one_line_error(result, "input ended before an answer to 'Working directory")


# -- bad input: one line, non-zero, nothing written -------------------------------------------------

def test_register_refuses_bad_input_with_one_line(nowhere, tmp_path):
    nowhere.write_config()

    def refused(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
        return assert_one_line_error(nowhere.run(*args, stdin=stdin, env=env))

    assert "no registration token: pipe it with --stdin-registration-token" in refused("register")
    assert "--stdin-registration-token: stdin gave no token" in refused("register", "--stdin-registration-token")
    assert "--registration-token-file: cannot read" in refused(
        "register", "--registration-token-file", str(tmp_path / "missing"))
    assert "give either --stdin-registration-token or --registration-token-file" in refused(
        "register", "--stdin-registration-token", "--registration-token-file", "x", stdin="t\n")
    assert "Invalid value for '--max-parallel-tasks'" in refused("register", "--max-parallel-tasks", "many")
    assert f"cannot reach {nowhere.web_host}/api/internal/runners" in refused(
        "register", "--stdin-registration-token", stdin="t\n")
    assert "SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS: expected a whole number" in refused(
        "register", env={"SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS": "x"})
    assert "runner.ca_file: cannot use" in refused(
        "register", env={"SEMAPHORE_WEB_ROOT": "https://127.0.0.1:1", "SEMAPHORE_RUNNER_CA_FILE": "/no/such.pem"})

    nowhere.write_config(token_file=None)
    assert "nowhere to keep the runner token" in assert_one_line_error(run_semaphore(
        ["runner", "register", "--stdin-registration-token", "--no-config"], tmp_path,
        {"SEMAPHORE_WEB_ROOT": nowhere.web_host}, "t\n"))
    assert not nowhere.token_file.exists() and nowhere.config() == {
        "web_host": nowhere.web_host, "tmp_path": str(nowhere.directory / "work"), "runner": {}}


@pytest.mark.parametrize(("config", "fragment"), [
    (None, "config file not found"),
    ("{not json", "cannot read config file"),
    ('{"runner": {"token_file": "t"}}', "web_host: set it to the server's URL"),
    ('{"web_host": "semaphore.example.test"}', "web_host: 'semaphore.example.test' is no http:// or https:// URL"),
    ('{"web_host": "http://x", "runner": {"tags": "a"}}', "runner.tags: expected a JSON array"),
])
@pytest.mark.parametrize("command", ["register", "unregister", "start"])
def test_every_command_refuses_a_bad_config_with_one_line(tmp_path, command, config, fragment):
    if config is not None:
        (tmp_path / "config.json").write_text(config)
    result = run_semaphore(["runner", command, "--config", str(tmp_path / "config.json")], tmp_path, stdin="t\n")
    assert_one_line_error(result, fragment)


def test_unregister_and_start_without_a_token(nowhere):
    nowhere.write_config()
    assert_one_line_error(nowhere.run("unregister"), "the runner has no token")
    assert_one_line_error(nowhere.run("start"), "the runner has no token: register it first")
    # `semaphore runner` alone is the documentation's "Runner mode": it starts the runner
    alone = run_semaphore(["runner", "--config", str(nowhere.config_path)], nowhere.directory)
    assert_one_line_error(alone, "the runner has no token: register it first")


def test_a_wrong_web_host_is_named_in_the_error(tmp_path):
    """web_host with a path the server does not serve: its 404, with the URL asked."""
    server = ServerProcess(tmp_path).start()
    try:
        runner = RunnerDir(tmp_path / "runner", server.url + "/nothing-here")
        runner.write_config(token="t")
        assert_one_line_error(runner.run("unregister"),
                              f"the server answered 404 at {runner.web_host}/api/internal/runners")
    finally:
        server.stop()


# -- start while the server is away ----------------------------------------------------------------

def test_start_keeps_trying_while_the_server_is_away_and_stops_on_sigterm(nowhere):
    nowhere.write_config(token="runner-token")
    runner = nowhere.start()
    try:
        runner.wait_for_log("server away (cannot reach")
        time.sleep(4)  # several attempts (backoff 1 s, 2 s, ...): one line for them all
        assert runner.process is not None and runner.process.poll() is None
    finally:
        status = runner.stop()
    assert status == 0, runner.log
    assert runner.log.count("server away") == 1, runner.log
    assert "Runner stopped." in runner.log and "Traceback" not in runner.log


# -- backoff -----------------------------------------------------------------------------------------

def test_backoff_grows_exponentially_up_to_its_cap_with_jitter_and_resets():
    backoff = Backoff(first=1, cap=8)
    delays = [backoff.next_delay() for _ in range(8)]
    for delay, step in zip(delays, [1, 2, 4, 8, 8, 8, 8, 8], strict=True):
        assert step / 2 <= delay <= step
    assert len(set(delays[3:])) > 1  # jitter: runners of one server do not retry in step
    backoff.reset()
    assert backoff.next_delay() <= 1


# -- against a real server ------------------------------------------------------------------------

GLOBAL = "a long global registration token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("server")
    server = ServerProcess(directory, env={**ADMIN, "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": GLOBAL}).start()
    yield server
    server.stop()


def runner_rows(server: ServerProcess) -> dict[int, Runner]:
    """The server's runners, read from its database."""
    database = Database.from_config(load_config(no_config=True, environ={
        "SEMAPHORE_DATA_DIR": str(server.directory / "data")}))
    try:
        with database.session() as db:
            rows = list(db.scalars(select(Runner)))
            db.expunge_all()
            return {row.id: row for row in rows}
    finally:
        database.dispose()


def runner_id(output: str) -> int:
    return int(re.search(r"Runner registered \(id (\d+)\)", output).group(1))  # type: ignore[union-attr]


def delete_with_token(server: ServerProcess, token: str) -> int:
    """DELETE /api/internal/runners with ``token``: how the server answers a runner holding it."""
    request = urllib.request.Request(f"{server.url}/api/internal/runners", method="DELETE",
                                     headers={"X-Runner-Token": token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_register_with_the_global_token_on_stdin_then_unregister(server, tmp_path):
    runner = RunnerDir(tmp_path / "runner", server.url)
    runner.write_config(webhook="http://hooks.example.test/runner")
    result = runner.run("register", "--stdin-registration-token", "--name", "build-1", "--tags", "linux, x86 ,",
                        "--max-parallel-tasks", "3", "--one-off", stdin=GLOBAL + "\n")
    assert result.returncode == 0, result
    key_file = runner.directory / "runner.token.key"
    assert result.stdout == (f"Runner registered (id {runner_id(result.stdout)}). Token saved to {runner.token_file}, "
                             f"private key to {key_file}.\n")
    assert GLOBAL not in result.stdout + result.stderr

    token = runner.token_file.read_text()
    assert len(base64.b64decode(token, validate=True)) == 32
    assert mode(runner.token_file) == 0o600 and mode(key_file) == 0o600
    row = runner_rows(server)[runner_id(result.stdout)]
    assert row.token == hashlib.sha256(token.encode()).hexdigest()
    assert (row.name, row.max_parallel_tasks, row.webhook) == ("build-1", 3, "http://hooks.example.test/runner")
    assert json.loads(row.tags or "") == ["linux", "x86"] and row.version == __version__
    assert {"bash", "python", "ansible"} <= set(json.loads(row.apps or ""))
    assert row.public_key == public_key_pem(read_private_key(key_file))  # the server seals to this key
    # the options given are kept for `runner start`; the token stays in its file
    assert runner.config()["runner"] == {"token_file": str(runner.token_file),
                                         "webhook": "http://hooks.example.test/runner", "name": "build-1",
                                         "tags": ["linux", "x86"], "max_parallel_tasks": 3, "one_off": True}

    result = runner.run("unregister")
    assert result.returncode == 0, result
    assert result.stdout == (f"Runner unregistered; removed its token ({runner.token_file}) and private key "
                             f"({key_file}).\n")
    assert not runner.token_file.exists() and not key_file.exists()
    assert row.id not in runner_rows(server)
    assert delete_with_token(server, token) == 401  # the old token no longer opens anything
    assert_one_line_error(runner.run("unregister"), "the runner has no token")


def test_register_with_a_token_file_keeps_the_runner_token_in_the_config_file(server, tmp_path):
    runner = RunnerDir(tmp_path / "runner", server.url)
    runner.write_config(token_file=None)
    (tmp_path / "registration").write_text(GLOBAL + "\n")
    result = runner.run("register", "--registration-token-file", str(tmp_path / "registration"))
    assert result.returncode == 0, result
    token = runner.config()["runner"]["token"]
    assert mode(runner.config_path) == 0o600 and mode(runner.directory / "config.json.key") == 0o600
    assert runner_rows(server)[runner_id(result.stdout)].name == socket.gethostname()

    # a token the server does not know: unregister says so and changes nothing here
    assert delete_with_token(server, token) == 204
    assert_one_line_error(runner.run("unregister"), "the server answered 401", "the server does not know")
    assert runner.config()["runner"]["token"] == token

    # registering again gives a new token and a new key
    key_before = (runner.directory / "config.json.key").read_bytes()
    again = runner.run("register", stdin="", env={"SEMAPHORE_RUNNER_REGISTRATION_TOKEN": GLOBAL})
    assert again.returncode == 0, again
    assert runner.config()["runner"]["token"] != token
    assert (runner.directory / "config.json.key").read_bytes() != key_before
    assert runner.run("unregister").returncode == 0
    assert "token" not in runner.config()["runner"] and not (runner.directory / "config.json.key").exists()


def test_register_with_the_token_in_the_config_and_a_chosen_key_file(server, tmp_path):
    runner = RunnerDir(tmp_path / "runner", server.url)
    key_file = tmp_path / "keys" / "runner.pem"
    runner.write_config(registration_token=GLOBAL, private_key_file=str(key_file))
    result = runner.run("register")
    assert result.returncode == 0, result
    assert mode(key_file) == 0o600 and runner.token_file.exists()
    assert runner_rows(server)[runner_id(result.stdout)].public_key == public_key_pem(read_private_key(key_file))


def test_a_wrong_registration_token_is_refused_and_nothing_is_written(server, tmp_path):
    runner = RunnerDir(tmp_path / "runner", server.url)
    runner.write_config()
    before = set(runner_rows(server))
    result = runner.run("register", "--stdin-registration-token", stdin="not the token\n")
    assert_one_line_error(result, "the server answered 400: Invalid registration token")
    assert sorted(path.name for path in runner.directory.iterdir()) == ["config.json"]
    assert set(runner_rows(server)) == before


def test_start_registers_when_it_has_no_token(server, tmp_path):
    runner = RunnerDir(tmp_path / "runner", server.url)
    runner.write_config(registration_token=GLOBAL, name="at-start")
    process = runner.start()
    try:
        log = process.wait_for_log("registered as runner")
    finally:
        process.stop()
    assert f"token saved to {runner.token_file}" in log and "Traceback" not in process.log
    assert mode(runner.token_file) == 0o600
    token = runner.token_file.read_text()
    assert GLOBAL not in process.log and token not in process.log
    assert any(row.token == hashlib.sha256(token.encode()).hexdigest() and row.name == "at-start"
               for row in runner_rows(server).values())


def test_start_exits_with_a_clear_message_when_its_token_is_refused(server, tmp_path):
    runner = RunnerDir(tmp_path / "runner", server.url)
    runner.write_config()
    result = runner.run("register", "--stdin-registration-token", stdin=GLOBAL + "\n")
    assert result.returncode == 0, result
    process = runner.start()
    try:
        process.wait_for_log("polling")
        assert delete_with_token(server, runner.token_file.read_text()) == 204  # removed from the server's side
        assert process.wait() == 1
    finally:
        process.stop()
    assert_one_line_error(subprocess.CompletedProcess([], process.wait(), "", process.log),
                          "the server refused the runner token (401)")


def test_https_with_the_servers_certificate_authority_or_without_verification(server, tmp_path):
    """Behind a proxy that terminates TLS: an untrusted certificate is refused with a hint, the CA
    in runner.ca_file makes it trusted, and runner.skip_verify accepts it with a warning."""
    proxy = TlsProxy(server.url, tmp_path)
    try:
        runner = RunnerDir(tmp_path / "runner", proxy.url)
        runner.write_config()
        untrusted = runner.run("register", "--stdin-registration-token", stdin=GLOBAL + "\n")
        assert_one_line_error(untrusted, "the server's certificate is not trusted", "set runner.ca_file")
        assert not runner.token_file.exists()

        runner.write_config(ca_file=str(proxy.certificate))
        trusted = runner.run("register", "--stdin-registration-token", stdin=GLOBAL + "\n")
        assert trusted.returncode == 0, trusted
        assert runner_id(trusted.stdout) in runner_rows(server)

        runner.write_config(skip_verify=True)
        unverified = runner.run("unregister")
        assert unverified.returncode == 0, unverified
        assert "runner.skip_verify is on: the server's certificate is not checked" in unverified.stderr
        assert runner_id(trusted.stdout) not in runner_rows(server)
    finally:
        proxy.close()


def test_the_registration_command_an_admin_is_shown_registers_once(server, tmp_path):
    """The command the admin API (and the web UI) shows with a one-time token, pasted into a shell
    with the runner's config path: it registers the runner; the same token a second time is refused."""
    admin = Api.logged_in(server.url)
    made = admin.created("/api/runners", {"name": "from the api"})
    first, second = RunnerDir(tmp_path / "first", server.url), RunnerDir(tmp_path / "second", server.url)
    first.write_config(tags=["docker"])
    second.write_config()
    env = clean_env(tmp_path, {"PATH": f"{Path(semaphore_argv()[0]).parent}:{os.environ['PATH']}"})

    def pasted(runner: RunnerDir) -> subprocess.CompletedProcess[str]:
        command = made["command"].replace("/path/to/runner/config.json", shlex.quote(str(runner.config_path)))
        return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=120,
                              check=False)

    result = pasted(first)
    assert result.returncode == 0, result
    status, listed = admin("GET", f"/api/runners/{runner_id(result.stdout)}")
    assert status == 200, listed
    assert listed["tags"] == ["docker"] and "bash" in listed["apps"] and listed["version"] == __version__
    assert_one_line_error(pasted(second), "the server answered 400: Invalid registration token")
    assert not second.token_file.exists()


def test_start_rides_out_a_server_restart_with_one_line_each_way(tmp_path):
    server = ServerProcess(tmp_path / "server", env={"SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": GLOBAL})
    (tmp_path / "server").mkdir()
    server.start()
    runner = RunnerDir(tmp_path / "runner", server.url)
    runner.write_config(registration_token=GLOBAL)
    process = runner.start()
    try:
        process.wait_for_log("polling")
        server.stop()
        process.wait_for_log("server away")
        time.sleep(3)
        server.start()  # the same port and database
        process.wait_for_log("server back")
        assert process.process is not None and process.process.poll() is None
    finally:
        process.stop()
        server.stop()
    assert process.log.count("server away") == 1 and process.log.count("server back") == 1, process.log
