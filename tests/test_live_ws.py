"""/api/ws over a real socket: the app served by werkzeug's server in a thread, viewers connected
with simple-websocket's client (or a raw socket where a client must misbehave). Members see the
log lines and status updates of their projects and nothing else; anonymous callers are refused;
a viewer that stops reading is disconnected without slowing the task."""

from __future__ import annotations

import base64
import json
import os
import queue
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
import simple_websocket
from process_helpers import ServerProcess
from task_helpers import create_project, create_template, member_client, run_task, user_id
from werkzeug.serving import make_server

from semaphore.api import ws as ws_module
from semaphore.engine.log import TaskLog
from semaphore.live import TOO_SLOW
from semaphore.state import app_state


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def server(app):
    """The app on a free loopback port; every websocket is closed before the app goes away."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_port}"
    hub = app_state(app).live
    hub.close_all()
    deadline = time.monotonic() + 15
    while hub.subscriber_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    httpd.shutdown()
    thread.join()
    httpd.server_close()


def token_of(client: Any) -> str:
    response = client.post("/api/user/tokens")
    assert response.status_code == 201
    return str(response.get_json()["id"])


class Viewer:
    """A simple-websocket client collecting every message in the background."""

    def __init__(self, server: str, headers: dict[str, str]) -> None:
        self.socket = simple_websocket.Client.connect(f"ws://{server}/api/ws", headers=headers)
        self.messages: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.closed: simple_websocket.ConnectionClosed | None = None
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self) -> None:
        try:
            while True:
                self.messages.put(json.loads(self.socket.receive()))
        except simple_websocket.ConnectionClosed as closed:
            self.closed = closed

    def collect(self, until: Any, timeout: float = 15) -> list[dict[str, Any]]:
        """Messages up to and including the first one for which ``until(message)`` holds."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(self.messages.get(timeout=0.1))
            except queue.Empty:
                continue
            if until(seen[-1]):
                return seen
        raise AssertionError(f"no matching message within {timeout} s; got {seen[-3:]}")

    def pending(self) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                found.append(self.messages.get_nowait())
            except queue.Empty:
                return found

    def close(self) -> None:
        if self.socket.connected:
            self.socket.close()
        else:
            self.socket.sock.close()
        self.thread.join(10)


@pytest.fixture
def viewers():
    opened: list[Viewer] = []

    def connect(server: str, headers: dict[str, str]) -> Viewer:
        opened.append(Viewer(server, headers))
        return opened[-1]

    yield connect
    for viewer in opened:
        viewer.close()


def raw_upgrade(server: str, headers: dict[str, str] | None = None, rcvbuf: int | None = None) -> tuple[socket.socket,
                                                                                                        bytes]:
    """A websocket handshake by hand: the socket (to misbehave with) and the response head."""
    host, port = server.split(":")
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET /api/ws HTTP/1.1", f"Host: {server}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             *(f"{name}: {value}" for name, value in (headers or {}).items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(1)
        if not data:
            break
        head += data
    return sock, head


def read_until_closed(sock: socket.socket, timeout: float = 20) -> bytes:
    sock.settimeout(timeout)
    received = b""
    try:
        while data := sock.recv(1 << 20):
            received += data
    except (ConnectionResetError, TimeoutError):
        pass
    return received


@pytest.fixture
def two_projects(app, admin_client):
    """Project A (a guest member "ann") and project B (a member "bob" who is not in A), each with a
    queued task."""
    a = create_project(app, admin_client, "A")
    b = create_project(app, admin_client, "B")
    ann = member_client(app, admin_client, a, "ann", "guest")
    bob = member_client(app, admin_client, b, "bob", "guest")
    task_a = run_task(admin_client, a, create_template(admin_client, a)["id"])
    task_b = run_task(admin_client, b, create_template(admin_client, b)["id"])
    return a, b, ann, bob, task_a, task_b


def test_members_receive_the_log_and_updates_of_their_projects_only(app, server, admin_client, two_projects,
                                                                    viewers):
    a, b, ann, bob, task_a, task_b = two_projects
    ann_viewer = viewers(server, {"Authorization": f"Bearer {token_of(ann)}"})
    cookie = ann.get_cookie("semaphore_session")
    ann_by_cookie = viewers(server, {"Cookie": f"semaphore_session={cookie.value}"})
    bob_viewer = viewers(server, {"Authorization": f"Bearer {token_of(bob)}"})
    admin_viewer = viewers(server, {"Authorization": f"Bearer {token_of(admin_client)}"})

    with TaskLog(app_state(app), task_a["id"], a.id, secrets=["s3cret!"]) as log:
        log.feed(b"\x1b[1mPLAY\x1b[0m [all]\r\nok: s3cret!\n")
    assert admin_client.post(f"{a.url}/tasks/{task_a['id']}/stop", json={"force": False}).status_code == 204
    with TaskLog(app_state(app), task_b["id"], b.id) as log:
        log.write("in project B")
    assert admin_client.post(f"{b.url}/tasks/{task_b['id']}/stop", json={"force": True}).status_code == 204

    def last_update_of(task):
        return lambda m: m["type"] == "update" and m["task_id"] == task["id"]

    for viewer in (ann_viewer, ann_by_cookie):
        seen = viewer.collect(last_update_of(task_a))
        logs = [m for m in seen if m["type"] == "log"]
        assert [m["output"] for m in logs] == ["\x1b[1mPLAY\x1b[0m [all]", "ok: ********"]
        assert set(logs[0]) == {"type", "output", "time", "task_id", "project_id", "seq"}
        assert [m["seq"] for m in logs] == [1, 2]
        assert logs[0]["task_id"] == task_a["id"] and logs[0]["project_id"] == a.id
        assert logs[0]["time"].endswith("Z") and "T" in logs[0]["time"]
        update = seen[-1]
        assert set(update) == {"type", "start", "end", "status", "task_id", "template_id", "project_id", "version",
                               "commit_hash", "commit_message", "runner_id"}
        assert (update["status"], update["project_id"], update["template_id"]) == ("stopped", a.id,
                                                                                  task_a["template_id"])
        assert update["start"] is None and update["end"].endswith("Z")
        assert update["runner_id"] is None  # run by this server

    # Bob sees project B's messages, which were published after A's, and none of A's.
    seen = bob_viewer.collect(last_update_of(task_b))
    assert {m["project_id"] for m in seen} == {b.id}
    assert [m["output"] for m in seen if m["type"] == "log"] == ["in project B"]
    # The admin is in neither project and sees both.
    seen = admin_viewer.collect(last_update_of(task_b))
    assert {m["project_id"] for m in seen} == {a.id, b.id}
    # Ann never got anything of B.
    time.sleep(0.3)
    assert all(m["project_id"] == a.id for m in ann_viewer.pending() + ann_by_cookie.pending())


def test_anonymous_and_bad_credentials_are_refused(server, app, admin_client):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Cookie": "semaphore_session=forged"}):
        sock, head = raw_upgrade(server, headers)
        with sock:
            status = head.split(b"\r\n", 1)[0]
            assert status.startswith(b"HTTP/1.1 401"), head
    assert app_state(app).live.subscriber_count() == 0
    # A plain GET (no upgrade) is told what the endpoint is.
    response = admin_client.get("/api/ws")
    assert response.status_code == 400 and "websocket" in response.get_json()["error"]


def test_cookie_upgrades_from_another_origin_are_refused(server, app, admin_client):
    """Cross-site websocket hijacking: another site's page cannot use the user's cookie."""
    cookie = f"semaphore_session={admin_client.get_cookie('semaphore_session').value}"
    sock, head = raw_upgrade(server, {"Cookie": cookie, "Origin": "https://evil.example"})
    with sock:
        assert head.startswith(b"HTTP/1.1 403"), head
    sock, head = raw_upgrade(server, {"Cookie": cookie, "Origin": f"http://{server}"})
    with sock:
        assert head.startswith(b"HTTP/1.1 101"), head
    # A token is no ambient credential: no origin check.
    sock, head = raw_upgrade(server, {"Authorization": f"Bearer {token_of(admin_client)}",
                                      "Origin": "https://tool.example"})
    with sock:
        assert head.startswith(b"HTTP/1.1 101"), head


def test_a_removed_member_stops_receiving_within_seconds(app, server, admin_client, two_projects, viewers):
    a, _b, ann, _bob, task_a, _task_b = two_projects
    app_state(app).live.access_ttl = 0.5
    viewer = viewers(server, {"Authorization": f"Bearer {token_of(ann)}"})
    with TaskLog(app_state(app), task_a["id"], a.id) as log:
        log.write("while a member")
        viewer.collect(lambda m: m.get("output") == "while a member")
        assert admin_client.delete(f"{a.url}/users/{user_id(app, 'ann')}").status_code == 204
        time.sleep(2.0)  # a few access refreshes of the connection
        log.write("after removal")
    time.sleep(0.5)
    assert viewer.pending() == []
    assert viewer.socket.connected  # still connected: it may be added back, or watch other projects


def test_a_viewer_that_stops_reading_is_dropped_and_never_slows_the_task(app, server, admin_client, two_projects,
                                                                         monkeypatch):
    a, _b, _ann, _bob, task_a, _task_b = two_projects
    monkeypatch.setattr(ws_module, "WRITE_WAIT", 1.0)
    hub = app_state(app).live
    hub.max_cost = 2 * 1024 * 1024  # a small queue, so it fills quickly
    token = token_of(admin_client)
    stuck, head = raw_upgrade(server, {"Authorization": f"Bearer {token}"}, rcvbuf=4096)
    with stuck:
        assert head.startswith(b"HTTP/1.1 101"), head
        deadline = time.monotonic() + 10
        while hub.subscriber_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        lines = 100_000
        started = time.monotonic()
        log = TaskLog(app_state(app), task_a["id"], a.id)
        for n in range(0, lines, 5_000):
            log.feed(b"".join(b"output line %d\n" % i for i in range(n, n + 5_000)))
        log.close()  # would never return if publishing waited for the viewer
        elapsed = time.monotonic() - started
        rows = admin_client.get(f"{a.url}/tasks/{task_a['id']}/output?limit=1&after={lines - 1}").get_json()
        assert [row["seq"] for row in rows] == [lines]
        assert elapsed < 60, elapsed
        # The server gives up on the stuck socket: it is disconnected and unsubscribed.
        deadline = time.monotonic() + 15
        while hub.subscriber_count() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.subscriber_count() == 0
        received = read_until_closed(stuck)
    assert b"output line %d" % (lines - 1) not in received  # it was dropped long before the end


def test_a_slow_viewer_is_closed_with_a_reason(app, server, admin_client, two_projects):
    """A viewer that pauses longer than its queue lasts gets, once it reads again, what was sent
    and then a close frame saying why (1013, try again later): it reconnects and reads the rest
    from the output endpoint."""
    a, _b, _ann, _bob, task_a, _task_b = two_projects
    app_state(app).live.max_cost = 256 * 1024
    slow, head = raw_upgrade(server, {"Authorization": f"Bearer {token_of(admin_client)}"}, rcvbuf=4096)
    with slow:
        assert head.startswith(b"HTTP/1.1 101"), head
        with TaskLog(app_state(app), task_a["id"], a.id) as log:
            for n in range(0, 100_000, 5_000):
                log.feed(b"".join(b"output line %d\n" % i for i in range(n, n + 5_000)))
        received = read_until_closed(slow)
    reason = TOO_SLOW.encode()
    # (werkzeug's development server writes a stray HTTP response after the close frame; gunicorn does not)
    assert b"\x88" + bytes([2 + len(reason)]) + (1013).to_bytes(2, "big") + reason in received, received[-300:]


def test_ping_keeps_answering_viewers_and_drops_silent_ones(app, server, admin_client, viewers, monkeypatch):
    monkeypatch.setattr(ws_module, "PING_INTERVAL", 0.3)
    hub = app_state(app).live
    token = token_of(admin_client)
    answering = viewers(server, {"Authorization": f"Bearer {token}"})
    silent, head = raw_upgrade(server, {"Authorization": f"Bearer {token}"})
    with silent:
        assert head.startswith(b"HTTP/1.1 101")
        received = read_until_closed(silent, timeout=10)
    assert received.startswith(b"\x89\x00")  # pinged, did not answer, then closed
    assert b"no answer to ping" in received
    time.sleep(1.0)
    assert answering.socket.connected and hub.subscriber_count() == 1
    answering.socket.send("client messages are ignored")
    time.sleep(0.5)
    assert answering.socket.connected and answering.pending() == []


def _call(url: str, method: str, path: str, body: Any = None, token: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    return status, json.loads(raw) if raw else None


def _token(url: str, login: str, password: str) -> str:
    request = urllib.request.Request(url + "/api/auth/login", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({"auth": login, "password": password}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    request = urllib.request.Request(url + "/api/user/tokens", method="POST", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["id"])


def test_the_real_server_delivers_updates_over_its_websocket(tmp_path):
    """`semaphore server` (gunicorn): an upgrade through its worker works end to end."""
    env = {"SEMAPHORE_ADMIN": "admin", "SEMAPHORE_ADMIN_PASSWORD": "a long admin password",
           "SEMAPHORE_ADMIN_EMAIL": "admin@example.test", "SEMAPHORE_ADMIN_NAME": "Admin"}
    process = ServerProcess(tmp_path, env=env).start()
    try:
        url = process.url
        token = _token(url, "admin", "a long admin password")
        sock, head = raw_upgrade(url.removeprefix("http://"))
        with sock:
            assert head.startswith(b"HTTP/1.1 401"), head
        viewer = Viewer(url.removeprefix("http://"), {"Authorization": f"Bearer {token}"})
        try:
            pid = _call(url, "POST", "/api/projects", {"name": "Live"}, token)[1]["id"]
            key = _call(url, "POST", f"/api/project/{pid}/keys", {"name": "none", "type": "none"}, token)[1]
            repository = _call(url, "POST", f"/api/project/{pid}/repositories", {
                "name": "scripts", "git_url": f"file://{tmp_path}/missing", "git_branch": "main",
                "ssh_key_id": key["id"]}, token)[1]
            status, template = _call(url, "POST", f"/api/project/{pid}/templates", {
                "name": "Say hi", "app": "bash", "playbook": "hi.sh", "repository_id": repository["id"]}, token)
            assert status == 201, template
            task = _call(url, "POST", f"/api/project/{pid}/tasks", {"template_id": template["id"]}, token)[1]
            _call(url, "POST", f"/api/project/{pid}/tasks/{task['id']}/stop", {"force": True}, token)
            seen = viewer.collect(lambda m: m["type"] == "update" and m["task_id"] == task["id"]
                                  and m["status"] in ("stopped", "error"))
            assert {m["project_id"] for m in seen} == {pid}
        finally:
            viewer.close()
    finally:
        assert process.stop() == 0


def test_viewers_that_leave_leave_no_error_in_the_server_log(tmp_path):
    """A browser closing its tab closes the socket at any moment, right after the handshake too (the
    server's reader thread has then closed the socket before the handler's first use of it): the
    real server logs nothing above DEBUG for it."""
    env = {"SEMAPHORE_ADMIN": "admin", "SEMAPHORE_ADMIN_PASSWORD": "a long admin password",
           "SEMAPHORE_ADMIN_EMAIL": "admin@example.test", "SEMAPHORE_ADMIN_NAME": "Admin"}
    process = ServerProcess(tmp_path, env=env).start()
    try:
        address = process.url.removeprefix("http://")
        headers = {"Authorization": f"Bearer {_token(process.url, 'admin', 'a long admin password')}"}
        for _ in range(30):  # closed at once, with a close frame
            simple_websocket.Client.connect(f"ws://{address}/api/ws", headers=headers).close()
        for _ in range(10):  # the connection dropped without a close frame
            viewer = simple_websocket.Client.connect(f"ws://{address}/api/ws", headers=headers)
            viewer.sock.shutdown(socket.SHUT_RDWR)
            viewer.sock.close()
        viewer = simple_websocket.Client.connect(f"ws://{address}/api/ws", headers=headers)
        time.sleep(0.5)
        viewer.close(reason=1001, message="going away")  # what a browser sends when the tab closes
        with urllib.request.urlopen(f"{process.url}/api/ping", timeout=30) as response:
            assert response.read() == b"pong"  # the worker still serves
    finally:
        assert process.stop() == 0
    assert "ERROR" not in process.stderr and "Traceback" not in process.stderr, process.stderr
