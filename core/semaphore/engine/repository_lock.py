"""One holder per repository cache at a time, across threads and server processes.

Within a process a thread lock (a waiter wakes the moment it is free); across processes a flock on
``<root>/<repository_id>.lock``, which the kernel releases when its holder dies.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from semaphore.engine.git_command import CheckoutError

POLL_INTERVAL = 0.02  # seconds between flock attempts while another process holds it


class RepositoryLocks:
    def __init__(self, root: Path, timeout: float) -> None:
        self.root = root
        self.timeout = timeout
        self._thread_locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, repository_id: int, log: Callable[[str], None]) -> Iterator[None]:
        """Wait (logging once that it waits) until no one else holds the repository, at most the
        timeout, then hold it for the ``with`` block. Raises :class:`CheckoutError` on timeout."""
        with self._guard:
            thread_lock = self._thread_locks.setdefault(repository_id, threading.Lock())
        if not thread_lock.acquire(blocking=False):
            log("Waiting for another task to finish with this repository")
            if not thread_lock.acquire(timeout=self.timeout):
                raise self._busy()
        try:
            fd = os.open(self.root / f"{repository_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                self._flock(fd, log)
                yield
            finally:
                os.close(fd)  # releases the flock
        finally:
            thread_lock.release()

    def _flock(self, fd: int, log: Callable[[str], None]) -> None:
        deadline = time.monotonic() + self.timeout
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise self._busy() from None
                if not waiting:
                    log("Waiting for another server process to finish with this repository")
                    waiting = True
                time.sleep(POLL_INTERVAL)

    def _busy(self) -> CheckoutError:
        return CheckoutError(f"the repository was busy for longer than {self.timeout:g} s")
