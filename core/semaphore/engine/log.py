"""A task's log: lines masked, numbered, stored in batches, then published to live viewers.

Producers (the process's output reader calling :meth:`TaskLog.feed`, the engine calling
:meth:`TaskLog.write`) only split, decode, mask and cut, by the rules of
:mod:`semaphore.engine.log_lines`; a writer thread stores what they produced, many rows per
statement and one commit per batch, and publishes each batch to the websocket hub only after it
is committed. One timestamp per chunk of lines, so a chatty task is stored at hundreds of
thousands of lines per second.

Memory is bounded: when the database falls behind, producers wait (the process then blocks on its
full pipe) instead of buffering without limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from semaphore.db.log_rows import LogRows
from semaphore.db.types import utcnow
from semaphore.engine.log_lines import FEED_SLICE, MAX_LINE, LogLines, cut_marker

if TYPE_CHECKING:
    from semaphore.live import LiveHub
    from semaphore.state import AppState

__all__ = ["FEED_SLICE", "MAX_LINE", "TaskLog", "cut_marker"]  # the line rules, for the log's readers

log = logging.getLogger(__name__)

BATCH_LINES = 10_000  # the writer stores a batch once this many lines wait...
BATCH_DELAY = 0.05  # ...or the oldest waiting line is this many seconds old
MAX_BATCH_LINES = 20_000  # at most this many lines (or bytes below) per batch, i.e. per commit
MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_PENDING_LINES = 50_000  # beyond this many lines (or bytes) waiting, producers wait for the writer
MAX_PENDING_BYTES = 16 * 1024 * 1024
RETRY_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)  # between attempts to store a batch; the last repeats
GIVE_UP_AFTER = 60.0  # seconds of failing attempts after which a batch is dropped (and logged)


@dataclass
class _Chunk:
    """Lines that arrived together: one timestamp, consecutive seqs."""

    stamp: datetime  # UTC
    first_seq: int
    lines: list[str]
    size: int  # characters, for the memory bounds
    arrived: float = field(default_factory=time.monotonic)

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.lines) - 1


class TaskLog(LogLines):
    """Lines of one task's log: masked, numbered, stored in batches, then published.

    Thread-safe: :meth:`write` may be called from another thread than :meth:`feed`. Lines
    continue the numbering (``seq``) after the lines already stored for the task. Call
    :meth:`close` at the end; it stores everything, including a last line without a newline.
    """

    give_up_after = GIVE_UP_AFTER

    def __init__(self, state: AppState, task_id: int, project_id: int, secrets: Iterable[str] = ()) -> None:
        super().__init__(secrets)
        self.task_id = task_id
        self.project_id = project_id
        self._hub: LiveHub = state.live
        self._engine = state.db.engine
        self._rows = LogRows(self._engine.dialect, task_id)
        self._cond = threading.Condition()  # guards everything below
        self._pending: list[_Chunk] = []
        self._pending_lines = 0
        self._pending_bytes = 0
        with self._engine.connect() as conn:
            self._next_seq = self._rows.last_seq(conn) + 1
        self._done_seq = self._next_seq - 1  # every line up to this one is stored (or given up)
        self._flush_wanted = False
        self._closing = False
        self._writer = threading.Thread(target=self._run_writer, name=f"task-log-{task_id}", daemon=True)
        self._writer.start()

    def _append(self, lines: list[str]) -> None:
        if not lines:
            return
        size = sum(map(len, lines))
        with self._cond:
            if self._closing:
                raise RuntimeError(f"the log of task {self.task_id} is closed")
            while ((self._pending_lines >= MAX_PENDING_LINES or self._pending_bytes >= MAX_PENDING_BYTES)
                   and self._writer.is_alive()):
                self._cond.wait(1.0)
            self._pending.append(_Chunk(utcnow(), self._next_seq, lines, size))
            self._next_seq += len(lines)
            self._pending_lines += len(lines)
            self._pending_bytes += size
            self._cond.notify_all()

    # -- waiting for the writer ------------------------------------------------------------------

    def flush(self) -> None:
        """Block until every line logged so far is stored and published."""
        with self._cond:
            target = self._next_seq - 1
            if self._done_seq < target:
                self._flush_wanted = True
                self._cond.notify_all()
            while self._done_seq < target and self._writer.is_alive():
                self._cond.wait(1.0)

    def close(self) -> None:
        """Log a last unfinished line, store everything, stop the writer. Idempotent."""
        if self._writer.is_alive():
            self.end_of_stream()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._writer.join()

    def __enter__(self) -> TaskLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the writer thread -----------------------------------------------------------------------

    def _run_writer(self) -> None:
        while True:
            chunks = self._next_batch()
            if chunks is None:
                return
            try:
                if self._store(chunks):
                    self._hub.publish_log(self.task_id, self.project_id,
                                          [(c.stamp, c.first_seq, c.lines) for c in chunks])
            except Exception:  # never let the writer die: producers would wait for it forever
                log.exception("task %s: the log writer failed on lines %s-%s", self.task_id,
                              chunks[0].first_seq, chunks[-1].last_seq)
            with self._cond:
                self._done_seq = chunks[-1].last_seq
                if not self._pending:
                    self._flush_wanted = False
                self._cond.notify_all()

    def _next_batch(self) -> list[_Chunk] | None:
        """Wait for lines worth a statement (enough of them, old enough, or asked for) and take them."""
        with self._cond:
            while not self._pending:
                if self._closing:
                    return None
                self._cond.wait()
            deadline = self._pending[0].arrived + BATCH_DELAY
            while self._pending_lines < BATCH_LINES and not (self._flush_wanted or self._closing):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            taken, lines, size = 0, 0, 0
            for chunk in self._pending:
                if taken and (lines + len(chunk.lines) > MAX_BATCH_LINES or size + chunk.size > MAX_BATCH_BYTES):
                    break
                taken, lines, size = taken + 1, lines + len(chunk.lines), size + chunk.size
            chunks = self._pending[:taken]
            del self._pending[:taken]
            self._pending_lines -= lines
            self._pending_bytes -= size
            self._cond.notify_all()  # producers waiting for room
            return chunks

    def _store(self, chunks: list[_Chunk]) -> bool:
        """Insert the batch, retrying through database errors; False when it had to be dropped."""
        started = time.monotonic()
        for attempt in range(1_000_000):
            try:
                with self._engine.begin() as conn:
                    self._rows.insert(conn, [(c.first_seq, c.stamp, c.lines) for c in chunks])
                return True
            except IntegrityError as exc:  # the task is gone (deleted with its project): retrying cannot help
                self._report_lost(chunks, exc)
                return False
            except Exception as exc:
                if time.monotonic() - started > self.give_up_after:
                    self._report_lost(chunks, exc)
                    return False
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                log.warning("task %s: storing log lines %s-%s failed, retrying in %s s: %s", self.task_id,
                            chunks[0].first_seq, chunks[-1].last_seq, delay, _reason(exc))
                time.sleep(delay)
        return False  # pragma: no cover

    def _report_lost(self, chunks: list[_Chunk], exc: BaseException) -> None:
        log.error("task %s: log lines %s-%s (%s lines) could not be stored and are lost: %s", self.task_id,
                  chunks[0].first_seq, chunks[-1].last_seq, sum(len(c.lines) for c in chunks), _reason(exc))


def _reason(exc: BaseException) -> str:
    """The driver's message, without the statement and its parameters (the log lines)."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    return (message.splitlines() or [type(exc).__name__])[0][:500]
