"""A local webhook for alert tests: an ``http.server`` on 127.0.0.1 in a thread that records every
POST and answers as told (a status, or a delay to cause a timeout). Plugin authors use it too.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from semaphore.interfaces import Alert


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookRecorder:
    """``with WebhookRecorder() as hook:`` then post to ``hook.url + "/any/path"``; ``hook.received``
    lists what arrived. ``answer_status`` and ``answer_delay`` shape the answers."""

    def __init__(self, answer_status: int = 200, answer_delay: float = 0.0) -> None:
        self.answer_status = answer_status
        self.answer_delay = answer_delay
        self.received: list[Received] = []
        self._arrived = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with recorder._arrived:
                    recorder.received.append(Received(self.path, dict(self.headers), body))
                    recorder._arrived.notify_all()
                if recorder.answer_delay:
                    time.sleep(recorder.answer_delay)
                self.send_response(recorder.answer_status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Until ``count`` POSTs arrived; all of them."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            assert len(self.received) >= count, f"{len(self.received)} of {count} POSTs arrived"
            return list(self.received)

    def __enter__(self) -> WebhookRecorder:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def sample_alert(**overrides: Any) -> Alert:
    """An alert as the core builds it for a failed task 7 of template 3 in project 1."""
    values: dict[str, Any] = {
        "project_id": 1, "project_name": "Demo", "task_id": 7, "template_id": 3, "template_name": "Deploy app",
        "status": "error", "author": "Ada Lovelace", "version": "1.0.3",
        "url": "https://semaphore.example.test/project/1/templates/3?t=7", "message": "nightly"}
    values.update(overrides)
    return Alert(**values)
