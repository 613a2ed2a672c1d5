"""The runner protocol against a real `semaphore server` process over real HTTP: registration with
the global token and with a one-time token made through the admin API (a second use refused),
unregistration, and the 401 of a missing, wrong or revoked runner token; a progress report sent
twice stores each line once and reaches a websocket viewer. No token shows up in the server's log."""

from __future__ import annotations

import sqlite3

import pytest
from live_server import ADMIN, Api, Viewer, bash_template
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


def test_a_progress_report_sent_twice_stores_each_line_once_and_reaches_viewers(server, tmp_path):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "run.sh", "echo hi\n", project={"name": "Remote"},
                                     template="Remote run")
    status, registered = runner_call(server.url, "POST", registration_body(GLOBAL))
    assert status == 200, registered
    # The task as the dispatcher hands it to this runner: starting, with the runner's id.
    with sqlite3.connect(tmp_path / "data" / "database.sqlite") as db:
        task_id = db.execute("INSERT INTO task (template_id, project_id, status, created, message, runner_id, debug, "
                             "dry_run, diff) VALUES (?, ?, 'starting', CURRENT_TIMESTAMP, '', ?, 0, 0, 0)",
                             (template_id, pid, registered["id"])).lastrowid
    viewer = Viewer(server.url, admin.token)
    try:
        records = [{"seq": seq, "time": "2026-12-07T23:00:00Z", "message": f"remote line {seq}"} for seq in (1, 2)]
        report = {"Jobs": [{"ID": task_id, "Status": "running", "LogRecords": records}]}
        for _ in range(2):  # the runner did not get the first answer and sends the report again
            assert runner_call(server.url, "PUT", report, token=registered["token"]) == (204, None)
        final = {"Jobs": [{"ID": task_id, "Status": "success", "LogRecords": [
            {"seq": 3, "time": "2026-12-07T23:00:01Z", "message": "remote line 3"}]}]}
        assert runner_call(server.url, "PUT", final, token=registered["token"]) == (204, None)
        assert admin.wait_for_status(pid, task_id, {"success"})["status"] == "success"
        assert admin.output(pid, task_id) == ["remote line 1", "remote line 2", "remote line 3"]
        seen = viewer.until_finished(task_id, timeout=10)
        assert [m["output"] for m in seen if m["type"] == "log"] == ["remote line 1", "remote line 2", "remote line 3"]
    finally:
        viewer.close()
