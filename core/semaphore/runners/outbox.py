"""What a runner has to tell the server, kept until the server confirmed it.

Each running job writes into its :class:`JobOutbox`: log lines (numbered from the job's
``log_seq``, in chunks of lines that arrived together, with one RFC 3339 time each), status
changes, the commit and per-host results, in the order the run made them. The poll loop takes a
:class:`Batch`, PUTs :meth:`Batch.body` and, only when the server answered that it stored it, calls
:meth:`Outbox.acknowledge`; until then the same lines stay and a retried PUT sends them again
with the same sequence numbers (the server skips those it has), so a line is never lost nor
stored twice::

    batch = outbox.take()
    if batch:
        put("/api/internal/runners", batch.body())  # raises: nothing is acknowledged, sent again later
        outbox.acknowledge(batch)

Lines go as ``LogChunks`` (``{"seq": first, "time": ..., "lines": [...]}``): a line costs its text
and little more on the wire and on both ends, where one object per line cost more than the
database does.

Order is kept across kinds: a status (or commit, or host results) goes in a batch only with every
log line made before it, and a batch carries at most one of each (the server stores a batch's
lines before it applies its status), so the server sees ``waiting_confirmation`` after the
plan it asks about and the final status after the last line. A job leaves the outbox once its final
status is acknowledged. Memory is bounded: a job whose unacknowledged lines pass
:data:`MAX_PENDING_LINES` or :data:`MAX_PENDING_BYTES` waits (its process blocks on its full pipe)
until the server takes some.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Batch", "JobOutbox", "LogChunk", "Outbox", "lost_report", "rfc3339_now"]

MAX_BATCH_LINES = 50_000  # log lines in one PUT (all jobs)...
MAX_BATCH_BYTES = 4 * 1024 * 1024  # ...and characters of them; a batch holds at least one line
MAX_PENDING_LINES = 150_000  # unacknowledged lines of one job beyond which its log waits
MAX_PENDING_BYTES = 16 * 1024 * 1024
WAIT_SLICE = 0.5  # seconds between looks at ``give_way`` while a log waits for room

STATUS, COMMIT, HOST_RESULTS = "Status", "Commit", "HostResults"  # the PUT's field names
LOST = "Lost"  # true: a job this runner process does not have (an earlier process of it took it)


def rfc3339_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LogChunk:
    """Consecutive lines that arrived together."""

    seq: int  # the first line's
    time: str  # RFC 3339, UTC
    lines: Sequence[str]  # masked and cut like every log line
    size: int  # characters, for the bounds

    @property
    def end(self) -> int:
        """The seq after the last line."""
        return self.seq + len(self.lines)

    def part(self, start: int, stop: int) -> LogChunk:
        """The lines numbered ``start`` up to (not including) ``stop``."""
        lines = self.lines[start - self.seq:stop - self.seq]
        return LogChunk(start, self.time, lines, sum(map(len, lines)))

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "lines": list(self.lines)}


@dataclass(frozen=True)
class _Event:
    """A report other than a log line, placed between the log lines made before and after it."""

    number: int
    kind: str  # STATUS, COMMIT or HOST_RESULTS
    value: Any  # its JSON value
    before_seq: int  # the seq of the first log line made after it


class JobOutbox:
    """One job's unacknowledged reports. Made by :meth:`Outbox.open`; thread-safe."""

    def __init__(self, outbox: Outbox, task_id: int, first_seq: int) -> None:
        self.task_id = task_id
        self._outbox = outbox
        self._cond = outbox._cond
        self._chunks: deque[LogChunk] = deque()  # the first starts at the first unacknowledged line
        self._pending_lines = 0
        self._pending_bytes = 0
        self._next_seq = first_seq
        self._events: list[_Event] = []
        self._event_numbers = 0
        self.acknowledged_status: str | None = None  # the last status the server confirmed
        self.finished = False  # the final status was reported: nothing follows

    # -- the run's side --------------------------------------------------------------------------

    def add_lines(self, lines: Sequence[str], give_way: Callable[[], bool] = lambda: False) -> None:
        """Log lines, numbered on; waits while too much is unacknowledged, unless ``give_way``
        says to go on (a stop request must not wait for the server)."""
        if not lines:
            return
        chunk_time = rfc3339_now()
        with self._cond:
            while ((self._pending_lines >= MAX_PENDING_LINES or self._pending_bytes >= MAX_PENDING_BYTES)
                   and not give_way()):
                self._cond.wait(WAIT_SLICE)
            chunk = LogChunk(self._next_seq, chunk_time, list(lines), sum(map(len, lines)))
            self._chunks.append(chunk)
            self._next_seq = chunk.end
            self._pending_lines += len(chunk.lines)
            self._pending_bytes += chunk.size
            self._cond.notify_all()

    def status(self, status: str) -> None:
        self._add(STATUS, str(status))

    def commit(self, commit_hash: str, message: str) -> None:
        self._add(COMMIT, {"hash": commit_hash, "message": message})

    def host_results(self, results: Sequence[Mapping[str, Any]]) -> None:
        """Replaces what was reported before (the server keeps the last list)."""
        self._add(HOST_RESULTS, [dict(result) for result in results])

    def finish(self, status: str) -> None:
        """The final status, after every other report of the job."""
        with self._cond:
            self._add(STATUS, str(status))
            self.finished = True

    @property
    def next_seq(self) -> int:
        with self._cond:
            return self._next_seq

    def pending(self) -> bool:
        with self._cond:
            return bool(self._chunks or self._events)

    def _add(self, kind: str, value: Any) -> None:
        with self._cond:
            if self.finished:
                raise RuntimeError(f"the reports of task {self.task_id} are finished")
            self._event_numbers += 1
            self._events.append(_Event(self._event_numbers, kind, value, self._next_seq))
            self._cond.notify_all()

    # -- the poll loop's side (called with the outbox's lock held) --------------------------------

    def _entry(self, budget: _Budget) -> tuple[dict[str, Any], _Taken] | None:
        """What this job puts in the next batch, in order, within ``budget``; None for nothing."""
        parts: list[LogChunk] = []
        taken = _Taken(self.task_id)
        entry: dict[str, Any] = {"ID": self.task_id}
        chunks = iter(self._chunks)
        chunk = next(chunks, None)

        def take_lines_before(seq: int | None) -> None:
            # An event's seq is a chunk's boundary: lines are added in whole chunks.
            nonlocal chunk
            while chunk is not None and (seq is None or chunk.seq < seq):
                count = budget.fit(chunk)
                if count:
                    part = chunk if count == len(chunk.lines) else chunk.part(chunk.seq, chunk.seq + count)
                    parts.append(part)
                    budget.spend(part)
                if count < len(chunk.lines):
                    return  # the batch is full
                chunk = next(chunks, None)

        for event in self._events:
            take_lines_before(event.before_seq)
            if (chunk is not None and chunk.seq < event.before_seq) or event.kind in entry:
                break  # the batch is full before this report, or already carries one of its kind
            entry[event.kind] = event.value
            taken.events.add(event.number)
        else:
            take_lines_before(None)
        if parts:
            entry["LogChunks"] = [part.as_json() for part in parts]
            taken.last_seq = parts[-1].end - 1
        return (entry, taken) if len(entry) > 1 else None

    def _acknowledge(self, taken: _Taken) -> None:
        if taken.last_seq is not None:
            while self._chunks and self._chunks[0].seq <= taken.last_seq:
                head = self._chunks.popleft()
                rest = head.part(taken.last_seq + 1, head.end) if head.end - 1 > taken.last_seq else None
                if rest is not None:
                    self._chunks.appendleft(rest)
                self._pending_lines -= len(head.lines) - (len(rest.lines) if rest else 0)
                self._pending_bytes -= head.size - (rest.size if rest else 0)
        for event in self._events:
            if event.number in taken.events and event.kind == STATUS:
                self.acknowledged_status = event.value
        self._events = [event for event in self._events if event.number not in taken.events]


@dataclass
class _Taken:
    """What a batch carried of one job, for its acknowledgement."""

    task_id: int
    last_seq: int | None = None
    events: set[int] = field(default_factory=set)


@dataclass
class _Budget:
    lines: int = MAX_BATCH_LINES
    size: int = MAX_BATCH_BYTES
    first: bool = True  # the batch has no line yet: one always fits, however long

    def fit(self, chunk: LogChunk) -> int:
        """How many of ``chunk``'s first lines fit."""
        if len(chunk.lines) <= self.lines and chunk.size <= self.size:
            return len(chunk.lines)
        count, size = 0, 0
        for line in chunk.lines:
            if not (self.first and count == 0) and (count >= self.lines or size + len(line) > self.size):
                break
            count, size = count + 1, size + len(line)
        return count

    def spend(self, part: LogChunk) -> None:
        self.first = False
        self.lines -= len(part.lines)
        self.size -= part.size


@dataclass(frozen=True)
class Batch:
    """Reports taken for one PUT: :meth:`body` is its JSON; acknowledge it once the server
    stored it."""

    jobs: list[dict[str, Any]]
    taken: list[_Taken]

    def __bool__(self) -> bool:
        return bool(self.jobs)

    def body(self) -> dict[str, Any]:
        return {"Jobs": self.jobs}


def lost_report(task_ids: Sequence[int]) -> dict[str, Any]:
    """The PUT body saying this runner does not run ``task_ids`` (nothing to acknowledge: a lost
    job is listed again by the next poll answer while the server has not heard of it)."""
    return {"Jobs": [{"ID": task_id, LOST: True} for task_id in task_ids]}


class Outbox:
    """The unacknowledged reports of every job of this runner."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._jobs: dict[int, JobOutbox] = {}

    def open(self, task_id: int, first_seq: int) -> JobOutbox:
        """The outbox of a job whose first log record gets ``first_seq``."""
        with self._cond:
            if task_id in self._jobs:
                raise ValueError(f"task {task_id} already has an outbox")
            job = self._jobs[task_id] = JobOutbox(self, task_id, first_seq)
            return job

    def take(self) -> Batch:
        """The oldest unacknowledged reports of every job (they stay until acknowledged)."""
        with self._cond:
            budget = _Budget()
            jobs, taken = [], []
            for job in self._jobs.values():
                found = job._entry(budget)
                if found is not None:
                    jobs.append(found[0])
                    taken.append(found[1])
            return Batch(jobs, taken)

    def acknowledge(self, batch: Batch) -> None:
        """The server stored ``batch``: forget what it carried (and jobs with nothing left after
        their final status). Acknowledging a batch twice, or an older one late, is harmless."""
        with self._cond:
            for taken in batch.taken:
                job = self._jobs.get(taken.task_id)
                if job is None:
                    continue
                job._acknowledge(taken)
                if job.finished and not (job._chunks or job._events):
                    del self._jobs[taken.task_id]
            self._cond.notify_all()  # logs waiting for room

    def wait(self, timeout: float) -> bool:
        """Block until some report waits for the server (at most ``timeout`` seconds); whether one does."""
        with self._cond:
            return self._cond.wait_for(self.pending, timeout)

    def pending(self) -> bool:
        with self._cond:
            return any(job._chunks or job._events for job in self._jobs.values())

    def task_ids(self) -> list[int]:
        """Jobs with reports not yet all acknowledged (or not yet finished)."""
        with self._cond:
            return list(self._jobs)
