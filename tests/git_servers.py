"""Throwaway git repositories and servers for checkout tests: git daemon (git://), git http-backend
behind basic auth (http://) and sshd (ssh://, user@host:path), each on a free loopback port and
stopped by its own pid."""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from process_helpers import free_port

SSHD = Path("/usr/sbin/sshd")
# Test repositories are made without the developer's git config, by a fixed identity.
GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}


def git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


@dataclass
class SourceRepo:
    """A repository to check out: a working repository whose branches are pushed to a bare one
    (``bare``), the one servers serve."""

    work: Path
    bare: Path

    @classmethod
    def create(cls, directory: Path, name: str = "project") -> SourceRepo:
        """``main`` (README.md, then app.txt) and ``feature`` (app.txt changed, feature.txt added)."""
        repo = cls(directory / f"{name}-work", directory / f"{name}.git")
        git("init", "--quiet", "--bare", "--initial-branch=main", str(repo.bare))
        git("init", "--quiet", "--initial-branch=main", str(repo.work))
        git("remote", "add", "origin", f"../{repo.bare.name}", cwd=repo.work)  # relative: copies stay pairs
        repo.commit("README.md", "# project\n", "Initial commit", push=False)
        repo.commit("app.txt", "main version\n", "Add the app", push=False)
        git("switch", "--quiet", "-c", "feature", cwd=repo.work)
        repo.commit("app.txt", "feature version\n", "Change the app on feature", push=False)
        repo.commit("feature.txt", "only on feature\n", "Add the feature file")
        git("switch", "--quiet", "main", cwd=repo.work)
        return repo

    def copy(self, directory: Path) -> SourceRepo:
        """The same repository (same commits) in ``directory``: cheaper than creating one."""
        copy = SourceRepo(directory / self.work.name, directory / self.bare.name)
        shutil.copytree(self.work, copy.work, symlinks=True)
        shutil.copytree(self.bare, copy.bare, symlinks=True)
        return copy

    def commit(self, path: str, content: str, message: str, branch: str | None = None, push: bool = True) -> str:
        """Commit one file (on ``branch``, else the current one), push every branch and return the hash."""
        if branch:
            git("switch", "--quiet", branch, cwd=self.work)
        (self.work / path).parent.mkdir(parents=True, exist_ok=True)
        (self.work / path).write_text(content)
        git("add", path, cwd=self.work)
        git("commit", "--quiet", "-m", message, cwd=self.work)
        if push:
            git("push", "--quiet", "--all", "origin", cwd=self.work)
        return self.head()

    def head(self, branch: str = "HEAD") -> str:
        return git("rev-parse", branch, cwd=self.work)

    @property
    def file_url(self) -> str:
        return self.bare.as_uri()


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    stop(process)
    pytest.fail(f"{what} did not listen on port {port} within 10 s: {log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class GitDaemon:
    """``git daemon`` serving every repository under ``base`` at git://127.0.0.1:<port>/<name>."""

    base: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> GitDaemon:
        self.port = free_port()
        log = self.base / "daemon.log"
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                ["git", "daemon", "--reuseaddr", "--export-all", "--informative-errors", "--listen=127.0.0.1",
                 f"--port={self.port}", f"--base-path={self.base}", str(self.base)],
                env=GIT_ENV, stdout=output, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, "git daemon", log)
        return self

    def url(self, bare: Path) -> str:
        return f"git://127.0.0.1:{self.port}/{bare.relative_to(self.base)}"

    def stop(self) -> None:
        assert self.process is not None
        stop(self.process)


@dataclass
class HttpGitServer:
    """Smart HTTP (``git http-backend`` as a CGI) for repositories under ``base``, refusing every
    request without basic auth ``login``/``password``. ``requests`` records (method, path, login
    sent or None, accepted)."""

    base: Path
    login: str
    password: str
    requests: list[tuple[str, str, str | None, bool]] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> HttpGitServer:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, bare: Path) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/{bare.relative_to(self.base)}"

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
                pass

            def _serve(self) -> None:
                path, _, query = self.path.partition("?")
                login = backend.authenticate(self.headers.get("Authorization", ""))
                backend.requests.append((self.command, path, login, login == backend.login))
                if login != backend.login:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                # Small test repositories: git sends bodies under http.postBuffer with a Content-Length.
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {**GIT_ENV, "GIT_PROJECT_ROOT": str(backend.base), "GIT_HTTP_EXPORT_ALL": "1",
                       "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": self.command, "PATH_INFO": path,
                       "QUERY_STRING": query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                       "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": login, "REMOTE_ADDR": "127.0.0.1",
                       "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                       "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
                result = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                                        check=False)
                head, _, content = result.stdout.partition(b"\r\n\r\n")
                headers = [line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line]
                status = next((int(value.split()[0]) for name, value in headers if name == "Status"), 200)
                self.send_response(status)
                for name, value in headers:
                    if name != "Status":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler

    def authenticate(self, header: str) -> str | None:
        """The login of a basic auth header with the right password, else None."""
        if not header.startswith("Basic "):
            return None
        login, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        return login if password == self.password else None


@dataclass
class SshGitServer:
    """A throwaway sshd on a free loopback port that lets ``root`` in with the keys in
    ``authorized_keys`` (the git commands run as root, like the tests). ``config`` is an ssh client
    config naming the server ``gitserver``, for scp-like URLs (which cannot carry a port)."""

    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def require() -> None:
        """Skip the test when there is no sshd, unless every test must run."""
        if SSHD.exists():
            return
        reason = f"{SSHD} is not installed (Debian package openssh-server)"
        if os.environ.get("SEMAPHORE_TEST_REQUIRE_ALL") == "1":
            pytest.fail(f"{reason}, and SEMAPHORE_TEST_REQUIRE_ALL=1")
        pytest.skip(reason)

    def start(self) -> SshGitServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        make_key(self.directory / "host_key")
        (self.directory / "authorized_keys").touch()
        (self.directory / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.directory / 'host_key'}\n"
            f"PidFile {self.directory / 'sshd.pid'}\nAuthorizedKeysFile {self.directory / 'authorized_keys'}\n"
            "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n")
        self.config.write_text(f"Host gitserver\n  HostName 127.0.0.1\n  Port {self.port}\n")
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege separation directory
        log = self.directory / "sshd.log"
        with log.open("wb") as output:
            self.process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(self.directory / "sshd_config")],
                                            stdout=output, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, "sshd", log)
        return self

    @property
    def config(self) -> Path:
        return self.directory / "ssh_config"

    def authorize(self, key: Path) -> Path:
        with (self.directory / "authorized_keys").open("a") as keys:
            keys.write(Path(f"{key}.pub").read_text())
        return key

    def url(self, bare: Path) -> str:
        return f"ssh://root@127.0.0.1:{self.port}{bare}"

    def stop(self) -> None:
        assert self.process is not None
        stop(self.process)


def make_key(path: Path, passphrase: str = "") -> Path:
    """An ed25519 key pair ``path`` / ``path.pub``, the private key 0600 as ssh demands."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f", str(path)],
                   check=True, capture_output=True)
    path.chmod(0o600)
    return path
