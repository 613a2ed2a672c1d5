"""A job's log on a runner: lines cut and masked by the engine's rules, kept as numbered records
in the job's outbox until the server has them (see :mod:`semaphore.runners.outbox`)."""

from __future__ import annotations

from collections.abc import Iterable

from semaphore.engine.log_lines import LogLines
from semaphore.engine.process import StopSignal
from semaphore.runners.outbox import JobOutbox

__all__ = ["OutboxLog"]


class OutboxLog(LogLines):
    """While the server is away the outbox fills and the log waits (the process blocks on its
    pipe), except once the job is asked to stop: then its last lines are kept beyond the bound."""

    def __init__(self, outbox: JobOutbox, stop: StopSignal, secrets: Iterable[str] = ()) -> None:
        super().__init__(secrets)
        self.outbox = outbox
        self.stop = stop

    def _append(self, lines: list[str]) -> None:
        self.outbox.add_lines(lines, give_way=self.stop.is_set)
