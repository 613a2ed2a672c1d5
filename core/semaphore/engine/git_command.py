"""Running git for a checkout: never a prompt, secrets only through the environment, every output
line to the task log (secrets masked), and a time limit per command.

Secrets reach git and ssh through one askpass script that prints them from environment variables,
so they never appear in argv (``ps``), in a URL (git output, the cache's config) or in a file.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

from semaphore.execution import Credentials

ASKPASS_SCRIPT = """#!/bin/sh
# git asks "Username for ..." and "Password for ..."; ssh asks for the key's passphrase.
case "$1" in
  Username*) printf '%s\\n' "$SEMAPHORE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$SEMAPHORE_GIT_SECRET" ;;
esac
"""
MASK = "********"

# Never store http credentials (a user's credential.helper=store would write them to ~/.git-credentials);
# run gc in the foreground so it never races our next command on the cache.
_CONFIG = ("-c", "credential.helper=", "-c", "gc.autoDetach=false", "-c", "maintenance.autoDetach=false")
# Inherited, these would point git at another repository or another way of asking for secrets.
_INHERITED_GIT_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                       "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_ASKPASS", "GIT_SSH",
                       "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE")
_SSH_OPTIONS = ("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ControlPath=none")  # a multiplexing master from the user's config would outlive git


class CheckoutError(Exception):
    """The repository could not be checked out; the message says why and never holds a secret."""


class GitResult(NamedTuple):
    output: str  # stdout, when captured
    errors: str  # stderr: progress and warnings, also of a command that succeeded


class GitFailed(CheckoutError):
    """A git command exited non-zero; ``output`` is what it wrote to stderr."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


def install_askpass(directory: Path) -> Path:
    """Write the askpass script (it holds no secret) into ``directory``, atomically."""
    script = directory / "git-askpass.sh"
    if not script.is_file() or script.read_text() != ASKPASS_SCRIPT:
        partial = directory / f".git-askpass.{os.getpid()}.{threading.get_ident()}"
        partial.write_text(ASKPASS_SCRIPT)
        partial.chmod(0o700)
        partial.replace(script)
    return script


class Git:
    """Runs git with one environment, built from ``environ`` and the repository's credentials."""

    def __init__(self, *, environ: Mapping[str, str], credentials: Credentials | None, askpass: Path,
                 ssh_config_path: str, log: Callable[[str], None], timeout: float) -> None:
        self._log = log
        self.timeout = timeout
        self.env = {key: value for key, value in environ.items() if key not in _INHERITED_GIT_VARS}
        self.env["GIT_TERMINAL_PROMPT"] = "0"
        self.secrets = [secret for secret in _secrets(credentials) if secret]
        self.env["GIT_SSH_COMMAND"] = shlex.join(_ssh_command(credentials, ssh_config_path))
        if credentials and credentials.type == "ssh" and credentials.passphrase:
            self.env.update(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force",
                            SEMAPHORE_GIT_SECRET=credentials.passphrase)
        elif credentials and credentials.type == "login_password":
            # An empty login means a token: the original puts it in the URL as the user name.
            username, password = ((credentials.login, credentials.password) if credentials.login
                                  else (credentials.password, ""))
            self.env.update(GIT_ASKPASS=str(askpass), SEMAPHORE_GIT_USERNAME=username, SEMAPHORE_GIT_SECRET=password)

    def run(self, *args: str, git_dir: Path | None = None, cwd: Path | None = None, capture: bool = False,
            quiet: bool = False) -> GitResult:
        """Run ``git args``, its output going to the log line by line (stdout is returned instead
        when ``capture``; nothing is logged when ``quiet``). Raises :class:`GitFailed` on a non-zero
        exit and :class:`CheckoutError` when it takes longer than the timeout (its process group is
        killed)."""
        location = ("--git-dir", str(git_dir)) if git_dir else ()
        try:
            process = subprocess.Popen(["git", *_CONFIG, *location, *args], cwd=cwd, env=self.env,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE if capture else subprocess.STDOUT,
                                       text=True, errors="replace", start_new_session=True)
        except OSError as error:
            raise CheckoutError(f"cannot run git: {error.strerror}") from None
        timed_out = threading.Event()
        with process:
            if capture:
                output, lines = self._communicate(process, quiet, timed_out)
            else:
                output, lines = "", self._stream(process, quiet, timed_out)
            code = process.wait()
        command = f"git {args[0]}"
        if code and timed_out.is_set():
            raise CheckoutError(f"{command} took longer than {self.timeout:g} s and was stopped")
        if code:
            raise GitFailed(f"{command} failed: {_summary(lines)}", "\n".join(lines))
        return GitResult(output, "\n".join(lines))

    def log(self, line: str) -> None:
        self._log(self.mask(line))

    def mask(self, line: str) -> str:
        for secret in self.secrets:
            line = line.replace(secret, MASK)
        return line

    def _stream(self, process: subprocess.Popen[str], quiet: bool, timed_out: threading.Event) -> list[str]:
        """Log stdout and stderr (one pipe) as they come; kill the group when time is up."""
        assert process.stdout is not None
        timer = threading.Timer(self.timeout, _kill_group, (process, timed_out))
        timer.start()
        try:
            return self._log_lines(process.stdout, quiet)
        except BaseException:
            _kill_group(process)  # the log failed: git must not outlive the checkout
            raise
        finally:
            timer.cancel()

    def _communicate(self, process: subprocess.Popen[str], quiet: bool,
                     timed_out: threading.Event) -> tuple[str, list[str]]:
        try:
            output, errors = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process, timed_out)
            output, errors = process.communicate()
        return output.strip("\n"), self._log_lines(errors.splitlines(), quiet)

    def _log_lines(self, stream: Iterable[str], quiet: bool) -> list[str]:
        lines: list[str] = []
        for raw in stream:
            line = self.mask(raw.rstrip("\r\n"))
            # A damaged pack makes git repeat the same complaint dozens of times.
            if not quiet and line and (not lines or line != lines[-1]):
                self._log(line)
            lines.append(line)
        return lines


def _secrets(credentials: Credentials | None) -> Iterable[str]:
    if credentials:
        yield credentials.password
        yield credentials.passphrase


def _ssh_command(credentials: Credentials | None, ssh_config_path: str) -> list[str]:
    command = ["ssh", *_SSH_OPTIONS]
    key = credentials.private_key_path if credentials and credentials.type == "ssh" else None
    if key:
        command += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
    if key and credentials and credentials.passphrase:
        # BatchMode would refuse to ask for the passphrase; allow that one question and no password prompt.
        command += ["-o", "PreferredAuthentications=publickey", "-o", "NumberOfPasswordPrompts=1"]
    else:
        command += ["-o", "BatchMode=yes"]
    if ssh_config_path:
        command += ["-F", ssh_config_path]
    return command


def _kill_group(process: subprocess.Popen[str], timed_out: threading.Event | None = None) -> None:
    if timed_out:
        timed_out.set()
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # ssh and helpers too: the group started with git


def _summary(errors: list[str]) -> str:
    """The line that explains a failure: git's first ``fatal:``, else its last line."""
    meaningful = [line for line in errors if line.strip()]
    fatal = [line for line in meaningful if line.startswith("fatal:")]
    return (fatal or meaningful or ["no output"])[0 if fatal else -1]
