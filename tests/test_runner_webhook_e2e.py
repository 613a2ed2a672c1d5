"""A runner's webhook, with a real server, a real `semaphore runner start` and a real HTTP server
as the webhook: it hears "start" when a task is handed to the runner and "finish" when the task
ends, with the original's fields; a failing webhook never fails the task, and the task's log says
what each call answered. (A webhook URL that is not http(s) is refused: test_api_bad_input.py.)"""

from __future__ import annotations

import json
import time

from live_server import Api, bash_template
from test_runner_dispatch_e2e import run, runner_ids, runners, server, start_runner, wait_for_line

from semaphore.alerts.testing import WebhookRecorder
from semaphore.engine.runner_webhook import TIMEOUT

__all__ = ["runners", "server"]  # the fixtures, shared with the dispatch tests


def test_the_webhook_hears_start_and_finish_and_its_failure_never_fails_the_task(tmp_path, server, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "hi.sh", "echo hi\n", project={"name": "Hooked"},
                                     template="Hi")
    with WebhookRecorder() as hook:
        start_runner(runners, tmp_path / "hooked", server.url, webhook=hook.url + "/runner-hook")
        runner_id = runner_ids(admin)["hooked"]

        first = run(admin, pid, template_id)
        assert admin.wait_for_status(pid, first, {"success", "error"})["status"] == "success"
        calls = hook.wait_for(2)
        expected = {"project_id": pid, "task_id": first, "template_id": template_id, "runner_id": runner_id}
        assert [json.loads(call.body) for call in calls] == [{"action": "start", **expected},
                                                             {"action": "finish", **expected}]
        assert {call.path for call in calls} == {"/runner-hook"}
        wait_for_line(admin, pid, first, "The runner's webhook answered 200 (finish).")
        assert "The runner's webhook answered 200 (start)." in admin.output(pid, first)

        hook.answer_status = 500
        second = run(admin, pid, template_id)
        assert admin.wait_for_status(pid, second, {"success", "error"})["status"] == "success"
        hook.wait_for(4)
        wait_for_line(admin, pid, second, "The runner's webhook failed (finish): the server answered HTTP 500.")
        assert "hi" in admin.output(pid, second)



def test_a_finish_call_queued_when_the_server_stops_is_sent_and_its_line_written(tmp_path, server, runners):
    admin = Api.logged_in(server.url)
    pid, template_id = bash_template(admin, tmp_path / "scripts", "hi.sh", "echo hi\n", project={"name": "Stopping"},
                                     template="Hi")
    with WebhookRecorder(answer_delay=1.5) as hook:  # slow: the finish call is still queued at the stop
        start_runner(runners, tmp_path / "hooked", server.url, webhook=hook.url + "/runner-hook")
        task_id = run(admin, pid, template_id)
        assert admin.wait_for_status(pid, task_id, {"success", "error"})["status"] == "success"
        asked = time.monotonic()
        server.stop()
        took = time.monotonic() - asked
        assert [call.json["action"] for call in hook.received] == ["start", "finish"]
    assert took < TIMEOUT + 3
    server.start()
    admin = Api.logged_in(server.url)
    assert admin.output(pid, task_id)[-2:] == ["The runner's webhook answered 200 (start).",
                                                "The runner's webhook answered 200 (finish)."]
