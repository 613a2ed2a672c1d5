"""The alert sender of a server process, over the outbox: later attempts after the quick retry,
giving up, rows left by a process that died or stopped, and channels this process does not send.
Real HTTP servers on loopback; two apps on one database stand for two server processes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from alert_helpers import alert_app, change_and_wait, close_app, project_with_task, task_log
from task_helpers import ScriptExecutorPlugin, build_app

from semaphore import hookimpl
from semaphore.alerts import outbox
from semaphore.alerts.dispatch import AlertJob
from semaphore.alerts.mail import EmailNotifier
from semaphore.alerts.testing import WebhookRecorder, sample_alert
from semaphore.builtin.task_alerts import dispatcher, stop_dispatcher
from semaphore.db.models import AlertOutbox, Task
from semaphore.db.types import utcnow
from semaphore.services.task_status import change_status
from semaphore.state import app_state

SECRET_PATH = "/slack/T0/B0/webhook-secret"


@pytest.fixture
def dialect():
    return "sqlite"  # the outbox's database side is tested on every database in test_alert_outbox.py


@pytest.fixture
def make_app(config):
    apps = []

    def make(url, **settings):
        apps.append(alert_app(config, slack_alert=True, slack_url=url + SECRET_PATH, **settings))
        sender = dispatcher(apps[-1])
        sender.poll_seconds = 0.05
        sender.later_attempts = (0.2, 0.2)
        return apps[-1]

    yield make
    for app in apps:
        close_app(app)


def outbox_rows(app):
    with app.extensions["semaphore"].db.session() as db:
        return db.query(AlertOutbox).order_by(AlertOutbox.id).all()


def wait_until_finished(app, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = outbox_rows(app)
        if rows and all(row.finished is not None for row in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"outbox not finished: {[(r.channel, r.attempts, r.last_error) for r in outbox_rows(app)]}")


def test_after_the_quick_retry_later_attempts_follow_until_it_is_given_up(make_app):
    with WebhookRecorder(answer_status=500) as broken:
        app = make_app(broken.url)
        _project, _template_id, task_id = project_with_task(app)
        change_and_wait(app, task_id, "error")
        assert len(broken.received) == 2  # the send and its quick retry; the others come later
        (row,) = wait_until_finished(app)
        assert len(broken.received) == 4

    assert (row.attempts, row.last_error, row.claimed_by) == (4, "the server answered HTTP 500",
                                                              app.extensions["semaphore"].node_id)
    lines = task_log(app, task_id)
    assert lines == ["Sending slack alert", "slack alert failed: the server answered HTTP 500",
                     "slack alert: trying again in 0.2 seconds",
                     "Sending slack alert (attempt 3 of 4)", "slack alert failed: the server answered HTTP 500",
                     "slack alert: trying again in 0.2 seconds",
                     "Sending slack alert (attempt 4 of 4)", "slack alert failed: the server answered HTTP 500",
                     "slack alert given up after 4 attempts"]


def test_a_channel_that_recovers_gets_the_alert_on_a_later_attempt(make_app):
    with WebhookRecorder(answer_status=503) as hook:
        app = make_app(hook.url)
        dispatcher(app).later_attempts = (1.0, 1.0)
        _project, _template_id, task_id = project_with_task(app)
        change_and_wait(app, task_id, "error")
        hook.answer_status = 200
        (row,) = wait_until_finished(app)
        assert len(hook.received) == 3
        assert hook.received[0].body == hook.received[2].body  # the same alert, again

    assert (row.attempts, row.last_error) == (3, None)
    assert task_log(app, task_id)[-2:] == ["Sending slack alert (attempt 3 of 4)", "slack alert sent"]


def test_a_row_left_by_a_process_that_died_is_sent_by_another_after_the_lease(make_app):
    with WebhookRecorder() as hook:
        app = make_app(hook.url)
        _project, _template_id, task_id = project_with_task(app)
        now = utcnow()
        with app.extensions["semaphore"].db.session() as db:
            outbox.store(db, app.extensions["semaphore"].secrets, [("slack", sample_alert(task_id=task_id))],
                         True, now)
            db.flush()
            db.query(AlertOutbox).update({"claimed_by": "dead-node", "claimed_until": now + timedelta(seconds=1)})
        time.sleep(0.3)
        assert hook.received == []  # the dead node's lease still holds
        (row,) = wait_until_finished(app)
        (post,) = hook.wait_for(1)

    assert post.path == SECRET_PATH and row.claimed_by == app.extensions["semaphore"].node_id
    assert task_log(app, task_id) == ["Sending slack alert", "slack alert sent"]


def test_a_process_stopping_during_the_quick_retry_leaves_the_alert_to_another_at_once(make_app):
    with WebhookRecorder(answer_status=500) as hook:
        first = make_app(hook.url)
        dispatcher(first).retry_delay = 30  # stopped while waiting for the quick retry
        _project, _template_id, task_id = project_with_task(first)
        with first.extensions["semaphore"].db.session() as db:
            change_status(db, app_state(first).events, db.get(Task, task_id), "error")
        hook.wait_for(1)
        started = time.monotonic()
        stop_dispatcher(first)
        assert time.monotonic() - started < 5
        (row,) = outbox_rows(first)
        assert (row.attempts, row.finished, row.claimed_until) == (1, None, None)

        hook.answer_status = 200
        second = make_app(hook.url)
        (row,) = wait_until_finished(second)
        assert len(hook.received) == 2

    assert (row.attempts, row.last_error, row.claimed_by) == (2, None, second.extensions["semaphore"].node_id)
    assert task_log(second, task_id) == ["Sending slack alert (attempt 2 of 4)", "slack alert sent"]


def test_a_channel_this_process_does_not_send_waits_in_the_outbox(make_app):
    with WebhookRecorder() as hook:
        app = make_app(hook.url)
        _project, _template_id, task_id = project_with_task(app)
        with app.extensions["semaphore"].db.session() as db:
            outbox.store(db, app.extensions["semaphore"].secrets, [("pager", sample_alert(task_id=task_id))],
                         True, utcnow())
        time.sleep(0.5)  # several polls
        (row,) = outbox_rows(app)
        assert (row.claimed_by, row.attempts, row.finished) == (None, 0, None)
        assert hook.received == []


class HalfwayMailer(EmailNotifier):
    """E-mail to two recipients where the second always fails: its progress is kept in ``alert.extra``."""

    channel = "halfway"

    def __init__(self):
        self.mailed = []

    def enabled(self, config):
        return True

    def send(self, alert, config):
        delivered = alert.extra.setdefault("email_delivered", [])
        for address in alert.recipients:
            if address not in delivered:
                if address.startswith("broken"):
                    raise OSError("mailbox unavailable")
                self.mailed.append(address)
                delivered.append(address)


def test_what_a_notifier_kept_in_the_alert_carries_over_to_later_attempts(config):
    mailer = HalfwayMailer()

    class Plugin:
        @hookimpl
        def register_notifiers(self, register):
            register(mailer)

    app = build_app(config, script_executor=ScriptExecutorPlugin(), halfway=Plugin())
    try:
        sender = dispatcher(app)
        sender.retry_delay, sender.poll_seconds, sender.later_attempts = 0.05, 0.05, (0.1, 0.1)
        _project, _template_id, task_id = project_with_task(app)
        alert = sample_alert(task_id=task_id, recipients=["ok@example.test", "broken@example.test"])
        sender.submit(AlertJob(alert, [mailer], to_task_log=True))
        (row,) = wait_until_finished(app)
    finally:
        close_app(app)
    assert row.attempts == 4 and row.last_error == "mailbox unavailable"
    assert mailer.mailed == ["ok@example.test"]  # once, not once per attempt


class LeakyNotifier(EmailNotifier):
    """Fails with a reason that quotes the project's own setting of the channel (a secret)."""

    channel = "leaky"
    project_fields = ()

    def enabled(self, config):
        return True

    def send(self, alert, config):
        raise RuntimeError(f"refused key {alert.settings['key']} (severity {alert.settings['level']})")


@pytest.fixture
def leaky_app(config):
    class Plugin:
        @hookimpl
        def register_notifiers(self, register):
            register(LeakyNotifier())

    app = build_app(config, script_executor=ScriptExecutorPlugin(), leaky=Plugin())
    sender = dispatcher(app)
    sender.retry_delay, sender.poll_seconds, sender.later_attempts = 0.05, 0.05, ()
    yield app
    close_app(app)


def test_a_reason_quoting_the_projects_secret_setting_is_masked_in_the_row_and_the_logs(leaky_app, caplog):
    _project, _template_id, task_id = project_with_task(leaky_app)
    settings = {"leaky": {"key": "pk-live-0123456789", "level": "high"}}  # the project's, of this channel
    with caplog.at_level("INFO", logger="semaphore.alerts"):
        dispatcher(leaky_app).submit(AlertJob(sample_alert(task_id=task_id), [LeakyNotifier()], True, settings))
        (row,) = wait_until_finished(leaky_app)
    assert row.last_error == "refused key ******** (severity high)"  # short values are no secret
    lines = task_log(leaky_app, task_id)
    assert lines[-2:] == ["leaky alert failed: refused key ******** (severity high)",
                          "leaky alert given up after 2 attempts"]
    assert "pk-live-0123456789" not in caplog.text


def test_an_alert_stored_under_another_key_is_given_up_with_the_reason(leaky_app):
    from semaphore.crypto import SecretBox

    _project, _template_id, task_id = project_with_task(leaky_app)
    with leaky_app.extensions["semaphore"].db.session() as db:
        outbox.store(db, SecretBox.from_config_value("A" * 43 + "="), [("leaky", sample_alert(task_id=task_id))],
                     True, utcnow())
    (row,) = wait_until_finished(leaky_app)
    assert row.attempts == 0 and row.last_error.startswith("cannot decrypt the alert")
    assert task_log(leaky_app, task_id) == []
