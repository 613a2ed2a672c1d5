"""The base of notifiers that post one JSON message per alert to a URL (Slack, Microsoft Teams,
Rocket.Chat, Telegram's Bot API): a channel only says where to post and what."""

from __future__ import annotations

from typing import Any

from semaphore.alerts.http import post_json
from semaphore.interfaces import Alert, Notifier


class WebhookNotifier(Notifier):
    """Sends an alert as one JSON POST: a timeout, a non-2xx answer is a failure, and errors never
    name the URL (webhook URLs and bot tokens are secrets).

    Subclasses set ``channel`` and implement :meth:`enabled`, :meth:`webhook_url` and
    :meth:`payload`.
    """

    def webhook_url(self, config: Any) -> str:
        """Where this channel posts (usually one of its plugin's settings)."""
        raise NotImplementedError

    def payload(self, alert: Alert, config: Any) -> Any:
        """The JSON message for ``alert``."""
        raise NotImplementedError

    def send(self, alert: Alert, config: Any) -> None:
        post_json(self.webhook_url(config), self.payload(alert, config))
