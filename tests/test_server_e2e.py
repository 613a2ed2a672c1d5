"""The real `semaphore server` process (gunicorn, SQLite in a temporary directory), driven with the
real `curl` binary and a cookie jar, as docs/walkthrough.md shows it.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from process_helpers import ServerProcess, assert_one_line_error, run_semaphore

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl binary")


class Curl:
    """Runs curl in ``directory`` (where cookie jars live); returns (HTTP status, parsed body)."""

    def __init__(self, url: str, directory: Path) -> None:
        self.url, self.directory = url, directory

    def __call__(self, method: str, path: str, *options: str, json_body: Any = None) -> tuple[int, Any]:
        argv = ["curl", "-sS", "-X", method, "-w", "\n%{http_code}", *options]
        if json_body is not None:
            argv += ["-H", "Content-Type: application/json", "-d", json.dumps(json_body)]
        result = subprocess.run([*argv, self.url + path], cwd=self.directory, capture_output=True, text=True,
                                timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        body, _, status = result.stdout.rpartition("\n")
        try:
            return int(status), json.loads(body) if body else None
        except json.JSONDecodeError:
            return int(status), body


def log_in(curl: Curl, login: str, password: str, *jar: str) -> int:
    return curl("POST", "/api/auth/login", *jar, json_body={"auth": login, "password": password})[0]


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path).start()
    yield process
    process.stop()


def test_walkthrough_with_curl(server, tmp_path):
    curl = Curl(server.url, tmp_path)
    credentials = server.printed_credentials()
    assert credentials is not None and credentials[0] == "admin", server.stdout
    login, password = credentials
    assert f"is listening on {server.url}\n" in server.stdout

    assert curl("GET", "/api/ping") == (200, "pong")
    assert curl("GET", "/api/user")[0] == 401

    # Log in with the printed credentials; the session cookie goes into a cookie jar.
    jar = ("-b", "cookies.txt", "-c", "cookies.txt")
    assert curl("POST", "/api/auth/login", *jar, json_body={"auth": login, "password": password}) == (204, None)
    status, me = curl("GET", "/api/user", *jar)
    assert status == 200 and me["username"] == "admin" and me["admin"] is True

    # An API token: shown once at creation, listed by its SHA-256 id, used as a Bearer token.
    status, created = curl("POST", "/api/user/tokens", *jar)
    assert status == 201 and created["expired"] is False
    token = created["id"]
    status, listed = curl("GET", "/api/user/tokens", *jar)
    assert status == 200 and len(listed) == 1 and listed[0]["id"] != token
    bearer = ("-H", f"Authorization: Bearer {token}")
    assert curl("GET", "/api/projects", *bearer) == (200, [])

    # A project and what a template needs, then a run.
    status, project = curl("POST", "/api/projects", *bearer, json_body={"name": "Demo"})
    assert status == 201 and project["name"] == "Demo"
    pid = project["id"]
    status, key = curl("POST", f"/api/project/{pid}/keys", *bearer, json_body={"name": "no key", "type": "none"})
    assert status == 201
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "hello.sh").write_text('echo "hello from $1"\n')
    for argv in (["init", "-q", "-b", "main"], ["add", "hello.sh"],
                 ["-c", "user.name=me", "-c", "user.email=me@example.com", "commit", "-qm", "hello"]):
        subprocess.run(["git", *argv], cwd=scripts, check=True)
    status, repository = curl("POST", f"/api/project/{pid}/repositories", *bearer, json_body={
        "name": "scripts", "git_url": f"file://{scripts}", "git_branch": "main", "ssh_key_id": key["id"]})
    assert status == 201
    status, template = curl("POST", f"/api/project/{pid}/templates", *bearer, json_body={
        "name": "Hello", "app": "bash", "playbook": "hello.sh", "repository_id": repository["id"],
        "arguments": '["curl"]'})
    assert status == 201, template
    status, apps = curl("GET", "/api/apps", *bearer)
    assert any(app["id"] == "bash" and app["installed"] for app in apps), apps
    status, task = curl("POST", f"/api/project/{pid}/tasks", *bearer, json_body={"template_id": template["id"]})
    assert status == 201 and task["template_id"] == template["id"] and task["status"] == "waiting", task
    deadline = time.monotonic() + 30
    while task["status"] not in ("success", "error") and time.monotonic() < deadline:
        time.sleep(0.1)
        status, task = curl("GET", f"/api/project/{pid}/tasks/{task['id']}", *bearer)
    assert task["status"] == "success", task
    status, lines = curl("GET", f"/api/project/{pid}/tasks/{task['id']}/output", *bearer)
    assert status == 200 and "hello from curl" in [line["output"] for line in lines]
    status, raw = curl("GET", f"/api/project/{pid}/tasks/{task['id']}/raw_output", *bearer)
    assert status == 200 and "hello from curl\n" in raw

    # Expiring the token ends it at once.
    assert curl("DELETE", f"/api/user/tokens/{token}", *jar) == (204, None)
    assert curl("GET", "/api/projects", *bearer)[0] == 401
    assert curl("GET", "/api/user/tokens", *jar)[1][0]["expired"] is True

    # Logging out ends the session on the server: a copy of the old cookie no longer works.
    shutil.copy(tmp_path / "cookies.txt", tmp_path / "old-cookies.txt")
    assert curl("POST", "/api/auth/logout", *jar) == (204, None)
    assert curl("GET", "/api/user", "-b", "old-cookies.txt")[0] == 401
    assert curl("GET", "/api/user", *jar)[0] == 401

    # SIGTERM stops the server cleanly; the next start on the same database prints no password.
    assert server.stop(signal.SIGTERM) == 0
    server.start()
    curl.url = server.url
    assert server.printed_credentials() is None
    assert log_in(curl, login, password) == 204


def test_admin_from_the_environment_is_created_once_and_never_overwritten(tmp_path):
    curl = Curl("", tmp_path)
    env = {"SEMAPHORE_ADMIN": "alice", "SEMAPHORE_ADMIN_PASSWORD": "first-password",
           "SEMAPHORE_ADMIN_NAME": "Alice Admin", "SEMAPHORE_ADMIN_EMAIL": "alice@example.test"}
    server = ServerProcess(tmp_path, env=env).start()
    try:
        curl.url = server.url
        assert server.printed_credentials() is None  # the operator chose the password
        jar = ("-b", "alice.txt", "-c", "alice.txt")
        assert log_in(curl, "alice", "first-password", *jar) == 204
        status, me = curl("GET", "/api/user", *jar)
        assert (me["username"], me["name"], me["email"], me["admin"]) == (
            "alice", "Alice Admin", "alice@example.test", True)
    finally:
        assert server.stop(signal.SIGINT) == 0  # Ctrl-C stops as gracefully as SIGTERM

    server.env = {**env, "SEMAPHORE_ADMIN_PASSWORD": "second-password", "SEMAPHORE_ADMIN_NAME": "Changed"}
    server.start()
    try:
        curl.url = server.url
        assert log_in(curl, "alice", "second-password") == 401
        jar = ("-b", "again.txt", "-c", "again.txt")
        assert log_in(curl, "alice", "first-password", *jar) == 204
        status, users = curl("GET", "/api/users", *jar)
        assert [(u["username"], u["name"], u["admin"]) for u in users] == [("alice", "Alice Admin", True)]
    finally:
        server.stop()


def test_an_existing_user_named_by_semaphore_admin_becomes_an_admin(tmp_path):
    run = run_semaphore(["--no-config", "user", "add", "--login", "carol", "--name", "Carol", "--email",
                         "carol@example.test", "--password", "carols-password"], tmp_path)
    assert run.returncode == 0, run
    server = ServerProcess(tmp_path, env={"SEMAPHORE_ADMIN": "carol", "SEMAPHORE_ADMIN_PASSWORD": "ignored"}).start()
    try:
        curl = Curl(server.url, tmp_path)
        assert "Admin carol promoted." in server.stdout
        assert log_in(curl, "carol", "ignored") == 401
        jar = ("-b", "carol.txt", "-c", "carol.txt")
        assert log_in(curl, "carol", "carols-password", *jar) == 204
        assert curl("GET", "/api/user", *jar)[1]["admin"] is True
    finally:
        server.stop()


def test_the_documented_systemd_command_line_starts_the_server(tmp_path):
    """`ExecStart=/usr/bin/semaphore server --config=/path/to/config.json`, the original's unit; the
    wildcard interface is printed as such, with a URL a browser on this machine can open."""
    (tmp_path / "config.json").write_text(json.dumps({
        "sqlite": {"host": str(tmp_path / "from-config.sqlite")}, "web_host": "https://ci.example.test"}))
    server = ServerProcess(tmp_path, env={"SEMAPHORE_INTERFACE": "0.0.0.0"}, args=[],
                           server_args=[f"--config={tmp_path / 'config.json'}"]).start()
    try:
        assert (tmp_path / "from-config.sqlite").exists()
        assert (f"is listening on http://0.0.0.0:{server.port} (all interfaces; on this machine open "
                f"http://localhost:{server.port}) (public URL https://ci.example.test)\n") in server.stdout
    finally:
        assert server.stop() == 0


def test_a_taken_port_is_a_one_line_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_semaphore(["--no-config", "server"], tmp_path,
                               {"SEMAPHORE_PORT": str(port), "SEMAPHORE_INTERFACE": "127.0.0.1"})
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}")
