"""The loop of `semaphore runner start`: register if the runner has no token yet, then poll the
server, waiting with backoff while it is away.

The log says what changes, never each attempt: "polling", "server away (why)", "server back".
A refusal ends the loop with an error (a revoked token or a wrong registration token does not
mend by trying again); a stop request (``stop`` set, e.g. by SIGTERM) ends it cleanly.

What a poll answer asks for is :meth:`RunnerLoop.handle_poll_answer`'s business: the one place
where running the jobs it brings plugs in. Until it does, the runner says so for each new job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from semaphore.config import Config
from semaphore.errors import SemaphoreError
from semaphore.runners.backoff import Backoff
from semaphore.runners.client import RunnerClient, ServerAway, ServerRefused
from semaphore.runners.registration import read_token, register

log = logging.getLogger("semaphore.runner")

POLL_INTERVAL = 1.0  # seconds between polls while the server answers, as the original
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
        self._jobs_seen: set[int] = set()

    def run(self) -> None:
        token = read_token(self.config.runner) or self._register()
        if not token:
            return  # stopped while registering
        log.info("polling %s every %.0f s", self.client.url, POLL_INTERVAL)
        while not self.stop.is_set():
            answer = self._while_away(lambda: self._poll(token))
            if answer is None:
                return
            self.handle_poll_answer(answer)
            self.stop.wait(POLL_INTERVAL)

    def handle_poll_answer(self, answer: dict[str, Any]) -> None:
        """What the server wants of this runner: new jobs to start, and the wanted status of the
        jobs it runs. Jobs are not run by this runner yet: each new one is reported once."""
        for job in answer.get("new_jobs") or []:
            task_id = job.get("task_id") if isinstance(job, dict) else None
            if isinstance(task_id, int) and task_id not in self._jobs_seen:
                self._jobs_seen.add(task_id)
                log.warning("job for task %d received; this runner does not run jobs yet", task_id)

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
            if exc.status == 401:
                raise TokenRefused("the server refused the runner token (401): the runner was removed or its "
                                   "token revoked; register it again with `semaphore runner register`") from None
            raise

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
