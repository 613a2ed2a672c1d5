"""Talking to a real `semaphore server` process: a small JSON client over urllib, a websocket
viewer, and a throwaway git repository for tasks to run."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import simple_websocket

ADMIN = {"SEMAPHORE_ADMIN": "admin", "SEMAPHORE_ADMIN_PASSWORD": "correct horse battery",
         "SEMAPHORE_ADMIN_EMAIL": "admin@example.test", "SEMAPHORE_ADMIN_NAME": "Admin"}


class Api:
    """JSON over HTTP with a Bearer token; returns (status, parsed body)."""

    def __init__(self, url: str, token: str = "") -> None:
        self.url, self.token = url, token

    def __call__(self, method: str, path: str, body: Any = None, *, cookie: str = "") -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if cookie:
            request.add_header("Cookie", cookie)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _parse(response.read(), response.headers)
        except urllib.error.HTTPError as error:
            return error.code, _parse(error.read(), error.headers)

    @classmethod
    def logged_in(cls, url: str) -> Api:
        """Log in as the admin of ``ADMIN`` and switch to an API token."""
        request = urllib.request.Request(url + "/api/auth/login", method="POST", data=json.dumps(
            {"auth": ADMIN["SEMAPHORE_ADMIN"], "password": ADMIN["SEMAPHORE_ADMIN_PASSWORD"]}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        status, token = cls(url)("POST", "/api/user/tokens", cookie=cookie)
        assert status == 201, token
        return cls(url, token["id"])

    def created(self, path: str, body: Any) -> dict[str, Any]:
        status, answer = self("POST", path, body)
        assert status == 201, (path, answer)
        return dict(answer)

    def wait_for_status(self, pid: int, task_id: int, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status, task = self("GET", f"/api/project/{pid}/tasks/{task_id}")
            assert status == 200, task
            if task["status"] in statuses or time.monotonic() > deadline:
                assert task["status"] in statuses, task
                return dict(task)
            time.sleep(0.1)

    def output(self, pid: int, task_id: int) -> list[str]:
        status, lines = self("GET", f"/api/project/{pid}/tasks/{task_id}/output?limit=100000")
        assert status == 200, lines
        return [line["output"] for line in lines]

    def wait_for_output(self, pid: int, task_id: int, text: str, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.output(pid, task_id)
            if any(text in line for line in lines):
                return lines
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not in the output of task {task_id}: {self.output(pid, task_id)}")


def _parse(raw: bytes, headers: Any) -> Any:
    if not raw:
        return None
    if "json" in (headers.get("Content-Type") or ""):
        return json.loads(raw)
    return raw.decode()


class Viewer:
    """A websocket connection to /api/ws that collects every message in a background thread."""

    def __init__(self, url: str, token: str) -> None:
        self.socket = simple_websocket.Client.connect(url.replace("http://", "ws://") + "/api/ws",
                                                      headers={"Authorization": f"Bearer {token}"})
        self.messages: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self) -> None:
        try:
            while True:
                self.messages.put(json.loads(self.socket.receive()))
        except (simple_websocket.ConnectionClosed, OSError):
            return

    def until_finished(self, task_id: int, timeout: float = 60) -> list[dict[str, Any]]:
        """Messages about ``task_id`` up to its final update."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if message.get("task_id") != task_id:
                continue
            seen.append(message)
            if message["type"] == "update" and message["status"] in ("success", "error", "stopped"):
                return seen
        raise AssertionError(f"task {task_id} did not finish over the websocket: {seen[-5:]}")

    def close(self) -> None:
        self.socket.close()


def git_repository(path: Path, files: dict[str, str]) -> str:
    """A git repository with ``files`` committed on branch main; its file:// URL."""
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text)
    for argv in (["init", "-q", "-b", "main"], ["add", "."],
                 ["-c", "user.name=Test", "-c", "user.email=test@example.test", "commit", "-q", "-m", "scripts"]):
        subprocess.run(["git", *argv], cwd=path, check=True, capture_output=True)
    return f"file://{path}"


def bash_template(api: Api, directory: Path, script: str, text: str, *, project: dict[str, Any],
                  template: str) -> tuple[int, int]:
    """Over the API: a project (``project`` fields), a file:// repository in ``directory`` holding
    ``script`` with ``text``, a none key, a static localhost inventory, an empty variable group and a
    bash template named ``template`` running the script; (project id, template id)."""
    url = git_repository(directory, {script: text})
    pid = api.created("/api/projects", project)["id"]
    key = api.created(f"/api/project/{pid}/keys", {"name": "none", "type": "none", "project_id": pid})
    repository = api.created(f"/api/project/{pid}/repositories", {
        "name": "scripts", "git_url": url, "git_branch": "main", "ssh_key_id": key["id"], "project_id": pid})
    inventory = api.created(f"/api/project/{pid}/inventory", {
        "name": "local", "type": "static", "inventory": "localhost", "project_id": pid})
    environment = api.created(f"/api/project/{pid}/environment", {"name": "vars", "project_id": pid, "json": "{}"})
    created = api.created(f"/api/project/{pid}/templates", {
        "name": template, "app": "bash", "playbook": script, "project_id": pid,
        "repository_id": repository["id"], "inventory_id": inventory["id"], "environment_id": environment["id"]})
    return int(pid), int(created["id"])
