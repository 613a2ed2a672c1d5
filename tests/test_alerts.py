"""Alerts over the chat channels: when they go, what they say, and that a failing channel is
logged without secrets while the others still send. Real HTTP servers on loopback."""

from __future__ import annotations

import logging

import pytest
from alert_helpers import WEB_HOST, alert_app, change_and_wait, close_app, project_with_task, task_log
from pager_plugin import semaphore_test_pager
from task_helpers import ScriptExecutorPlugin, build_app

from semaphore import hookimpl
from semaphore.alerts.testing import WebhookRecorder
from semaphore.execution import TemplateField
from semaphore.testing import log_in

TOKEN = "123456:telegram-bot-token"


@pytest.fixture
def dialect():
    return "sqlite"  # alert decisions do not depend on the database


@pytest.fixture
def hook():
    with WebhookRecorder() as recorder:
        yield recorder


def every_channel(url: str, **overrides):
    settings = {"slack_alert": True, "slack_url": f"{url}/slack/secret-path",
                "telegram_alert": True, "telegram_token": TOKEN, "telegram_chat": "-100", "telegram_api_url": url,
                "microsoft_teams_alert": True, "microsoft_teams_url": f"{url}/teams/secret-path",
                "rocketchat_alert": True, "rocketchat_url": f"{url}/rocketchat/secret-path"}
    return {**settings, **overrides}


@pytest.fixture
def make_app(config):
    apps = []

    def make(**settings):
        apps.append(alert_app(config, **settings))
        return apps[-1]

    yield make
    for app in apps:
        close_app(app)


def by_path(received):
    return {post.path.split("/")[1]: post.json for post in received}


def test_a_failed_task_alerts_every_enabled_channel_and_says_so_in_its_log(make_app, hook):
    app = make_app(**every_channel(hook.url))
    project, template_id, task_id = project_with_task(app)
    change_and_wait(app, task_id, "error")

    posts = by_path(hook.received)
    assert sorted(posts) == [f"bot{TOKEN}", "rocketchat", "slack", "teams"]
    link = f"{WEB_HOST}/project/{project.id}/templates/{template_id}?t={task_id}"
    status_line = f"execution #{task_id}, status: \u274cERROR!"
    assert posts["slack"] == {"text": f"Demo / Deploy app: {status_line}", "attachments": [{
        "color": "danger", "fallback": f"Demo / Deploy app: {status_line}", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*<{link}|Task: Deploy app>*\n{status_line}"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Project: Demo"},
                                             {"type": "mrkdwn", "text": "Author: Ada Admin"}]}]}]}
    assert posts[f"bot{TOKEN}"]["chat_id"] == "-100"
    assert posts[f"bot{TOKEN}"]["text"] == (
        f"Demo / <code>Deploy app</code>\n#{task_id} <b>\u274cERROR</b>\nby Ada Admin\n{link}")
    assert posts["rocketchat"]["attachments"][0]["color"] == "#EE0000"
    assert posts["teams"]["attachments"][0]["content"]["actions"][0]["url"] == link

    lines = task_log(app, task_id)
    for channel in ("microsoft_teams", "rocketchat", "slack", "telegram"):
        assert f"Sending {channel} alert" in lines and f"{channel} alert sent" in lines


def test_nothing_is_sent_when_the_project_has_alerts_off(make_app, hook):
    app = make_app(**every_channel(hook.url))
    _project, _template_id, task_id = project_with_task(app, alert=False)
    change_and_wait(app, task_id, "error")
    assert hook.received == []
    assert task_log(app, task_id) == []


def test_only_configured_channels_send(make_app, hook):
    app = make_app(slack_alert=True, slack_url=f"{hook.url}/slack", rocketchat_alert=True)  # no Rocket.Chat URL
    _project, _template_id, task_id = project_with_task(app)
    change_and_wait(app, task_id, "error")
    assert [post.path for post in hook.received] == ["/slack"]


@pytest.mark.parametrize(("suppress", "sent"), [(False, 1), (True, 0)])
def test_success_alerts_unless_the_template_suppresses_them(make_app, hook, suppress, sent):
    app = make_app(slack_alert=True, slack_url=f"{hook.url}/slack")
    _project, _template_id, task_id = project_with_task(app, suppress_success_alerts=suppress)
    change_and_wait(app, task_id, "success")
    assert len(hook.received) == sent
    if sent:
        attachment = hook.received[0].json["attachments"][0]
        assert attachment["color"] == "good"
        assert attachment["fallback"] == f"Demo / Deploy app: execution #{task_id}, status: \u2705SUCCESS!"


def test_a_suppressed_template_still_alerts_on_error(make_app, hook):
    app = make_app(slack_alert=True, slack_url=f"{hook.url}/slack")
    _project, _template_id, task_id = project_with_task(app, suppress_success_alerts=True)
    change_and_wait(app, task_id, "error")
    assert len(hook.received) == 1


def test_waiting_for_confirmation_alerts_and_other_statuses_do_not(make_app, hook):
    app = make_app(slack_alert=True, slack_url=f"{hook.url}/slack")
    _project, _template_id, task_id = project_with_task(app)
    change_and_wait(app, task_id, "starting")
    change_and_wait(app, task_id, "running")
    assert hook.received == []
    change_and_wait(app, task_id, "waiting_confirmation")
    (post,) = hook.received
    assert post.json["text"] == f"Demo / Deploy app: execution #{task_id}, status: \u26a0\ufe0fWAITING_CONFIRMATION!"
    assert task_log(app, task_id) == []  # the run still writes its log; the outcome is in the server log


def test_the_project_chat_overrides_the_telegram_chat(make_app, hook):
    app = make_app(telegram_alert=True, telegram_token=TOKEN, telegram_chat="-100", telegram_api_url=hook.url)
    _project, _template_id, task_id = project_with_task(app, alert_chat="-4242")
    change_and_wait(app, task_id, "error")
    assert hook.received[0].json["chat_id"] == "-4242"


def test_telegram_without_any_chat_sends_nothing(make_app, hook):
    app = make_app(telegram_alert=True, telegram_token=TOKEN, telegram_chat="", telegram_api_url=hook.url)
    _project, _template_id, task_id = project_with_task(app)
    change_and_wait(app, task_id, "error")
    assert hook.received == []


def test_failing_channels_are_retried_once_logged_without_secrets_and_the_others_still_send(
        make_app, hook, monkeypatch, caplog):
    monkeypatch.setattr("semaphore.alerts.http.TIMEOUT", 0.3)
    with WebhookRecorder(answer_status=500) as broken, WebhookRecorder(answer_delay=2) as slow:
        with WebhookRecorder() as gone:
            unreachable = gone.url
        app = make_app(**every_channel(hook.url, slack_url=f"{broken.url}/slack/secret-path",
                                       telegram_api_url=unreachable,
                                       microsoft_teams_url=f"{slow.url}/teams/secret-path"))
        _project, _template_id, task_id = project_with_task(app)
        with caplog.at_level(logging.INFO, logger="semaphore.alerts"):
            change_and_wait(app, task_id, "error")
        assert len(broken.received) == 2  # the first attempt and its retry
        assert len(slow.received) == 2

    assert [post.path for post in hook.received] == ["/rocketchat/secret-path"]
    lines = task_log(app, task_id)
    assert "slack alert failed: the server answered HTTP 500" in lines
    assert "telegram alert failed: cannot connect: Connection refused" in lines
    assert "microsoft_teams alert failed: no answer within 0.3 seconds" in lines
    assert "rocketchat alert sent" in lines
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "slack alert failed: the server answered HTTP 500" in logged
    for secret in (TOKEN, "secret-path", broken.url, unreachable, slow.url):
        assert secret not in logged and not any(secret in line for line in lines)


def test_the_version_is_the_builds_or_the_deployed_builds(make_app, hook):
    from semaphore.db.models import Task, Template

    app = make_app(slack_alert=True, slack_url=f"{hook.url}/slack")
    _project, template_id, build_id = project_with_task(app)
    with app.extensions["semaphore"].db.session() as db:
        db.get(Task, build_id).version = "1.0.3"
    change_and_wait(app, build_id, "success")

    _project, deploy_template_id, deploy_id = project_with_task(app, username="deployer")
    with app.extensions["semaphore"].db.session() as db:
        db.get(Template, deploy_template_id).type = "deploy"
        db.get(Task, deploy_id).build_task_id = build_id
    change_and_wait(app, deploy_id, "error")

    contexts = [post.json["attachments"][0]["blocks"][1]["elements"] for post in hook.received]
    assert [elements[2]["text"] for elements in contexts] == ["Version: 1.0.3", "Version: build 1.0.3"]


class Siren(semaphore_test_pager.PagerNotifier):
    """A second channel with a project setting of its own, which alerts whether or not it is set."""

    channel = "siren"
    project_fields = (TemplateField("tone", "Siren tone"),)

    def accepts(self, alert, config):
        return True


class SirenPlugin:
    @hookimpl
    def register_notifiers(self, register):
        register(Siren())


@pytest.fixture
def settings_app(config):
    """The test pager (sends only with a routing key) and the siren: notifiers with project settings."""
    app = build_app(config, script_executor=ScriptExecutorPlugin(), pager=semaphore_test_pager, siren=SirenPlugin())
    yield app
    close_app(app)


def test_each_notifier_gets_its_own_channels_project_settings_in_the_alert(settings_app):
    app = settings_app
    project, _template_id, task_id = project_with_task(app)
    client = log_in(app.test_client(), "admin")
    name = client.get(f"/api/project/{project.id}").get_json()["name"]
    assert client.put(f"/api/project/{project.id}", json={"name": name, "alert": True, "notifier_settings": {
        "pager": {"routing_key": "R-1", "severity": "critical"}, "siren": {"tone": "loud"}}}).status_code == 204
    change_and_wait(app, task_id, "error")

    notifiers = app.extensions["semaphore"].registry.notifiers
    [paged], [sounded] = notifiers["pager"].sent, notifiers["siren"].sent
    assert (paged.task_id, dict(paged.settings)) == (task_id, {"routing_key": "R-1", "severity": "critical"})
    assert (sounded.task_id, dict(sounded.settings)) == (task_id, {"tone": "loud"})
    lines = task_log(app, task_id)
    assert "pager alert sent" in lines and "siren alert sent" in lines


def test_a_notifier_declines_a_project_without_its_setting(settings_app):
    app = settings_app
    _project, _template_id, task_id = project_with_task(app)
    change_and_wait(app, task_id, "error")
    notifiers = app.extensions["semaphore"].registry.notifiers
    assert notifiers["pager"].sent == []  # accepts() found no routing key
    assert [dict(alert.settings) for alert in notifiers["siren"].sent] == [{}]
