"""The Slack notifier posts the original's attachment message to the configured webhook."""

import pytest
from semaphore_notify_slack import SlackNotifier

from semaphore.plugin_api.alerts import AlertSendError
from semaphore.plugin_testing import WebhookRecorder, make_config, sample_alert


def slack_config(tmp_path, url, **env):
    return make_config(tmp_path, {"SEMAPHORE_SLACK_ALERT": "true", "SEMAPHORE_SLACK_URL": url, **env})


def test_a_failed_task_posts_block_kit_in_a_coloured_attachment(tmp_path):
    with WebhookRecorder() as hook:
        config = slack_config(tmp_path, hook.url + "/services/T0/B0/secret")
        notifier = SlackNotifier()
        assert notifier.enabled(config)
        notifier.send(sample_alert(), config)
    (post,) = hook.received
    assert post.path == "/services/T0/B0/secret"
    assert post.headers["Content-Type"] == "application/json"
    summary = "Demo / Deploy app: execution #7, status: \u274cERROR!"
    assert post.json == {"text": summary, "attachments": [{
        "color": "danger",
        "fallback": summary,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "*<https://semaphore.example.test/project/1/templates/3?t=7|Task: Deploy app>*\n"
                "execution #7, status: \u274cERROR!")}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": "Project: Demo"}, {"type": "mrkdwn", "text": "Author: Ada Lovelace"},
                {"type": "mrkdwn", "text": "Version: 1.0.3"}, {"type": "mrkdwn", "text": "Message: nightly"}]},
        ],
    }]}


@pytest.mark.parametrize(("status", "colour", "result"), [
    ("success", "good", "\u2705SUCCESS"), ("waiting_confirmation", "#FFFC33", "\u26a0\ufe0fWAITING_CONFIRMATION")])
def test_colour_and_status_follow_the_task_and_a_missing_version_is_left_out(tmp_path, status, colour, result):
    with WebhookRecorder() as hook:
        alert = sample_alert(status=status, version=None, author="\u2014", message="")
        SlackNotifier().send(alert, slack_config(tmp_path, hook.url))
    (attachment,) = hook.received[0].json["attachments"]
    section, context = attachment["blocks"]
    assert attachment["color"] == colour and section["text"]["text"].endswith(f"execution #7, status: {result}!")
    assert [element["text"] for element in context["elements"]] == ["Project: Demo", "Author: \u2014"]


def test_names_cannot_inject_slack_markup(tmp_path):
    with WebhookRecorder() as hook:
        alert = sample_alert(template_name="<!channel> & <https://evil.test|x>", author="<@U123>")
        SlackNotifier().send(alert, slack_config(tmp_path, hook.url))
    section, context = hook.received[0].json["attachments"][0]["blocks"]
    assert "|Task: &lt;!channel&gt; &amp; &lt;https://evil.test|x&gt;>*" in section["text"]["text"]
    assert context["elements"][1]["text"] == "Author: &lt;@U123&gt;"


def test_off_without_the_switch_or_the_url(tmp_path):
    assert not SlackNotifier().enabled(make_config(tmp_path, {"SEMAPHORE_SLACK_URL": "http://127.0.0.1:9/x"}))
    assert not SlackNotifier().enabled(make_config(tmp_path, {"SEMAPHORE_SLACK_ALERT": "true"}))


def test_an_error_answer_is_a_failure_that_does_not_name_the_url(tmp_path):
    with WebhookRecorder(answer_status=500) as hook, pytest.raises(AlertSendError) as raised:
        SlackNotifier().send(sample_alert(), slack_config(tmp_path, hook.url + "/services/T0/B0/secret"))
    assert str(raised.value) == "the server answered HTTP 500"
