"""Real `semaphore runner ...` processes, each runner in its own directory with its own config
file: one-shot commands (setup, register, unregister) and `runner start` in the background."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from process_helpers import clean_env, run_semaphore, semaphore_argv

WAIT = 30.0  # seconds; the machines running the suite are shared and can be slow


@dataclass
class RunnerDir:
    """A runner's directory: its config.json (server ``web_host``), token file and private key."""

    directory: Path
    web_host: str

    @property
    def config_path(self) -> Path:
        return self.directory / "config.json"

    @property
    def token_file(self) -> Path:
        return self.directory / "runner.token"

    def write_config(self, **runner: Any) -> Path:
        """config.json with ``runner`` as its runner block (token_file in the directory by default)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        block = {"token_file": str(self.token_file), **runner}
        content = {"web_host": self.web_host, "tmp_path": str(self.directory / "work"),
                   "runner": {key: value for key, value in block.items() if value is not None}}
        self.config_path.write_text(json.dumps(content, indent=2))
        return self.config_path

    def config(self) -> dict[str, Any]:
        return dict(json.loads(self.config_path.read_text()))

    def run(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`semaphore runner ARGS --config <config.json>`, as the documentation writes it."""
        return run_semaphore(["runner", *args, "--config", str(self.config_path)], self.directory, env, stdin)

    def start(self, env: dict[str, str] | None = None) -> RunnerProcess:
        return RunnerProcess(self).start(env)


@dataclass
class RunnerProcess:
    """`semaphore runner start --config ...` in the background; its stderr (the log) goes to a file."""

    runner: RunnerDir
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.runner.directory / "runner.log"

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def start(self, env: dict[str, str] | None = None) -> RunnerProcess:
        argv = [*semaphore_argv(), "runner", "start", "--config", str(self.runner.config_path)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(argv, cwd=self.runner.directory, env=clean_env(self.runner.directory, env),
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def wait_for_log(self, text: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log:
                return self.log
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not in the runner's log:\n{self.log}")

    def wait(self, timeout: float = WAIT) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the runner and return its exit status (a runner that does not stop is killed)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"the runner did not stop after signal {sig}:\n{self.log}") from None
        return int(self.process.returncode)
