"""Task alerts to Slack (channel ``slack``): a Block Kit message in an attachment coloured by the
status, posted as JSON to the incoming-webhook URL ``slack_url`` when ``slack_alert`` is on. See
docs/alerts.md.

Importing this package stays cheap: it uses the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from semaphore import Alert, hookimpl
from semaphore.plugin_api.alerts import WebhookNotifier
from semaphore.plugin_api.settings import setting

# As the original; the waiting colour also marks "waiting for confirmation".
COLOURS = {"success": "good", "error": "danger", "running": "#333CFF", "waiting": "#FFFC33",
           "waiting_confirmation": "#FFFC33", "stopping": "#BEBEBE", "stopped": "#5B5B5B"}


@dataclass
class SlackSettings:
    slack_alert: bool = setting(False, "SEMAPHORE_SLACK_ALERT", "Send Slack alerts.")
    slack_url: str = setting("", "SEMAPHORE_SLACK_URL", "Slack incoming webhook URL.", secret=True)


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Block Kit blocks in an attachment, which keeps the original's status colour bar; ``text``
    and ``fallback`` are what notifications and old clients show."""
    status_line = f"execution #{alert.task_id}, status: {alert.result}!"
    summary = f"{alert.project_name} / {alert.template_name}: {status_line}"
    details = [f"Project: {alert.project_name}", f"Author: {alert.author}"]
    if alert.version:
        details.append(f"Version: {alert.version}")
    if alert.message:
        details.append(f"Message: {alert.message}")
    return {"text": summary, "attachments": [{
        "color": COLOURS.get(alert.status, ""),
        "fallback": summary,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f"*<{alert.url}|Task: {mrkdwn_escape(alert.template_name)}>*\n{mrkdwn_escape(status_line)}")}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn_escape(detail)}
                                             for detail in details]},
        ],
    }]}


def mrkdwn_escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup (links, mentions): the three it asks to escape."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackNotifier(WebhookNotifier):
    channel = "slack"

    def enabled(self, config: Any) -> bool:
        settings = config.plugin_settings(SlackSettings)
        return bool(settings.slack_alert and settings.slack_url)

    def webhook_url(self, config: Any) -> str:
        return str(config.plugin_settings(SlackSettings).slack_url)

    def payload(self, alert: Alert, config: Any) -> dict[str, Any]:
        return slack_payload(alert)


@hookimpl
def register_settings(register):
    register(SlackSettings)


@hookimpl
def register_notifiers(register):
    register(SlackNotifier())
