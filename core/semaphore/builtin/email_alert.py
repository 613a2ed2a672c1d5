"""The ``email`` alert channel (SMTP), built in as in the original."""

from __future__ import annotations

from semaphore import hookimpl
from semaphore.alerts.mail import EmailNotifier


@hookimpl
def register_notifiers(register):
    register(EmailNotifier())
