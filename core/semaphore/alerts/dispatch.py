"""Alerts go out in the background, from the database: :meth:`AlertDispatcher.submit` stores one
outbox row per channel (semaphore.alerts.outbox) and wakes this process's sender thread; every
server process runs one, so an alert whose sender stopped or died is sent by another.

A task never waits for an alert. The sender claims one due row at a time, among the channels
enabled here (a channel no process has waits, and is given up after :attr:`AlertDispatcher.unsent_days`).
Each alert gets one quick retry after a short delay, then later attempts with growing pauses
(:attr:`AlertDispatcher.later_attempts`), then is given up. The outcome lines go to the server
log and, for a finished task, to the task's log, written by the process that sent. Reasons are
masked with the server's secrets (webhook URLs, tokens, the SMTP password) and the channel's
project settings before they reach any log or row. The sender needs no Flask app context.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from semaphore.alerts import outbox
from semaphore.db.types import utcnow
from semaphore.errors import DecryptionError
from semaphore.interfaces import Alert, Notifier

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)

ALERTS_TOPIC = "alerts"  # the cluster bus's topic: an alert was stored
MIN_SECRET_LENGTH = 8  # shorter project settings of a channel (a tone, a severity) are not masked

#: Writes outcome lines to a task's log: ``report(task_id, project_id, lines)``.
Reporter = Callable[[int, int, list[str]], None]


@dataclass
class AlertJob:
    alert: Alert
    notifiers: list[Notifier]
    #: Whether the outcome lines go to the task's log too (the task has finished), not only the server log.
    to_task_log: bool = False
    #: The project's notifier settings of every channel, ``{channel: {field: value}}``.
    settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def alert_for(self, notifier: Notifier) -> Alert:
        """The alert as ``notifier`` gets it: a copy whose ``settings`` are its own channel's."""
        return replace(self.alert, settings=dict(self.settings.get(notifier.channel, {})))


class AlertDispatcher:
    """This process's sender of the alert outbox, in a daemon thread."""

    retry_delay: float = 2.0  # seconds before the quick retry of a failed first send
    #: Seconds after the quick retry failed until each later attempt; then the alert is given up.
    later_attempts: tuple[float, ...] = (60.0, 300.0, 1800.0, 7200.0)
    #: How long a claimed row is this process's: longer than one send may take (http.TIMEOUT is
    #: 10 s); renewed before the quick retry. A process that died leaves its row this long.
    lease_seconds: float = 30.0
    poll_seconds: float = 2.0  # looks for rows due by their retry time, or left by other processes
    keep_days: float = 7.0  # finished rows are deleted after this
    unsent_days: float = 1.0  # rows of a channel no process sends are given up after this
    prune_every: float = 3600.0

    def __init__(self, state: AppState, report: Reporter | None = None) -> None:
        self.state = state
        self.report = report
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._progress = threading.Condition()  # guards the two counters below
        self._submitted = 0  # submits so far
        self._idle_after = -1  # the sender found nothing due after this many submits
        self._failing = False  # the last round failed (logged once)
        self._thread = threading.Thread(target=self._run, name="semaphore-alerts", daemon=True)

    @property
    def max_attempts(self) -> int:
        return 2 + len(self.later_attempts)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> AlertDispatcher:
        log.info("alert sender of node %s started", self.state.node_id)
        self.state.bus.subscribe(ALERTS_TOPIC, lambda _message: self.wake())  # stored by another node
        self._thread.start()
        return self

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop after the send in progress; a row still being sent when ``timeout`` ran out is
        left to the lease (another process, or this one's next start, sends it)."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def submit(self, job: AlertJob) -> None:
        """Store ``job`` in the outbox, one row per notifier, and wake the sender."""
        with self.state.db.session() as db:
            outbox.store(db, self.state.secrets, [(n.channel, job.alert_for(n)) for n in job.notifiers],
                         job.to_task_log, utcnow())
        with self._progress:
            self._submitted += 1
        self.wake()
        self.state.bus.publish(ALERTS_TOPIC, {})  # nodes that send a channel this one lacks look now

    def wake(self) -> None:
        """Look for due alerts now (one was stored here, or by a process that does not send its
        channel); without a wake-up the sender looks every :attr:`poll_seconds`."""
        self._wake.set()

    def join(self, timeout: float = 60.0) -> None:
        """Wait until the sender found nothing due after every alert submitted so far (tests);
        alerts waiting for a later attempt do not count."""
        with self._progress:
            target = self._submitted
            if not self._progress.wait_for(lambda: self._idle_after >= target, timeout):
                raise TimeoutError(f"alerts still being sent after {timeout} s")

    # -- the sender -------------------------------------------------------------------------

    def _run(self) -> None:
        next_prune = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            with self._progress:
                submitted = self._submitted
            try:
                sent = self._send_next()
                if not sent and time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + self.prune_every
                    self._prune()
            except Exception:  # a bug or a database outage must not end the sender
                sent = False
                if not self._failing:  # once per outage, not every poll
                    log.exception("the alert sender failed; trying again every %g s", self.poll_seconds)
                self._failing = True
            else:
                if self._failing:
                    log.info("the alert sender works again")
                self._failing = False
            if sent:
                continue
            with self._progress:
                self._idle_after = max(self._idle_after, submitted)
                self._progress.notify_all()
            self._wake.wait(self.poll_seconds)

    def _notifiers(self) -> dict[str, Notifier]:
        """The channels this process sends: installed here and enabled by its configuration."""
        found = {}
        for channel, notifier in self.state.registry.notifiers.items():
            try:
                if notifier.enabled(self.state.config):
                    found[channel] = notifier
            except Exception:
                log.exception("notifier %s: cannot tell whether it is enabled", channel)
        return found

    def _send_next(self) -> bool:
        """Claim, send and record one due row; False when none was due."""
        notifiers = self._notifiers()
        with self.state.db.session() as db:
            claimed = outbox.claim(db, self.state.node_id, notifiers, self._lease, utcnow())
        if claimed is None:
            return False
        self._deliver(claimed, notifiers[claimed.channel])
        return True

    def _deliver(self, claimed: outbox.Claimed, notifier: Notifier) -> None:
        try:
            alert, to_task_log = outbox.decode_payload(self.state.secrets, claimed.payload)
        except DecryptionError:
            self._record(claimed, claimed.attempts, "cannot decrypt the alert: the servers' access_key_encryption "
                         "differs or changed", retry_in=None)
            log.error("alert %s (%s): cannot decrypt it; given up", claimed.id, claimed.channel)
            return
        # A project's setting of the channel may be a secret (a routing key, a webhook of its own).
        mask = self._masker(v for v in alert.settings.values() if len(v) >= MIN_SECRET_LENGTH)
        first = attempt = claimed.attempts + 1
        error = self._try(notifier, alert, mask)
        if error is not None and attempt == 1:
            log.warning("task %s: %s alert failed (%s), retrying", alert.task_id, claimed.channel, error)
            if self._stopping.wait(self.retry_delay) or not self._renew(claimed):
                # Stopping (or the lease is gone): the next attempt is due at once, on any process.
                self._record(claimed, attempt, error, retry_in=0.0, alert=(alert, to_task_log))
                return
            attempt += 1
            error = self._try(notifier, alert, mask)
        retry_in = None if error is None else self._pause_after(attempt)
        self._record(claimed, attempt, error, retry_in=retry_in, alert=(alert, to_task_log))
        lines = self._outcome(claimed.channel, alert.task_id, first, attempt, error, retry_in)
        if to_task_log and claimed.task_id is not None and self.report is not None:
            try:
                self.report(claimed.task_id, alert.project_id, lines)
            except Exception:
                log.exception("task %s: the alert's outcome could not be written to its log", claimed.task_id)

    def _outcome(self, channel: str, task_id: int, first: int, attempt: int, error: str | None,
                 retry_in: float | None) -> list[str]:
        """The outcome, logged; its lines for the task's log."""
        lines = [f"Sending {channel} alert" + (f" (attempt {first} of {self.max_attempts})" if first > 1 else "")]
        if error is None:
            log.info("task %s: %s alert sent", task_id, channel)
            return [*lines, f"{channel} alert sent"]
        lines.append(f"{channel} alert failed: {error}")
        if retry_in is not None:
            log.warning("task %s: %s alert failed: %s; trying again in %s", task_id, channel, error,
                        _duration(retry_in))
            return [*lines, f"{channel} alert: trying again in {_duration(retry_in)}"]
        log.error("task %s: %s alert failed: %s; given up after %d attempts", task_id, channel, error, attempt)
        return [*lines, f"{channel} alert given up after {attempt} attempts"]

    def _try(self, notifier: Notifier, alert: Alert, mask: Callable[[str], str]) -> str | None:
        """None when sent; else the masked reason."""
        try:
            notifier.send(alert, self.state.config)
            return None
        except Exception as exc:
            return mask(str(exc) or type(exc).__name__)

    def _pause_after(self, attempts: int) -> float | None:
        """Seconds until the next attempt after ``attempts`` failed ones; None: give up."""
        later = attempts - 2  # the first two are the send and its quick retry
        return self.later_attempts[later] if 0 <= later < len(self.later_attempts) else None

    def _renew(self, claimed: outbox.Claimed) -> bool:
        with self.state.db.session() as db:
            return outbox.renew(db, claimed, self.state.node_id, self._lease, utcnow())

    def _record(self, claimed: outbox.Claimed, attempts: int, error: str | None, *, retry_in: float | None,
                alert: tuple[Alert, bool] | None = None) -> None:
        """Sent (no ``error``), due again in ``retry_in`` seconds, or given up (``retry_in`` None);
        a retried ``alert`` is stored again with what its notifier keeps in ``extra``."""
        now = utcnow()
        with self.state.db.session() as db:
            if error is None:
                held = outbox.sent(db, claimed, self.state.node_id, attempts, now)
            else:
                retry_at = None if retry_in is None else now + timedelta(seconds=retry_in)
                payload = self._payload(*alert) if alert is not None and retry_at is not None else None
                held = outbox.failed(db, claimed, self.state.node_id, attempts, error, retry_at, now, payload)
        if not held:
            log.warning("alert %s (%s): the lease ran out during the send; another process may send it again",
                        claimed.id, claimed.channel)

    def _payload(self, alert: Alert, to_task_log: bool) -> str | None:
        try:
            return outbox.encode_payload(self.state.secrets, alert, to_task_log)
        except (TypeError, ValueError):
            log.warning("task %s: a notifier kept a value that is not JSON in the alert; later attempts start afresh",
                        alert.task_id)
            return None

    def _prune(self) -> None:
        now = utcnow()
        with self.state.db.session() as db:
            deleted, given_up = outbox.prune(db, now - timedelta(days=self.keep_days),
                                             now - timedelta(days=self.unsent_days), now)
        if given_up:
            log.error("%d alerts given up: no server process sends their channel", given_up)
        if deleted:
            log.info("%d sent or given-up alerts older than %g days deleted", deleted, self.keep_days)

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def _masker(self, extra: Iterable[str]) -> Callable[[str], str]:
        secrets = sorted({s for s in [*self.state.config.secret_values(), *extra] if s}, key=len, reverse=True)

        def mask(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, "********")
            return text
        return mask


def _duration(seconds: float) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{seconds:g} seconds"
