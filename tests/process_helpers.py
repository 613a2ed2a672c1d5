"""Run the real `semaphore` console script as a subprocess: one-shot commands and the server.

Commands run in a clean environment: no SEMAPHORE_* variable of the developer's shell leaks in,
the data directory is the test's, and plugins load in strict mode (a broken one fails loudly).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

START_TIMEOUT = 60  # seconds; the machines running the suite are shared and can be slow


def semaphore_argv() -> list[str]:
    """The console script installed beside this interpreter, else ``python -m semaphore``."""
    script = Path(sys.executable).with_name("semaphore")
    return [str(script)] if script.exists() else [sys.executable, "-m", "semaphore"]


def clean_env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMAPHORE_") or k.startswith("SEMAPHORE_TEST_")}
    env.update({"SEMAPHORE_DATA_DIR": str(tmp_path / "data"), "SEMAPHORE_TMP_PATH": str(tmp_path / "work"),
                "SEMAPHORE_PLUGINS_STRICT": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def run_semaphore(args: list[str], tmp_path: Path, env: dict[str, str] | None = None, stdin: str = "",
                  timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One command, as a user types it; runs in ``tmp_path`` so no ./config.json is picked up."""
    return subprocess.run([*semaphore_argv(), *args], input=stdin, capture_output=True, text=True,
                          cwd=tmp_path, env=clean_env(tmp_path, env), timeout=timeout, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """The command failed with one line, ``semaphore: error: ...``, last on stderr (log lines such as
    warnings may come before it), and no traceback."""
    assert result.returncode != 0, result
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("semaphore: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    """A `semaphore server` process on a free loopback port; output goes to files in ``directory``."""

    directory: Path
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=lambda: ["--no-config"])
    server_args: list[str] = field(default_factory=list)  # after `server`, as systemd units write them
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stdout(self) -> str:
        return (self.directory / "server.out").read_text()

    @property
    def stderr(self) -> str:
        return (self.directory / "server.err").read_text()

    def start(self) -> ServerProcess:
        self.port = self.port or free_port()  # a restarted server keeps its port
        env = clean_env(self.directory, {"SEMAPHORE_PORT": str(self.port), "SEMAPHORE_INTERFACE": "127.0.0.1",
                                         "SEMAPHORE_WEB_THREADS": "8", **self.env})
        with (self.directory / "server.out").open("wb") as out, (self.directory / "server.err").open("wb") as err:
            argv = [*semaphore_argv(), *self.args, "server", *self.server_args]
            self.process = subprocess.Popen(argv, cwd=self.directory, env=env, stdout=out, stderr=err,
                                            start_new_session=True)
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited with {self.process.returncode}:\n{self.stdout}\n{self.stderr}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/ping", timeout=2) as response:
                    if response.read() == b"pong":
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"server did not answer /api/ping within {START_TIMEOUT} s:\n{self.stdout}\n{self.stderr}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the server (its master process) and return its exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                pytest.fail(f"server did not stop within {timeout} s after signal {sig}:\n{self.stderr}")
        return int(self.process.returncode)

    def printed_credentials(self) -> tuple[str, str] | None:
        """(login, password) from the banner the first start prints, if it printed one."""
        found = dict(line.strip().split(":", 1) for line in self.stdout.splitlines()
                     if line.strip().startswith(("login:", "password:")))
        if not found:
            return None
        return found["login"].strip(), found["password"].strip()


@contextmanager
def servers_on_one_database(directory: Path, env: dict[str, str], count: int = 2) -> Iterator[list[ServerProcess]]:
    """``count`` servers (in ``directory``/one, /two, ...) with ``env`` and the same keys, as several
    server processes on one database need; all stopped at the end."""
    from semaphore.testing import TEST_KEY

    env = {**env, "SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY, "SEMAPHORE_COOKIE_HASH": TEST_KEY,
           "SEMAPHORE_COOKIE_ENCRYPTION": TEST_KEY}
    started: list[ServerProcess] = []
    try:
        for name in ("one", "two", "three", "four", "five")[:count]:
            (directory / name).mkdir()
            started.append(ServerProcess(directory / name, env=env).start())
        yield started
    finally:
        for server in started:
            server.stop()
