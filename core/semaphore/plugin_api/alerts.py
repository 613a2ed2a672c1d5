"""Sending an alert to a chat service's webhook: one JSON POST with a timeout, where a non-2xx
answer is a failure and no error message names the URL (webhook URLs and bot tokens are secrets).
A channel that posts one JSON message per alert subclasses :class:`WebhookNotifier` and says only
where and what."""

from semaphore.alerts.http import AlertSendError, post_json
from semaphore.alerts.webhook import WebhookNotifier

__all__ = ["AlertSendError", "WebhookNotifier", "post_json"]
