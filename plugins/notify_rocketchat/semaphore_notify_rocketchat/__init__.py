"""Task alerts to Rocket.Chat (channel ``rocketchat``): the original's message with one
attachment, posted as JSON to the incoming-webhook URL ``rocketchat_url`` when
``rocketchat_alert`` is on. See docs/alerts.md.

Importing this package stays cheap: it uses the standard library only.
"""

from __future__ import annotations

from typing import Any

from semaphore import Alert, Notifier, hookimpl

# As the original; the waiting colour also marks "waiting for confirmation".
COLOURS = {"success": "#00EE00", "error": "#EE0000", "running": "#333CFF", "waiting": "#FFFC33",
           "waiting_confirmation": "#FFFC33", "stopping": "#BEBEBE", "stopped": "#5B5B5B"}


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


class RocketChatNotifier(Notifier):
    channel = "rocketchat"

    def enabled(self, config: Any) -> bool:
        return bool(config.rocketchat_alert and config.rocketchat_url)

    def send(self, alert: Alert, config: Any) -> None:
        from semaphore.plugin_api.alerts import post_json

        post_json(config.rocketchat_url, rocketchat_payload(alert))


@hookimpl
def register_notifiers(register):
    register(RocketChatNotifier())
