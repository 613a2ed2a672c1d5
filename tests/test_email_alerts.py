"""E-mail alerts against a real SMTP server (aiosmtpd): STARTTLS with AUTH, plain SMTP without,
who gets the mail, and what it says."""

from __future__ import annotations

import logging

import pytest
from alert_helpers import WEB_HOST, alert_app, change_and_wait, close_app, project_with_task, task_log
from mail_server import PASSWORD, USERNAME, self_signed_certificate, start_mail_server

from semaphore.db.models import ProjectUser, User
from semaphore.testing import create_user_row

SENDER = "semaphore@example.test"


@pytest.fixture
def dialect():
    return "sqlite"


@pytest.fixture
def tls_files(tmp_path, monkeypatch):
    files = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(files[0]))  # the client trusts the test's certificate
    return files


@pytest.fixture
def secure_smtp(tls_files):
    mail, controller = start_mail_server(tls_files)
    yield mail
    controller.stop()


@pytest.fixture
def plain_smtp():
    mail, controller = start_mail_server()
    yield mail
    controller.stop()


@pytest.fixture
def make_app(config):
    apps = []

    def make(port, **settings):
        settings = {"email_alert": True, "email_sender": SENDER, "email_host": "127.0.0.1", "email_port": str(port),
                    **settings}
        apps.append(alert_app(config, **settings))
        return apps[-1]

    yield make
    for app in apps:
        close_app(app)


def add_people(app, project_id):
    """Who may get mail: opted-in members and admins only."""
    people = {"member_on": (False, True, True), "member_off": (False, True, False),
              "outsider_on": (False, False, True), "admin2_off": (True, False, False)}
    with app.extensions["semaphore"].db.session() as db:
        db.get(User, 1).alert = True  # "admin" from project_with_task
    for username, (admin, member, alert) in people.items():
        user_id = create_user_row(app, username, admin=admin)
        with app.extensions["semaphore"].db.session() as db:
            db.get(User, user_id).alert = alert
            if member:
                db.add(ProjectUser(project_id=project_id, user_id=user_id, role="task_runner"))


def test_a_failed_task_mails_opted_in_members_and_admins_over_starttls_with_login(make_app, secure_smtp):
    app = make_app(secure_smtp.port, email_secure=True, email_username=USERNAME, email_password=PASSWORD)
    project, template_id, task_id = project_with_task(app)
    add_people(app, project.id)
    change_and_wait(app, task_id, "error")

    assert sorted(rcpt for d in secure_smtp.deliveries for rcpt in d.rcpt_tos) == [
        "admin@example.test", "member_on@example.test"]
    assert secure_smtp.logins == [(USERNAME, True), (USERNAME, True)]  # one connection per mail
    delivery = secure_smtp.deliveries[0]
    assert (delivery.tls, delivery.login, delivery.mail_from) == (True, USERNAME, SENDER)
    message = delivery.message
    assert message["Subject"] == "Task 'Deploy app' failed"
    assert (message["From"], message["To"]) == (SENDER, delivery.rcpt_tos[0])
    assert message["Date"] and message.get_content_type() == "text/html"
    link = f"{WEB_HOST}/project/{project.id}/templates/{template_id}?t={task_id}"
    body = message.get_content().replace("\r\n", "\n")  # lines end in CRLF on the wire
    assert body == (f"<p>Task {task_id} with template 'Deploy app' has failed!</p>\n"
                    "<ul><li>Project: Demo</li><li>Status: \u274cERROR</li><li>Author: Ada Admin</li></ul>\n"
                    f"<p>Task Log: <a href=\"{link}\">Link</a></p>\n")
    assert "Sending email alert" in task_log(app, task_id) and "email alert sent" in task_log(app, task_id)


def test_without_email_secure_mail_goes_over_plain_smtp_without_login(make_app, plain_smtp):
    app = make_app(plain_smtp.port, email_username=USERNAME, email_password=PASSWORD)
    project, _template_id, task_id = project_with_task(app)
    add_people(app, project.id)
    change_and_wait(app, task_id, "error")
    assert len(plain_smtp.deliveries) == 2
    assert {(d.tls, d.login) for d in plain_smtp.deliveries} == {(False, None)}
    assert plain_smtp.logins == []


def test_the_port_may_be_part_of_email_host(make_app, plain_smtp):
    app = make_app(0, email_host=f"127.0.0.1:{plain_smtp.port}", email_port="")
    project, _template_id, task_id = project_with_task(app)
    add_people(app, project.id)
    change_and_wait(app, task_id, "error")
    assert len(plain_smtp.deliveries) == 2


@pytest.mark.parametrize("status", ["success", "waiting_confirmation"])
def test_only_errors_are_mailed(make_app, plain_smtp, status):
    app = make_app(plain_smtp.port)
    project, _template_id, task_id = project_with_task(app)
    add_people(app, project.id)
    change_and_wait(app, task_id, status)
    assert plain_smtp.deliveries == []


def test_a_refused_login_is_logged_without_the_password(make_app, secure_smtp, caplog):
    app = make_app(secure_smtp.port, email_secure=True, email_username=USERNAME, email_password="wrong-secret")
    project, _template_id, task_id = project_with_task(app)
    add_people(app, project.id)
    with caplog.at_level(logging.INFO, logger="semaphore.alerts"):
        change_and_wait(app, task_id, "error")
    assert secure_smtp.deliveries == []
    # smtplib tries PLAIN, then LOGIN; the dispatcher tries once more.
    assert [accepted for _login, accepted in secure_smtp.logins] == [False] * 4
    assert "email alert failed: 2 of 2 mails not sent: the server answered 535" in task_log(app, task_id)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "email alert failed" in logged and "wrong-secret" not in logged
