"""Ansible callback plugin that records per-host outcomes for Semaphore.

Ansible loads it (it needs no enabling) when the executor puts its directory on the callback
plugin path, and it writes one JSON object per line to the file named by ``SEMAPHORE_ANSIBLE_EVENTS``;
without that variable it does nothing. It prints nothing: the log stays ansible's own output.

Lines: ``{"event": "ok"|"failed"|"skipped"|"unreachable", "host", "task", "changed", "ignored",
"msg"}`` as tasks finish, and ``{"event": "stats", "hosts": {host: {ok, changed, failures,
unreachable, skipped, rescued, ignored}}}`` at the end of the playbook.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: semaphore_events
    type: notification
    short_description: records per-host task outcomes for Semaphore
    description:
      - Writes task outcomes and the final per-host stats as JSON lines to $SEMAPHORE_ANSIBLE_EVENTS.
"""

MAX_MESSAGE = 4000
STAT_NAMES = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "semaphore_events"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self) -> None:
        super().__init__()
        path = os.environ.get("SEMAPHORE_ANSIBLE_EVENTS")
        self._out = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 -- open for the whole run

    def _write(self, record: dict) -> None:
        if self._out is not None:
            self._out.write(json.dumps(record, default=str) + "\n")
            self._out.flush()  # a stopped run still leaves what happened so far

    def _task_event(self, event: str, result, **extra) -> None:
        self._write({"event": event, "host": result._host.get_name(), "task": result._task.get_name(),
                     "changed": bool(result._result.get("changed")), **extra})

    def v2_runner_on_ok(self, result) -> None:
        self._task_event("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        self._task_event("failed", result, ignored=bool(ignore_errors), msg=_message(result._result))

    def v2_runner_on_skipped(self, result) -> None:
        self._task_event("skipped", result)

    def v2_runner_on_unreachable(self, result) -> None:
        self._task_event("unreachable", result, msg=_message(result._result))

    def v2_playbook_on_stats(self, stats) -> None:
        hosts = {host: {name: summary.get(name, 0) for name in STAT_NAMES}
                 for host, summary in ((host, stats.summarize(host)) for host in sorted(stats.processed))}
        self._write({"event": "stats", "hosts": hosts})


def _message(result: dict) -> str:
    """The most telling text of a failed result: its msg, else what the module printed."""
    for key in ("msg", "stderr", "module_stderr", "exception", "stdout", "module_stdout"):
        value = result.get(key)
        if value:
            return str(value).strip()[:MAX_MESSAGE]
    return ""
