"""Task alerts to Rocket.Chat (channel ``rocketchat``): the original's message with one
attachment, posted as JSON to the incoming-webhook URL ``rocketchat_url`` when
``rocketchat_alert`` is on. See docs/alerts.md.

Importing this package stays cheap: it uses the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from semaphore import Alert, hookimpl
from semaphore.plugin_api.alerts import WebhookNotifier
from semaphore.plugin_api.settings import setting

# As the original; the waiting colour also marks "waiting for confirmation".
COLOURS = {"success": "#00EE00", "error": "#EE0000", "running": "#333CFF", "waiting": "#FFFC33",
           "waiting_confirmation": "#FFFC33", "stopping": "#BEBEBE", "stopped": "#5B5B5B"}


@dataclass
class RocketChatSettings:
    rocketchat_alert: bool = setting(False, "SEMAPHORE_ROCKETCHAT_ALERT", "Send Rocket.Chat alerts.")
    rocketchat_url: str = setting("", "SEMAPHORE_ROCKETCHAT_URL", "Rocket.Chat webhook URL.", secret=True)


def rocketchat_payload(alert: Alert) -> dict[str, Any]:
    text = f"execution #{alert.task_id}, status: {alert.result}!"
    return {"text": text, "attachments": [{
        "title": f"Task: {alert.template_name}",
        "title_link": alert.url,
        "text": text,
        "color": COLOURS.get(alert.status, ""),
        "fields": rocketchat_fields(alert),
    }]}


def rocketchat_fields(alert: Alert) -> list[dict[str, Any]]:
    fields = [{"title": "Project", "value": alert.project_name, "short": True},
              {"title": "Author", "value": alert.author, "short": True}]
    if alert.version:
        fields.append({"title": "Version", "value": alert.version, "short": True})
    return fields


class RocketChatNotifier(WebhookNotifier):
    channel = "rocketchat"

    def enabled(self, config: Any) -> bool:
        settings = config.plugin_settings(RocketChatSettings)
        return bool(settings.rocketchat_alert and settings.rocketchat_url)

    def webhook_url(self, config: Any) -> str:
        return str(config.plugin_settings(RocketChatSettings).rocketchat_url)

    def payload(self, alert: Alert, config: Any) -> dict[str, Any]:
        return rocketchat_payload(alert)


@hookimpl
def register_settings(register):
    register(RocketChatSettings)


@hookimpl
def register_notifiers(register):
    register(RocketChatNotifier())
