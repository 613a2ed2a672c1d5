"""An alert whose sending server process dies is sent by another, once: two real `semaphore server`
processes on one PostgreSQL database with the same keys, a Slack webhook (a local HTTP server)
that holds the first request, and `kill -9` of the process that is sending it.

It waits for the dead process's lease (AlertDispatcher.lease_seconds, 30 s).
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from live_server import ADMIN, Api, bash_template
from process_helpers import ServerProcess, servers_on_one_database
from sqlalchemy import text

from semaphore.db.engine import create_db_engine
from semaphore.testing import make_config

SLACK_PATH = "/services/T000/B000/ha-webhook-secret"
MESSAGE = "rotate the key hunter2-in-the-message"


class HoldingWebhook:
    """Records every POST; holds the first without answering until released, answers the others 200."""

    def __init__(self) -> None:
        self.arrived: list[bytes] = []
        self.answered: list[bytes] = []
        self.release = threading.Event()
        self._changed = threading.Condition()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook._changed:
                    hook.arrived.append(body)
                    first = len(hook.arrived) == 1
                    hook._changed.notify_all()
                if first:
                    hook.release.wait(120)
                    return  # no answer: the connection just closes
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with hook._changed:
                    hook.answered.append(body)
                    hook._changed.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, what: str, count: int, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: len(getattr(self, what)) >= count, timeout)
            assert len(getattr(self, what)) >= count, f"{len(getattr(self, what))} of {count} {what}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = HoldingWebhook()
    yield hook
    hook.close()


@pytest.fixture
def servers(database_env, tmp_path, webhook):
    env = {**database_env, **ADMIN, "SEMAPHORE_SLACK_ALERT": "true", "SEMAPHORE_SLACK_URL": webhook.url + SLACK_PATH}
    with servers_on_one_database(tmp_path, env) as started:
        yield started


@pytest.fixture
def database(database_env, tmp_path):
    engine = create_db_engine(make_config(tmp_path, database_env))
    yield engine
    engine.dispose()


def outbox_row(database) -> Any:
    with database.connect() as conn:
        return conn.execute(text("SELECT claimed_by, finished, attempts, last_error, payload FROM alert_outbox")).one()


def node_of(server: ServerProcess) -> str:
    match = re.search(r"alert sender of node (\S+) started", server.stderr)
    assert match, server.stderr
    return match.group(1)


@pytest.mark.parametrize("dialect", ["postgres"], indirect=True)
def test_an_alert_whose_sender_is_killed_is_sent_by_the_other_process_once(servers, webhook, database, tmp_path):
    api = Api.logged_in(servers[0].url)
    pid, template_id = bash_template(api, tmp_path / "scripts", "fail.sh", "echo failing on purpose\nexit 1\n",
                                     project={"name": "HA alerts", "alert": True}, template="failing")
    task = api.created(f"/api/project/{pid}/tasks", {"template_id": template_id, "message": MESSAGE})
    api.wait_for_status(pid, task["id"], {"error"})
    webhook.wait("arrived", 1, timeout=60)

    sending = outbox_row(database).claimed_by
    (dying,) = [server for server in servers if node_of(server) == sending]
    (surviving,) = [server for server in servers if server is not dying]
    os.killpg(dying.process.pid, signal.SIGKILL)  # the master and its worker: the node is gone mid-send
    dying.process.wait(10)
    webhook.release.set()

    webhook.wait("answered", 1, timeout=90)  # after the lease of 30 s
    time.sleep(3)  # nothing more arrives
    assert len(webhook.arrived) == 2 and len(webhook.answered) == 1
    sent = json.loads(webhook.answered[0])
    assert sent == json.loads(webhook.arrived[0]) and f"execution #{task['id']}" in sent["text"]

    row = outbox_row(database)
    assert (row.claimed_by, row.attempts, row.last_error) == (node_of(surviving), 1, None)
    assert row.finished is not None
    stored = row.payload.encode()  # the row's bytes: encrypted, nothing readable
    for clear in (SLACK_PATH, "ha-webhook-secret", "hunter2", "HA alerts", "failing", "admin@example.test"):
        assert clear.encode() not in stored

    lines = Api(surviving.url, api.token).output(pid, task["id"])
    assert lines.count("Sending slack alert") == 1 and lines.count("slack alert sent") == 1
    assert "ha-webhook-secret" not in surviving.stdout + surviving.stderr
