"""The Slack notifier posts the original's attachment message to the configured webhook."""

import pytest
from semaphore_notify_slack import SlackNotifier

from semaphore.alerts.http import AlertSendError
from semaphore.alerts.testing import WebhookRecorder, sample_alert
from semaphore.testing import make_config


def slack_config(tmp_path, url, **env):
    return make_config(tmp_path, {"SEMAPHORE_SLACK_ALERT": "true", "SEMAPHORE_SLACK_URL": url, **env})


def test_a_failed_task_posts_the_attachment_message(tmp_path):
    with WebhookRecorder() as hook:
        config = slack_config(tmp_path, hook.url + "/services/T0/B0/secret")
        notifier = SlackNotifier()
        assert notifier.enabled(config)
        notifier.send(sample_alert(), config)
    (post,) = hook.received
    assert post.path == "/services/T0/B0/secret"
    assert post.headers["Content-Type"] == "application/json"
    assert post.json == {"attachments": [{
        "title": "Task: Deploy app",
        "title_link": "https://semaphore.example.test/project/1/templates/3?t=7",
        "text": "execution #7, status: \u274cERROR!",
        "color": "danger",
        "mrkdwn_in": ["text"],
        "fields": [{"title": "Author", "value": "Ada Lovelace", "short": True},
                   {"title": "Version", "value": "1.0.3", "short": True}],
    }]}


@pytest.mark.parametrize(("status", "colour", "result"), [
    ("success", "good", "\u2705SUCCESS"), ("waiting_confirmation", "#FFFC33", "\u26a0\ufe0fWAITING_CONFIRMATION")])
def test_colour_and_status_follow_the_task_and_a_missing_version_is_left_out(tmp_path, status, colour, result):
    with WebhookRecorder() as hook:
        alert = sample_alert(status=status, version=None, author="\u2014")
        SlackNotifier().send(alert, slack_config(tmp_path, hook.url))
    (attachment,) = hook.received[0].json["attachments"]
    assert (attachment["color"], attachment["text"]) == (colour, f"execution #7, status: {result}!")
    assert attachment["fields"] == [{"title": "Author", "value": "\u2014", "short": True}]


def test_off_without_the_switch_or_the_url(tmp_path):
    assert not SlackNotifier().enabled(make_config(tmp_path, {"SEMAPHORE_SLACK_URL": "http://127.0.0.1:9/x"}))
    assert not SlackNotifier().enabled(make_config(tmp_path, {"SEMAPHORE_SLACK_ALERT": "true"}))


def test_an_error_answer_is_a_failure_that_does_not_name_the_url(tmp_path):
    with WebhookRecorder(answer_status=500) as hook, pytest.raises(AlertSendError) as raised:
        SlackNotifier().send(sample_alert(), slack_config(tmp_path, hook.url + "/services/T0/B0/secret"))
    assert str(raised.value) == "the server answered HTTP 500"
