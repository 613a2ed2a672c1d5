"""The Teams notifier posts a message with the original's Adaptive Card."""

import pytest
from semaphore_notify_teams import TeamsNotifier

from semaphore.plugin_api.alerts import AlertSendError
from semaphore.plugin_testing import WebhookRecorder, make_config, sample_alert


def teams_config(tmp_path, url):
    return make_config(tmp_path, {"SEMAPHORE_MICROSOFT_TEAMS_ALERT": "true", "SEMAPHORE_MICROSOFT_TEAMS_URL": url})


def test_posts_one_adaptive_card(tmp_path):
    with WebhookRecorder(answer_status=202) as hook:  # Teams workflows answer 202 Accepted
        config = teams_config(tmp_path, hook.url + "/webhookb2/secret")
        assert TeamsNotifier().enabled(config)
        TeamsNotifier().send(sample_alert(), config)
    (post,) = hook.received
    assert post.path == "/webhookb2/secret"
    assert post.json == {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": "Ansible Task Template Execution by: Ada Lovelace"},
                {"type": "FactSet", "separator": True, "facts": [
                    {"title": "Project:", "value": "Demo"},
                    {"title": "Task:", "value": "Deploy app"},
                    {"title": "Status:", "value": "\u274cERROR"},
                    {"title": "Task ID:", "value": "7"},
                    {"title": "Version:", "value": "1.0.3"}]},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": "Task URL",
                         "url": "https://semaphore.example.test/project/1/templates/3?t=7"}],
            "msteams": {"width": "Full"},
        }}]}


def test_a_server_that_does_not_answer_in_time_is_a_failure(tmp_path, monkeypatch):
    monkeypatch.setattr("semaphore.alerts.http.TIMEOUT", 0.3)
    with (WebhookRecorder(answer_delay=2) as hook,
          pytest.raises(AlertSendError, match=r"^no answer within 0\.3 seconds$")):
        TeamsNotifier().send(sample_alert(), teams_config(tmp_path, hook.url + "/webhookb2/secret"))
