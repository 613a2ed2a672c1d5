"""Task alerts to Microsoft Teams (channel ``microsoft_teams``): a message with one Adaptive Card
as the original's, posted to the webhook URL ``microsoft_teams_url`` when
``microsoft_teams_alert`` is on. See docs/alerts.md.

Importing this package stays cheap: it uses the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from semaphore import Alert, hookimpl
from semaphore.plugin_api.alerts import WebhookNotifier
from semaphore.plugin_api.settings import setting


@dataclass
class TeamsSettings:
    microsoft_teams_alert: bool = setting(False, "SEMAPHORE_MICROSOFT_TEAMS_ALERT", "Send Microsoft Teams alerts.")
    microsoft_teams_url: str = setting("", "SEMAPHORE_MICROSOFT_TEAMS_URL", "Teams webhook URL.", secret=True)


def teams_payload(alert: Alert) -> dict[str, Any]:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": f"Ansible Task Template Execution by: {alert.author}"},
            {"type": "FactSet", "separator": True, "facts": teams_facts(alert)},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Task URL", "url": alert.url}],
        "msteams": {"width": "Full"},
    }
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def teams_facts(alert: Alert) -> list[dict[str, str]]:
    """The original's Task / Status / Task ID, with the project first and the version when set."""
    facts = [{"title": "Project:", "value": alert.project_name},
             {"title": "Task:", "value": alert.template_name},
             {"title": "Status:", "value": alert.result},
             {"title": "Task ID:", "value": str(alert.task_id)}]
    if alert.version:
        facts.append({"title": "Version:", "value": alert.version})
    return facts


class TeamsNotifier(WebhookNotifier):
    channel = "microsoft_teams"

    def enabled(self, config: Any) -> bool:
        settings = config.plugin_settings(TeamsSettings)
        return bool(settings.microsoft_teams_alert and settings.microsoft_teams_url)

    def webhook_url(self, config: Any) -> str:
        return str(config.plugin_settings(TeamsSettings).microsoft_teams_url)

    def payload(self, alert: Alert, config: Any) -> dict[str, Any]:
        return teams_payload(alert)


@hookimpl
def register_settings(register):
    register(TeamsSettings)


@hookimpl
def register_notifiers(register):
    register(TeamsNotifier())
