"""A third-party notifier for the tests: channel ``pager``, with two per-project settings that are
no project column (a routing key, and a severity chosen from options). It sends an alert only
when the project has a routing key, and keeps what it sent in ``PagerNotifier.sent``.

Its directory also holds its ``*.dist-info``: a server started with the directory on PYTHONPATH
loads it through its entry point, as it loads a pip-installed plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from semaphore import Alert, Notifier, TemplateField, hookimpl

DIRECTORY = Path(__file__).parent


class PagerNotifier(Notifier):
    channel = "pager"
    project_fields = (
        TemplateField("routing_key", "Pager routing key", help="The pager service this project's alerts go to."),
        TemplateField("severity", "Pager severity", options=(("critical", "Critical"), ("warning", "Warning"))),
    )

    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def enabled(self, config: Any) -> bool:
        return True

    def accepts(self, alert: Alert, config: Any) -> bool:
        return bool(alert.settings.get("routing_key"))

    def send(self, alert: Alert, config: Any) -> None:
        self.sent.append(alert)


@hookimpl
def register_notifiers(register):
    register(PagerNotifier())
