"""The runner protocol against a real `semaphore server` process over real HTTP: registration with
the global token and with a one-time token made through the admin API (a second use refused),
unregistration, and the 401 of a missing, wrong or revoked runner token. No token shows up in the
server's log."""

from __future__ import annotations

import pytest
from live_server import ADMIN, Api
from process_helpers import ServerProcess
from runner_helpers import registration_body, runner_call

GLOBAL = "global registration token of the e2e server"


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path, env={**ADMIN, "SEMAPHORE_RUNNERS_REGISTRATION_TOKEN": GLOBAL}).start()
    yield process
    process.stop()


def test_registration_unregistration_and_token_checks(server):
    admin = Api.logged_in(server.url)
    status, answer = runner_call(server.url, "POST", registration_body(GLOBAL, name="global one"))
    assert status == 200, answer
    global_token = answer["token"]

    status, made = admin("POST", "/api/runners", {"name": "from the api"})
    assert status == 201, made
    status, answer = runner_call(server.url, "POST", registration_body(made["token"]))
    assert status == 200, answer
    one_time_runner, one_time_token = answer["id"], answer["token"]
    assert runner_call(server.url, "POST", registration_body(made["token"])) == (
        400, {"error": "Invalid registration token"})

    status, runners = admin("GET", "/api/runners")
    assert status == 200 and sorted(r["name"] for r in runners) == ["from the api", "global one"]
    assert all(r["online"] for r in runners)

    for token in (None, "", "not a runner token"):
        status, answer = runner_call(server.url, "DELETE", token=token)
        assert status == 401 and set(answer) == {"error"}, (token, answer)

    assert admin("DELETE", f"/api/runners/{one_time_runner}")[0] == 204  # revoked by an admin
    status, answer = runner_call(server.url, "DELETE", token=one_time_token)
    assert status == 401 and set(answer) == {"error"}

    assert runner_call(server.url, "DELETE", token=global_token) == (204, None)
    assert runner_call(server.url, "DELETE", token=global_token)[0] == 401
    assert admin("GET", "/api/runners") == (200, [])

    server.stop()
    logged = server.stdout + server.stderr
    for secret in (GLOBAL, global_token, made["token"], one_time_token):
        assert secret not in logged
