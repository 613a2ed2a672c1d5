"""Running one task process: its own process group, output to the task log, stop and timeout.

Output is read in chunks as it comes (never line by line through Python's buffered IO) and handed
to the log, which splits and stores it. A process that asks questions (``ProcessSpec.answers``)
runs on a pseudo-terminal so that tools which only prompt on a terminal (ansible's vault and SSH
passwords) can be answered.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from semaphore.engine.isolation import Isolation
from semaphore.execution import ProcessSpec, TaskStopped

READ_SIZE = 65536
POLL_SECONDS = 0.2
# Tools write one line per write(2); after a short read, let more output gather before the next
# one. A million-line task then costs ~1,000 wake-ups instead of ~80,000, for 5 ms of latency.
GATHER_SECONDS = 0.005
# After the process exits, a descendant that left the group may still hold the output open.
DRAIN_SECONDS = 2.0


class OutputSink(Protocol):
    def feed(self, data: bytes) -> None: ...
    def end_of_stream(self) -> None: ...
    def write(self, line: str) -> None: ...


@dataclass
class StopRequest:
    reason: str
    graceful: bool  # False: kill at once
    status: str  # the status the task ends in: stopped, or error for a timeout


class StopSignal:
    """Set by the engine (a user stopped the task, or it ran too long); watched by the reader."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.request: StopRequest | None = None

    def set(self, request: StopRequest) -> None:
        if self.request is None or (self.request.graceful and not request.graceful):
            self.request = request
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


def run(spec: ProcessSpec, env: Mapping[str, str], sink: OutputSink, stop: StopSignal, *,
        grace_seconds: float, isolation: Isolation, started: Callable[[int], None] | None = None) -> int:
    """Run ``spec`` to the end and return its exit code; raise TaskStopped when ``stop`` fires
    (the whole process group gets SIGTERM, then SIGKILL after ``grace_seconds``). ``started`` is
    told the new process group's id (a runner records it, to end it after a crash)."""
    argv, cwd, full_env = isolation.wrap(spec.argv, spec.cwd, {**env, **spec.env})
    if stop.is_set():
        raise TaskStopped(_reason(stop))
    use_pty = bool(spec.answers)
    reader_fd, child_out = pty.openpty() if use_pty else os.pipe()
    try:
        process = subprocess.Popen(  # noqa: S603 -- argv comes from the executor, never a shell string
            argv, cwd=cwd, env=full_env, stdin=child_out if use_pty else subprocess.DEVNULL,
            stdout=child_out, stderr=child_out, start_new_session=True, close_fds=True,
            **isolation.popen_kwargs())
    except OSError as exc:
        os.close(reader_fd)
        os.close(child_out)
        sink.write(f"Cannot start {argv[0]}: {exc.strerror or exc}")
        return 127
    os.close(child_out)
    if started is not None:
        started(process.pid)
    try:
        return _pump(process, reader_fd, sink, stop, grace_seconds, spec.answers)
    finally:
        os.close(reader_fd)


def _pump(process: subprocess.Popen[bytes], fd: int, sink: OutputSink, stop: StopSignal,
          grace_seconds: float, answers: Mapping[str, str]) -> int:
    prompts = _PromptAnswerer(fd, answers) if answers else None
    kill_at: float | None = None
    exited_at: float | None = None
    while True:
        ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
        if ready:
            try:
                data = os.read(fd, READ_SIZE)
            except OSError:  # a pty reports EIO once the child side is closed
                data = b""
            if not data:
                break
            sink.feed(data)
            if prompts is not None:
                prompts.see(data)
            elif len(data) < READ_SIZE:
                time.sleep(GATHER_SECONDS)
        if stop.is_set() and kill_at is None:
            request = stop.request
            _signal_group(process, signal.SIGTERM if request is None or request.graceful else signal.SIGKILL)
            kill_at = time.monotonic() + (grace_seconds if request is None or request.graceful else 0)
        if kill_at is not None and time.monotonic() >= kill_at and process.poll() is None:
            _signal_group(process, signal.SIGKILL)
        if process.poll() is not None:
            exited_at = exited_at or time.monotonic()
            if time.monotonic() - exited_at > DRAIN_SECONDS:
                break
    sink.end_of_stream()
    code = process.wait()
    if stop.is_set():
        _signal_group(process, signal.SIGKILL)  # descendants that ignored SIGTERM
        raise TaskStopped(_reason(stop))
    return code


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _reason(stop: StopSignal) -> str:
    return stop.request.reason if stop.request else "stopped"


class _PromptAnswerer:
    """Writes the answer when the current (unfinished) output line starts with a known prompt."""

    def __init__(self, fd: int, answers: Mapping[str, str]) -> None:
        self.fd = fd
        self.answers = dict(answers)
        self.current = ""

    def see(self, data: bytes) -> None:
        self.current = (self.current + data.decode("utf-8", "replace")).rsplit("\n", 1)[-1][-4096:]
        stripped = self.current.strip()
        for prompt, answer in self.answers.items():
            if stripped.startswith(prompt):
                os.write(self.fd, (answer + "\n").encode())
                self.current = ""
                return
