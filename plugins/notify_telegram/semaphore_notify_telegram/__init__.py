"""Task alerts to Telegram (channel ``telegram``): the Bot API's ``sendMessage`` with the
original's HTML text, to the project's chat (``alert_chat``) or ``telegram_chat``, when
``telegram_alert`` is on. The API base is ``telegram_api_url``. See docs/alerts.md.

Importing this package stays cheap: it uses the standard library only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from semaphore import Alert, TemplateField, hookimpl
from semaphore.plugin_api.alerts import WebhookNotifier
from semaphore.plugin_api.settings import setting


@dataclass
class TelegramSettings:
    telegram_alert: bool = setting(False, "SEMAPHORE_TELEGRAM_ALERT", "Send Telegram alerts.")
    telegram_chat: str = setting("", "SEMAPHORE_TELEGRAM_CHAT", "Telegram chat id.")
    telegram_token: str = setting("", "SEMAPHORE_TELEGRAM_TOKEN", "Telegram bot token.", secret=True)
    telegram_api_url: str = setting("https://api.telegram.org", "SEMAPHORE_TELEGRAM_API_URL",
                                    "Base URL of the Telegram Bot API (a proxy, or a local server in tests).")


def chat_of(alert: Alert, config: Any) -> str:
    """The project's chat id if it has one, else the server's; "" when neither is set."""
    return alert.chat_override or config.plugin_settings(TelegramSettings).telegram_chat


def telegram_text(alert: Alert) -> str:
    """``PROJECT / <code>NAME</code>`` / ``#ID <b>RESULT</b> <code>VERSION</code> - MESSAGE`` / ``by AUTHOR`` / URL;
    an empty version or message is left out. Every value is HTML-escaped (parse_mode HTML)."""
    line = f"#{alert.task_id} <b>{html.escape(alert.result)}</b>"
    if alert.version:
        line += f" <code>{html.escape(alert.version)}</code>"
    if alert.message:
        line += f" - {html.escape(alert.message)}"
    title = f"{html.escape(alert.project_name)} / <code>{html.escape(alert.template_name)}</code>"
    return "\n".join([title, line,
                      f"by {html.escape(alert.author)}", html.escape(alert.url)])


def telegram_payload(alert: Alert, chat_id: str) -> dict[str, Any]:
    return {"chat_id": chat_id, "parse_mode": "HTML", "text": telegram_text(alert)}


class TelegramNotifier(WebhookNotifier):
    channel = "telegram"
    project_fields = (TemplateField("alert_chat", "Telegram chat ID",
                                    help="Alerts of this project go to this chat; empty: the server's telegram_chat."),)

    def enabled(self, config: Any) -> bool:
        settings = config.plugin_settings(TelegramSettings)
        return bool(settings.telegram_alert and settings.telegram_token)

    def accepts(self, alert: Alert, config: Any) -> bool:
        return bool(chat_of(alert, config))

    def webhook_url(self, config: Any) -> str:
        settings = config.plugin_settings(TelegramSettings)
        return f"{settings.telegram_api_url.rstrip('/')}/bot{settings.telegram_token}/sendMessage"

    def payload(self, alert: Alert, config: Any) -> dict[str, Any]:
        return telegram_payload(alert, chat_of(alert, config))


@hookimpl
def register_settings(register):
    register(TelegramSettings)


@hookimpl
def register_notifiers(register):
    register(TelegramNotifier())
