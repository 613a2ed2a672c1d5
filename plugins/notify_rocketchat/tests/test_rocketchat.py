"""The Rocket.Chat notifier posts the original's message with one attachment."""

import pytest
from semaphore_notify_rocketchat import RocketChatNotifier

from semaphore.plugin_api.alerts import AlertSendError
from semaphore.plugin_testing import WebhookRecorder, make_config, sample_alert


def rocketchat_config(tmp_path, url):
    return make_config(tmp_path, {"SEMAPHORE_ROCKETCHAT_ALERT": "true", "SEMAPHORE_ROCKETCHAT_URL": url})


@pytest.mark.parametrize(("status", "colour", "result"), [
    ("error", "#EE0000", "\u274cERROR"), ("success", "#00EE00", "\u2705SUCCESS")])
def test_posts_text_and_one_attachment(tmp_path, status, colour, result):
    with WebhookRecorder() as hook:
        config = rocketchat_config(tmp_path, hook.url + "/hooks/abc/secret")
        assert RocketChatNotifier().enabled(config)
        RocketChatNotifier().send(sample_alert(status=status), config)
    (post,) = hook.received
    assert post.path == "/hooks/abc/secret"
    text = f"execution #7, status: {result}!"
    assert post.json == {"text": text, "attachments": [{
        "title": "Task: Deploy app", "title_link": "https://semaphore.example.test/project/1/templates/3?t=7",
        "text": text, "color": colour,
        "fields": [{"title": "Project", "value": "Demo", "short": True},
                   {"title": "Author", "value": "Ada Lovelace", "short": True},
                   {"title": "Version", "value": "1.0.3", "short": True}]}]}


def test_an_unreachable_server_is_a_failure(tmp_path):
    with WebhookRecorder() as hook:
        url = hook.url + "/hooks/abc/secret"
    with pytest.raises(AlertSendError, match="^cannot connect: ") as raised:
        RocketChatNotifier().send(sample_alert(), rocketchat_config(tmp_path, url))
    assert "secret" not in str(raised.value) and "127.0.0.1" not in str(raised.value)
