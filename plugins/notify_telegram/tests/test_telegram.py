"""The Telegram notifier calls sendMessage of the Bot API with the original's HTML text."""

import pytest
from semaphore_notify_telegram import TelegramNotifier

from semaphore.plugin_testing import WebhookRecorder, make_config, sample_alert

TOKEN = "123456:bot-token-secret"


def telegram_config(tmp_path, api_url, chat="-100200300"):
    return make_config(tmp_path, {"SEMAPHORE_TELEGRAM_ALERT": "true", "SEMAPHORE_TELEGRAM_TOKEN": TOKEN,
                                  "SEMAPHORE_TELEGRAM_CHAT": chat, "SEMAPHORE_TELEGRAM_API_URL": api_url})


def test_sends_the_html_message_to_the_server_chat(tmp_path):
    with WebhookRecorder() as api:
        config = telegram_config(tmp_path, api.url)
        notifier = TelegramNotifier()
        assert notifier.enabled(config) and notifier.accepts(sample_alert(), config)
        notifier.send(sample_alert(), config)
    (post,) = api.received
    assert post.path == f"/bot{TOKEN}/sendMessage"
    assert post.json == {"chat_id": "-100200300", "parse_mode": "HTML", "text": (
        "Demo / <code>Deploy app</code>\n#7 <b>\u274cERROR</b> <code>1.0.3</code> - nightly\nby Ada Lovelace\n"
        "https://semaphore.example.test/project/1/templates/3?t=7")}


def test_the_project_chat_wins_and_values_are_escaped(tmp_path):
    alert = sample_alert(chat_override="-42", project_name="R&D", template_name="<b>db</b> & co",
                         author="O'Neil <admin>", version=None, message="", url="https://x.test/project/1/templates/3?t=7&a=<b>")
    with WebhookRecorder() as api:
        TelegramNotifier().send(alert, telegram_config(tmp_path, api.url))
    body = api.received[0].json
    assert body["chat_id"] == "-42"
    assert body["text"] == ("R&amp;D / <code>&lt;b&gt;db&lt;/b&gt; &amp; co</code>\n#7 <b>\u274cERROR</b>\n"
                            "by O&#x27;Neil &lt;admin&gt;\nhttps://x.test/project/1/templates/3?t=7&amp;a=&lt;b&gt;")


@pytest.mark.parametrize("override", [None, ""])
def test_no_chat_no_message(tmp_path, override):
    config = telegram_config(tmp_path, "http://127.0.0.1:9", chat="")
    assert not TelegramNotifier().accepts(sample_alert(chat_override=override), config)
    assert TelegramNotifier().accepts(sample_alert(chat_override="-42"), config)


def test_off_without_the_token(tmp_path):
    assert not TelegramNotifier().enabled(make_config(tmp_path, {"SEMAPHORE_TELEGRAM_ALERT": "true"}))
