"""An example plugin with settings of its own: task alerts as one small JSON message, posted to
``json_alert_url`` for the statuses in ``json_alert_statuses``.

It imports from the core only what the plugins' front door offers: ``semaphore`` and
``semaphore.plugin_api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from semaphore import Alert, hookimpl
from semaphore.plugin_api.alerts import WebhookNotifier
from semaphore.plugin_api.errors import ConfigError
from semaphore.plugin_api.settings import setting

#: The statuses the core sends alerts for.
STATUSES = ("success", "error", "waiting_confirmation")


@dataclass
class JsonAlertSettings:
    # Each field is a config.json key, prefixed with the plugin's name; setting() gives its
    # default, its variable and its line in the configuration reference.
    json_alert_url: str = setting("", "SEMAPHORE_JSON_ALERT_URL",
                                  "Where alerts are posted as JSON; empty: no alerts.", secret=True)
    json_alert_statuses: list[str] = setting(["error"], "SEMAPHORE_JSON_ALERT_STATUSES",
                                             "Statuses that send an alert (JSON or comma-separated): "
                                             "success, error, waiting_confirmation.")
    json_alert_title: str = setting("Semaphore", "SEMAPHORE_JSON_ALERT_TITLE", "First words of every alert.")

    def validate(self) -> None:
        """Checks beyond the types: run when the settings are loaded, so a typo stops the start."""
        unknown = sorted(set(self.json_alert_statuses) - set(STATUSES))
        if unknown:
            raise ConfigError(f"json_alert_statuses: {', '.join(unknown)} is not one of {', '.join(STATUSES)}")


class JsonAlertNotifier(WebhookNotifier):
    channel = "json"

    def enabled(self, config: Any) -> bool:
        return bool(config.plugin_settings(JsonAlertSettings).json_alert_url)

    def accepts(self, alert: Alert, config: Any) -> bool:
        return alert.status in config.plugin_settings(JsonAlertSettings).json_alert_statuses

    def webhook_url(self, config: Any) -> str:
        return str(config.plugin_settings(JsonAlertSettings).json_alert_url)

    def payload(self, alert: Alert, config: Any) -> dict[str, Any]:
        title = config.plugin_settings(JsonAlertSettings).json_alert_title
        return {"text": f"{title}: {alert.project_name} / {alert.template_name} #{alert.task_id} {alert.status}",
                "status": alert.status, "task_id": alert.task_id, "url": alert.url}


@hookimpl
def register_settings(register):
    register(JsonAlertSettings)


@hookimpl
def register_notifiers(register):
    register(JsonAlertNotifier())
