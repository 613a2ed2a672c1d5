"""The loop of `semaphore runner start`: register if the runner has no token yet, then poll the
server every second, run the jobs it hands over and report their progress, waiting with backoff
while the server is away.

Each poll answer goes to :meth:`JobRunner.handle_poll_answer` (new jobs opened with the runner's
private key and started; the wanted status of current jobs: stop, confirm). Between polls the
outbox's reports go out as PUTs as soon as there are any; a batch is acknowledged only once the
server answered 2xx, so while the server is away the same records are sent again later, with the
same sequence numbers (nothing lost, nothing stored twice). A cache clean the server asks for
removes the cached repository clones once no job runs. With ``runner.one_off`` the runner
takes one job, and exits once it finished and the server has every report of it.

A runner killed and started again within the server's offline timeout polls with the same token,
and the poll answer lists the old process's jobs: each that is active on the server and that this
process does not have is reported ``Lost`` right after the answer, before any report is
acknowledged (see :meth:`JobRunner.lost`), and the server waits for it no more.

The log says what changes, never each attempt: "polling", "server away (why)", "server back".
A refusal ends the loop with an error (a revoked token or a wrong registration token does not
mend by trying again); a stop request (``stop`` set, e.g. by SIGTERM) ends it cleanly, the
running jobs stopped as ``error`` and reported if the server answers.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from semaphore.config import Config
from semaphore.errors import SemaphoreError
from semaphore.runners.backoff import Backoff
from semaphore.runners.client import RunnerClient, ServerAway, ServerRefused
from semaphore.runners.job_runner import JobRunner, installed_registry
from semaphore.runners.leftovers import clean_leftovers
from semaphore.runners.outbox import Outbox, lost_report
from semaphore.runners.registration import installed_apps, read_token, register, runner_files
from semaphore.runners.sealed import read_private_key
from semaphore.version import __version__

log = logging.getLogger("semaphore.runner")

POLL_INTERVAL = 1.0  # seconds between polls while the server answers, as the original
REPORT_GATHER = 0.1  # seconds lines may gather before a PUT: one report per burst, not per line
T = TypeVar("T")


class TokenRefused(SemaphoreError):
    """The server answers 401 to the runner's token: it was removed or revoked."""


class RunnerLoop:
    def __init__(self, config: Config, config_file: Path | None, client: RunnerClient,
                 stop: threading.Event | None = None, backoff: Backoff | None = None) -> None:
        self.config, self.config_file, self.client = config, config_file, client
        self.stop = stop or threading.Event()
        self.backoff = backoff or Backoff()
        self._away: str | None = None  # why the server is away; None while it answers
        self._took_a_job = False  # one-off: the one job was taken
        self._told_apps = False  # the first report tells the server the apps and version
        self._key: X25519PrivateKey | None = None
        self._clean_wanted = False  # the server asked for a cache clean: done once no job runs
        self._lost: list[int] = []  # the last answer's jobs this process does not have: to report
        self._told_lost: set[int] = set()  # logged once each

    def run(self) -> None:
        token = read_token(self.config.runner) or self._register()
        if not token:
            return  # stopped while registering
        jobs = JobRunner(self.config, installed_registry(self.config), Outbox())
        clean_leftovers(jobs.runs_dir)  # an earlier process's runs, if it was killed
        log.info("polling %s every %.0f s", self.client.url, POLL_INTERVAL)
        try:
            while not self.stop.is_set():
                answer = self._while_away(lambda: self._poll(token))
                if answer is None:
                    return
                self.handle_poll_answer(answer, jobs)
                if self._lost and self._while_away(functools.partial(self._report_lost, token)) is None:
                    return
                if not self._report_until(time.monotonic() + POLL_INTERVAL, token, jobs):
                    return
                if self.config.runner.one_off and self._took_a_job and not jobs.outbox.task_ids():
                    log.info("one-off: the job finished and was reported; exiting")
                    return
        finally:
            jobs.shutdown()
            self._last_reports(token, jobs)

    def handle_poll_answer(self, answer: dict[str, Any], jobs: JobRunner) -> None:
        """What the server wants of this runner: new jobs to start, and the wanted status of the
        jobs it runs. A one-off runner takes one job only."""
        taken = answer
        if self.config.runner.one_off:
            new_jobs = answer.get("new_jobs") or []
            taken = {**answer, "new_jobs": [] if self._took_a_job else new_jobs[:1]}
            self._took_a_job = self._took_a_job or bool(taken["new_jobs"])
        jobs.handle_poll_answer(taken, self._private_key())
        self._lost = jobs.lost(answer)  # a job the answer handed over is never lost, taken or not
        self._clean_wanted = self._clean_wanted or answer.get("cleaning_requested") is True
        if self._clean_wanted and not jobs.running_ids():
            jobs.clean_repository_cache()
            self._clean_wanted = False

    def _report_lost(self, token: str) -> bool:
        for task_id in self._lost:
            if task_id not in self._told_lost:
                log.warning("task %s: the server counts it as this runner's, but this process does not run it "
                            "(the runner restarted): reported lost", task_id)
                self._told_lost.add(task_id)
        return self._report(token, lost_report(self._lost))

    def _private_key(self) -> X25519PrivateKey:
        """The key jobs are sealed to, read once (when the first answer comes: a runner can poll,
        and be stopped, without it)."""
        if self._key is None:
            path = runner_files(self.config.runner, self.config_file).private_key_file
            try:
                self._key = read_private_key(path)
            except OSError as exc:
                raise SemaphoreError(f"runner.private_key_file: cannot read {path} ({exc.strerror}); the server "
                                     "seals jobs to the key made at registration: register the runner again") from None
        return self._key

    def _report_until(self, deadline: float, token: str, jobs: JobRunner) -> bool:
        """Send the reports as they come until ``deadline``; False when stopped first."""
        while not self.stop.is_set():
            if not self._send_reports(token, jobs):
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if jobs.outbox.wait(min(remaining, 0.25)):
                self.stop.wait(REPORT_GATHER)
        return False

    def _send_reports(self, token: str, jobs: JobRunner) -> bool:
        """PUT batches until the outbox is empty; False when stopped while the server was away."""
        while batch := jobs.outbox.take():
            body = batch.body()
            if not self._told_apps:
                body.update(apps=installed_apps(self.config), version=__version__)
            if self._while_away(functools.partial(self._report, token, body)) is None:
                return False
            jobs.outbox.acknowledge(batch)
            self._told_apps = True
        return True

    def _last_reports(self, token: str, jobs: JobRunner) -> None:
        """Once, at exit: the final statuses of the jobs stopped by the exit, if the server answers."""
        try:
            while batch := jobs.outbox.take():
                self._report(token, batch.body())
                jobs.outbox.acknowledge(batch)
        except SemaphoreError as exc:
            log.warning("the last reports could not be sent: %s", exc)

    # -- steps -----------------------------------------------------------------------------

    def _register(self) -> str:
        registration_token = self.config.runner.registration_token
        if not registration_token:
            raise SemaphoreError("the runner has no token: register it first with `semaphore runner register`, "
                                 "or set runner.registration_token to register at start")
        log.info("registering with %s", self.client.url)
        registered = self._while_away(lambda: register(self.config, self.config_file, registration_token,
                                                       self.client))
        if registered is None:
            return ""
        log.info("registered as runner %s; token saved to %s", registered.id, registered.files.token_place)
        return registered.token

    def _poll(self, token: str) -> dict[str, Any]:
        try:
            return self.client.poll(token)
        except ServerRefused as exc:
            raise _refused(exc) from None

    def _report(self, token: str, body: dict[str, Any]) -> bool:
        """True once the server stored the report. A report it refuses (400: a fault of this
        runner's) is logged and dropped: sending it again would be refused again."""
        try:
            self.client.report(token, body)
        except ServerRefused as exc:
            if exc.status == 401:
                raise _refused(exc) from None
            log.error("the server refused a progress report, which is dropped: %s", exc)
        return True

    def _while_away(self, attempt: Callable[[], T]) -> T | None:
        """``attempt()``'s result, trying again with backoff while the server is away; None when
        stopped first."""
        while not self.stop.is_set():
            try:
                result = attempt()
            except ServerAway as exc:
                self._note_away(exc.message)
                self.stop.wait(self.backoff.next_delay())
                continue
            self._note_back()
            return result
        return None

    def _note_away(self, why: str) -> None:
        if self._away is None:
            log.warning("server away (%s); trying again with backoff, up to every %.0f s", why, self.backoff.cap)
        else:
            log.debug("server still away (%s)", why)
        self._away = why

    def _note_back(self) -> None:
        if self._away is not None:
            log.info("server back at %s", self.client.url)
        self._away = None
        self.backoff.reset()


def _refused(exc: ServerRefused) -> SemaphoreError:
    if exc.status == 401:
        return TokenRefused("the server refused the runner token (401): the runner was removed or its "
                            "token revoked; register it again with `semaphore runner register`")
    return exc
