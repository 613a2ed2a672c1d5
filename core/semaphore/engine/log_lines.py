"""A task's output as log lines: split at newlines, decoded, masked, and cut when too long.

Every log follows these rules, wherever its lines go: the server's database log
(:class:`semaphore.engine.log.TaskLog`) and a remote runner's outbox
(:mod:`semaphore.runners.job_log`) are subclasses that say where by implementing
:meth:`LogLines._append`. Work per line stays in C: bytes are split, decoded and masked per chunk,
not per line. A line longer than :data:`MAX_LINE` bytes is cut with a visible marker while it
streams in, never held whole.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from semaphore.engine.masking import Masker

__all__ = ["FEED_SLICE", "MAX_LINE", "LogLines", "cut_marker"]

MAX_LINE = 1024 * 1024  # bytes of one line that are kept; task__output.output holds it on every database
FEED_SLICE = 256 * 1024  # larger feed() data is handled in slices of this size (below MAX_LINE)


def cut_marker(dropped: int) -> str:
    return f"… [line cut: {dropped} more bytes]"


class LogLines:
    """The producer side of a log. Thread-safe: :meth:`write` may be called from another thread
    than :meth:`feed`. :meth:`_append` receives the lines in order, from one producer at a time
    for :meth:`feed`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._masker = Masker(secrets)
        self._feed_lock = threading.Lock()  # the partial line belongs to the byte stream
        self._partial = bytearray()
        self._partial_dropped = 0

    # -- producers -------------------------------------------------------------------------------

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask these values too, in every line produced from now on."""
        with self._feed_lock:
            self._masker = self._masker.with_secrets(values)

    def mask(self, text: str) -> str:
        """``text`` with the run's secrets masked, as in the log."""
        with self._feed_lock:
            masker = self._masker
        return masker.mask(text)

    def write(self, line: str) -> None:
        """One line the server writes about the task; embedded newlines make several lines."""
        lines = []
        for part in line.split("\n"):
            if part.endswith("\r"):
                part = part[:-1]
            if len(part) > MAX_LINE:
                raw = part.encode()
                lines.append(self._cut(raw[:MAX_LINE], len(raw) - MAX_LINE))
            else:
                lines.append(self._masker.mask(part.replace("\x00", "\ufffd")))
        self._append(lines)

    def feed(self, data: bytes) -> None:
        """Raw output of the process: complete lines are logged, a partial line waits for the rest.
        Blocks while the database is behind (backpressure)."""
        with self._feed_lock:
            if len(data) <= FEED_SLICE:
                self._feed_slice(data)
                return
            view = memoryview(data)
            for offset in range(0, len(data), FEED_SLICE):
                self._feed_slice(bytes(view[offset:offset + FEED_SLICE]))

    def end_of_stream(self) -> None:
        """The process's output ended: a last line without a newline is logged too."""
        with self._feed_lock:
            if self._partial or self._partial_dropped:
                self._append([self._take_partial()])

    def _feed_slice(self, data: bytes) -> None:
        first = data.find(b"\n")
        if first < 0:
            self._extend_partial(data)
            return
        last = data.rfind(b"\n")
        view = memoryview(data)
        lines: list[str] = []
        start = 0
        if self._partial or self._partial_dropped:
            self._extend_partial(view[:first])
            lines.append(self._take_partial())
            start = first + 1
        if start <= last:
            lines.extend(self._decode_lines(view[start:last]))
        if last + 1 < len(data):
            self._extend_partial(view[last + 1:])
        self._append(lines)

    def _decode_lines(self, raw: memoryview) -> list[str]:
        """Complete lines, newline-separated, fewer than MAX_LINE bytes in all: decoded, masked and
        split in one pass each, not per line."""
        text = str(raw, "utf-8", "replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if text.endswith("\r"):
                text = text[:-1]
        if "\x00" in text:  # PostgreSQL text cannot hold NUL
            text = text.replace("\x00", "\ufffd")
        if self._masker:
            text = self._masker.mask(text)
        return text.split("\n")

    def _extend_partial(self, piece: bytes | memoryview) -> None:
        room = MAX_LINE - len(self._partial)
        if len(piece) <= room:
            self._partial += piece
            return
        if room > 0:
            self._partial += piece[:room]
        self._partial_dropped += len(piece) - max(room, 0)

    def _take_partial(self) -> str:
        raw, dropped = self._partial, self._partial_dropped
        self._partial, self._partial_dropped = bytearray(), 0
        if dropped:
            return self._cut(raw, dropped)
        return self._decode_lines(memoryview(raw))[0]

    def _cut(self, kept: bytes | bytearray, dropped: int) -> str:
        """The start of a line that was too long, with a marker saying how much is missing."""
        end = _complete_utf8_length(kept)
        text = str(memoryview(kept)[:end], "utf-8", "replace").replace("\x00", "\ufffd")
        return self._masker.mask_cut(text) + cut_marker(dropped + len(kept) - end)

    def _append(self, lines: list[str]) -> None:
        """Take these finished lines (masked, cut); they follow the lines taken before."""
        raise NotImplementedError

    def flush(self) -> None:
        """Block until every line logged so far has arrived where the log keeps it."""

    def close(self) -> None:
        """Log a last unfinished line; nothing may be logged after it."""
        self.end_of_stream()


def _complete_utf8_length(data: bytes | bytearray) -> int:
    """Length of ``data`` without a UTF-8 sequence cut off at its end."""
    n = len(data)
    for back in range(1, min(4, n) + 1):
        byte = data[n - back]
        if byte & 0xC0 != 0x80:  # ASCII or a lead byte
            needed = 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4 if byte >> 3 == 0b11110 else 1
            return n - back if needed > back else n
    return n

