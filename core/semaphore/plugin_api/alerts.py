"""Alert channels that post one JSON message per alert to a webhook: a timeout, a non-2xx answer is
a failure, and no error message names the URL (webhook URLs and bot tokens are secrets)."""

from semaphore.alerts.webhook import WebhookNotifier

__all__ = ["WebhookNotifier"]
