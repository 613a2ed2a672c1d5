"""Sending an alert to a chat service's webhook: one JSON POST with a timeout, where a non-2xx
answer is a failure and no error message names the URL (webhook URLs and bot tokens are secrets)."""

from semaphore.alerts.http import AlertSendError, post_json

__all__ = ["AlertSendError", "post_json"]
