"""Alerts end to end on the real `semaphore server` process: a task whose script fails sends one
Slack message to a local webhook and one mail (STARTTLS, AUTH) to a local SMTP server."""

from __future__ import annotations

import time

import pytest
from live_server import ADMIN, Api, bash_template
from mail_server import PASSWORD, USERNAME, self_signed_certificate, start_mail_server
from process_helpers import ServerProcess

from semaphore.alerts.testing import WebhookRecorder

WEB_ROOT = "https://semaphore.example.test"
SLACK_PATH = "/services/T000/B000/webhook-secret"


@pytest.fixture
def smtp(tmp_path):
    tls_files = self_signed_certificate(tmp_path)
    mail, controller = start_mail_server(tls_files)
    yield mail, tls_files[0]
    controller.stop()


@pytest.fixture
def slack():
    with WebhookRecorder() as recorder:
        yield recorder


def test_a_failing_task_sends_one_slack_message_and_one_mail(tmp_path, smtp, slack):
    mail, certificate = smtp
    server = ServerProcess(tmp_path, env={
        **ADMIN, "SEMAPHORE_WEB_ROOT": WEB_ROOT, "SSL_CERT_FILE": str(certificate),
        "SEMAPHORE_SLACK_ALERT": "true", "SEMAPHORE_SLACK_URL": slack.url + SLACK_PATH,
        "SEMAPHORE_EMAIL_ALERT": "true", "SEMAPHORE_EMAIL_HOST": "127.0.0.1", "SEMAPHORE_EMAIL_PORT": str(mail.port),
        "SEMAPHORE_EMAIL_SECURE": "true", "SEMAPHORE_EMAIL_USERNAME": USERNAME,
        "SEMAPHORE_EMAIL_PASSWORD": PASSWORD, "SEMAPHORE_EMAIL_SENDER": "semaphore@example.test"}).start()
    try:
        api = Api.logged_in(server.url)
        pid, template_id = set_up_failing_template(api, tmp_path)
        ops = api.created("/api/users", {"username": "ops", "name": "Ops", "email": "ops@example.test",
                                         "password": "a long password 1", "alert": True})
        assert api("POST", f"/api/project/{pid}/users", {"user_id": ops["id"], "role": "manager"})[0] == 204

        task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id})
        api.wait_for_status(pid, task["id"], {"error"})
        api.wait_for_output(pid, task["id"], "email alert sent")  # each channel is sent on its own
        lines = api.wait_for_output(pid, task["id"], "slack alert sent")
        (post,) = slack.wait_for(1)
        deadline = time.monotonic() + 30
        while not mail.deliveries and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # nothing more arrives
    finally:
        server.stop()

    link = f"{WEB_ROOT}/project/{pid}/templates/{template_id}?t={task['id']}"
    assert len(slack.received) == 1 and post.path == SLACK_PATH
    status_line = f"execution #{task['id']}, status: \u274cERROR!"
    assert post.json == {"text": f"Alerts / failing: {status_line}", "attachments": [{
        "color": "danger", "fallback": f"Alerts / failing: {status_line}", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*<{link}|Task: failing>*\n{status_line}"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Project: Alerts"},
                                             {"type": "mrkdwn", "text": "Author: Admin"}]}]}]}

    (delivery,) = mail.deliveries
    assert (delivery.rcpt_tos, delivery.tls, delivery.login) == (["ops@example.test"], True, USERNAME)
    assert delivery.message["Subject"] == "Task 'failing' failed"
    assert link in delivery.message.get_content()

    assert "slack alert sent" in lines and "Sending email alert" in lines
    logs = server.stdout + server.stderr
    assert "webhook-secret" not in logs and PASSWORD not in logs


def set_up_failing_template(api: Api, tmp_path) -> tuple[int, int]:
    """A project with alerts on and a bash template whose script exits 1."""
    return bash_template(api, tmp_path / "scripts", "fail.sh", "echo failing on purpose\nexit 1\n",
                         project={"name": "Alerts", "alert": True}, template="failing")
