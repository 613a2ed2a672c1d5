"""Task alerts to Slack (channel ``slack``): the original's attachment message, posted as JSON
to the incoming-webhook URL ``slack_url`` when ``slack_alert`` is on. See docs/alerts.md.

Importing this package stays cheap: it uses the standard library only.
"""

from __future__ import annotations

from typing import Any

from semaphore import hookimpl
from semaphore.interfaces import Alert, Notifier

# As the original; the waiting colour also marks "waiting for confirmation".
COLOURS = {"success": "good", "error": "danger", "running": "#333CFF", "waiting": "#FFFC33",
           "waiting_confirmation": "#FFFC33", "stopping": "#BEBEBE", "stopped": "#5B5B5B"}


def slack_payload(alert: Alert) -> dict[str, Any]:
    fields = [{"title": "Author", "value": alert.author, "short": True}]
    if alert.version:
        fields.append({"title": "Version", "value": alert.version, "short": True})
    return {"attachments": [{
        "title": f"Task: {alert.template_name}",
        "title_link": alert.url,
        "text": f"execution #{alert.task_id}, status: {alert.result}!",
        "color": COLOURS.get(alert.status, ""),
        "mrkdwn_in": ["text"],
        "fields": fields,
    }]}


class SlackNotifier(Notifier):
    channel = "slack"

    def enabled(self, config: Any) -> bool:
        return bool(config.slack_alert and config.slack_url)

    def send(self, alert: Alert, config: Any) -> None:
        from semaphore.alerts.http import post_json

        post_json(config.slack_url, slack_payload(alert))


@hookimpl
def register_notifiers(register):
    register(SlackNotifier())
