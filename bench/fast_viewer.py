"""A websocket viewer of /api/ws that costs its machine almost nothing per message.

The test suite's Viewer (tests/live_server.py) parses every frame with wsproto and every message
with json, in Python: about 35 µs a message, so on a small machine a million-line task's viewer
takes the CPU the server needs. A browser reads frames in native code. This viewer reads frames
with a few byte operations each, counts the log messages, and parses only the update messages:
the server's cost of feeding a viewer, without the benchmark's cost of being one.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import threading
import time
from urllib.parse import urlsplit

FINAL = ("success", "error", "stopped")
LOG_PREFIX = b'{"type":"log"'
OPCODE_TEXT, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG = 1, 8, 9, 10


class FastViewer:
    """Connects with a Bearer token and counts, in a thread, the log messages it receives (the
    benchmark runs one task) until the final update of ``task_id`` (set it before the task starts)."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /api/ws HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Authorization: Bearer {token}\r\n\r\n").encode())
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("the server closed the connection during the websocket handshake")
            buffer += data
        head, _, self._pending = buffer.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"websocket handshake refused: {head.splitlines()[0]!r}")
        self.sock.settimeout(None)
        self.task_id: int | None = None
        self.lines = 0
        self.finished_at: float | None = None
        self.final_status = ""
        self.close_code: int | None = None
        self.close_reason = ""
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="fast-viewer", daemon=True)
        self._thread.start()

    @property
    def closed_by_server(self) -> str | None:
        return None if self.close_code is None else f"{self.close_code} {self.close_reason}"

    def settle(self, timeout: float) -> None:
        """Wait until the final update was read, the server closed the connection, or ``timeout``."""
        deadline = time.perf_counter() + timeout
        while (self.finished_at is None and self.close_code is None and self._thread.is_alive()
               and time.perf_counter() < deadline):
            time.sleep(0.05)

    def close(self) -> None:
        self.done.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(5)

    def _receive(self) -> None:
        buffer = bytearray(self._pending)
        try:
            while not self.done.is_set():
                data = self.sock.recv(1 << 20)
                if not data:
                    return
                buffer += data
                used = self._frames(buffer)
                del buffer[:used]
        except OSError:
            return

    def _frames(self, buffer: bytearray) -> int:
        """Handle every complete frame in ``buffer``; how many bytes they took."""
        offset, end = 0, len(buffer)
        while end - offset >= 2:
            opcode, length = buffer[offset] & 0x0F, buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if end - start < 2:
                    break
                length, start = int.from_bytes(buffer[start:start + 2], "big"), start + 2
            elif length == 127:
                if end - start < 8:
                    break
                length, start = int.from_bytes(buffer[start:start + 8], "big"), start + 8
            if end - start < length:
                break
            offset = start + length
            if opcode == OPCODE_TEXT:
                if buffer.startswith(LOG_PREFIX, start):
                    self.lines += 1
                else:
                    self._message(json.loads(buffer[start:offset]))
            elif opcode == OPCODE_CLOSE:
                payload = bytes(buffer[start:offset])
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close_reason = payload[2:].decode("utf-8", "replace")
            elif opcode == OPCODE_PING:
                self._send(OPCODE_PONG, bytes(buffer[start:offset]))
        return offset

    def _message(self, message: dict[str, object]) -> None:
        if message.get("type") == "update" and message.get("task_id") == self.task_id \
                and message.get("status") in FINAL:
            self.finished_at = time.perf_counter()
            self.final_status = str(message["status"])

    def _send(self, opcode: int, payload: bytes) -> None:
        """A client frame: always masked (here with a zero mask, which leaves the payload as is)."""
        self.sock.sendall(struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + b"\0\0\0\0" + payload)
