"""Task alerts to Telegram (channel ``telegram``): the Bot API's ``sendMessage`` with the
original's HTML text, to the project's chat (``alert_chat``) or ``telegram_chat``, when
``telegram_alert`` is on. The API base is ``telegram_api_url``. See docs/alerts.md.

Importing this package stays cheap: it uses the standard library only.
"""

from __future__ import annotations

import html
from typing import Any

from semaphore import Alert, Notifier, TemplateField, hookimpl


def chat_of(alert: Alert, config: Any) -> str:
    """The project's chat id if it has one, else the server's; "" when neither is set."""
    return alert.chat_override or config.telegram_chat


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


class TelegramNotifier(Notifier):
    channel = "telegram"
    project_fields = (TemplateField("alert_chat", "Telegram chat ID",
                                    help="Alerts of this project go to this chat; empty: the server's telegram_chat."),)

    def enabled(self, config: Any) -> bool:
        return bool(config.telegram_alert and config.telegram_token)

    def accepts(self, alert: Alert, config: Any) -> bool:
        return bool(chat_of(alert, config))

    def send(self, alert: Alert, config: Any) -> None:
        from semaphore.plugin_api.alerts import post_json

        url = f"{config.telegram_api_url.rstrip('/')}/bot{config.telegram_token}/sendMessage"
        post_json(url, telegram_payload(alert, chat_of(alert, config)))


@hookimpl
def register_notifiers(register):
    register(TelegramNotifier())
