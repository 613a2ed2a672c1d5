"""Several real `semaphore server` processes on one database behind a real nginx: a cluster for the
end-to-end tests and the benchmarks.

Each node is a :class:`ServerProcess` in its own directory, on its own port, with the same
database and the same access-key and cookie keys (a shared database needs them) and its own
``ha.node_id`` (``node-1``...). nginx runs in the foreground from its own prefix directory on a free
port, with the site configuration of docs/high-availability.md (read from the document, so the
example the documentation shows is the one the tests run): round robin over the nodes, websocket
upgrades passed. Its access log records which node answered each request.

A node can be killed as a machine dies (SIGKILL to the server, its worker and everything they
started, task scripts included) and started again on its port.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from live_server import ADMIN, Api
from process_helpers import ServerProcess, free_port
from sqlalchemy import Engine, create_engine, text

from semaphore.testing import TEST_KEY, URL_VARS, ServerDatabase, skip_or_fail

REPO_ROOT = Path(__file__).resolve().parent.parent
HA_DOC = REPO_ROOT / "docs" / "high-availability.md"
NODES = 3
REDIS_ADDR = "127.0.0.1:6379"
# The two ways to run a cluster: PostgreSQL alone (its LISTEN/NOTIFY is the bus), MariaDB + Redis.
BACKENDS = {
    "postgres": ("postgres", {}),
    "mariadb-redis": ("mysql", {"SEMAPHORE_HA_ENABLED": "true", "SEMAPHORE_HA_REDIS_ADDR": REDIS_ADDR}),
}
SHARED_KEYS = {"SEMAPHORE_ACCESS_KEY_ENCRYPTION": TEST_KEY, "SEMAPHORE_COOKIE_HASH": TEST_KEY,
               "SEMAPHORE_COOKIE_ENCRYPTION": TEST_KEY}


# -- nginx ----------------------------------------------------------------------------------------

def documented_site_config() -> str:
    """The ```nginx block of docs/high-availability.md: the upstream, the map and the server."""
    blocks = re.findall(r"```nginx\n(.*?)```", HA_DOC.read_text(), re.S)
    assert len(blocks) == 1, f"{HA_DOC} should hold exactly one ```nginx block, found {len(blocks)}"
    return str(blocks[0])


def site_config(documented: str, backends: list[str], port: int) -> str:
    """The documented site with the test's addresses: the upstream's ``server`` lines replaced by
    ``backends`` (host:port), ``listen 80;`` by the loopback ``port``."""
    upstream = re.search(r"upstream semaphore \{\n(.*?)\n\}", documented, re.S)
    assert upstream is not None, "the documented nginx example has no `upstream semaphore { ... }`"
    servers = "\n".join(f"    server {backend};" for backend in backends)
    config = documented.replace(upstream.group(1), servers)
    assert config.count("listen 80;") == 1, "the documented nginx example should listen on port 80"
    return config.replace("listen 80;", f"listen 127.0.0.1:{port};")


def nginx_config(prefix: Path, site: str) -> str:
    """A whole nginx.conf around ``site`` with every file (pid, logs, temp paths) in ``prefix``."""
    temp = "\n".join(f"    {name}_temp_path {prefix / name};" for name in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
    indented = "\n".join(f"    {line}" if line else "" for line in site.splitlines())
    return (f"worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            '    log_format upstream "$request_method $uri $status $upstream_addr";\n'
            f"    access_log {prefix / 'access.log'} upstream;\n{temp}\n{indented}\n}}\n")


@dataclass
class Nginx:
    """nginx in the foreground (``daemon off``), from its own prefix directory, stopped by its pid."""

    prefix: Path
    backends: list[str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> list[str]:
        path = self.prefix / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def start(self) -> Nginx:
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        config = self.prefix / "nginx.conf"
        config.write_text(nginx_config(self.prefix, site_config(documented_site_config(), self.backends, self.port)))
        argv = ["nginx", "-c", str(config), "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
                "-g", "daemon off;"]
        with (self.prefix / "nginx.out").open("wb") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"nginx exited with {self.process.returncode}: {self.errors()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"nginx did not listen on {self.port} within 30 s: {self.errors()}")

    def errors(self) -> str:
        """What nginx said: its output and error log."""
        return "\n".join((self.prefix / name).read_text() for name in ("nginx.out", "error.log")
                         if (self.prefix / name).exists())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # nginx's fast shutdown: open websockets would hold SIGQUIT
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# -- the nodes ------------------------------------------------------------------------------------

def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children...), read from /proc."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        with contextlib.suppress(OSError):
            for thread in Path(f"/proc/{parent}/task").iterdir():
                children = [int(child) for child in (thread / "children").read_text().split()]
                found += children
                pending += children
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its parent counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@dataclass
class Node:
    """One server of the cluster: ``node_id`` is its ``ha.node_id``."""

    node_id: str
    server: ServerProcess

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @property
    def running(self) -> bool:
        return self.server.process is not None and self.server.process.poll() is None

    def pids(self) -> list[int]:
        """The server (gunicorn's master), its worker and whatever they started."""
        assert self.server.process is not None
        return [self.server.process.pid, *descendants(self.server.process.pid)]

    def kill(self) -> None:
        """SIGKILL to every process of the node at once, as when its machine dies."""
        assert self.server.process is not None
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.server.process.wait()

    def restart(self) -> None:
        """Start the server again on its port (after :meth:`kill` or a stop)."""
        self.server.start()


@dataclass
class Cluster:
    """``NODES`` servers on one database behind nginx; ``api`` talks through nginx as the admin."""

    backend: str
    database: ServerDatabase
    nodes: list[Node]
    nginx: Nginx
    engine: Engine
    api: Api = field(init=False)

    def __post_init__(self) -> None:
        self.api = Api.logged_in(self.nginx.url)

    @property
    def url(self) -> str:
        return self.nginx.url

    def direct(self, node: Node) -> Api:
        """The admin's API on one node, bypassing nginx."""
        return Api(node.url, self.api.token)

    def node(self, node_id: str) -> Node:
        (found,) = [node for node in self.nodes if node.node_id == node_id]
        return found

    def query(self, sql: str, **params: Any) -> list[Any]:
        """Rows straight from the cluster's database."""
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def claimed_by(self, task_id: int) -> str | None:
        rows = self.query("SELECT claimed_by FROM task WHERE id = :id", id=task_id)
        return rows[0][0] if rows else None

    def node_running(self, task_id: int, timeout: float = 30) -> Node:
        """The node whose engine claimed the task (waits for the claim). ``task.claimed_by`` holds
        the node id, or, from before nodes had ids, ``host:pid:random`` with the worker's pid."""
        deadline = time.monotonic() + timeout
        while True:
            holder = self.claimed_by(task_id)
            if holder:
                for node in self.nodes:
                    if holder == node.node_id or (node.running and _pid_of(holder) in node.pids()):
                        return node
            assert time.monotonic() < deadline, f"task {task_id} not claimed by a node of the cluster: {holder!r}"
            time.sleep(0.1)

    def others(self, *nodes: Node) -> list[Node]:
        return [node for node in self.nodes if node not in nodes]

    def restore(self) -> None:
        """Start again every node a test killed."""
        for node in self.nodes:
            if not node.running:
                node.restart()


def _pid_of(holder: str) -> int:
    parts = holder.split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else -1


def redis_listening() -> bool:
    host, port = REDIS_ADDR.split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def running_cluster(backend: str, directory: Path, env: dict[str, str] | None = None,
                    nodes: int = NODES, purpose: str = "cluster") -> Iterator[Cluster]:
    """``nodes`` servers on a fresh database of ``backend`` (a key of ``BACKENDS``) behind nginx;
    ``env`` is added to every node's environment. Clusters running at once need distinct ``purpose``s
    (their databases are named after it)."""
    dialect, backend_env = BACKENDS[backend]
    server_url = os.environ.get(URL_VARS[dialect])
    if not server_url:
        skip_or_fail(f"{URL_VARS[dialect]} is not set")
    if backend_env.get("SEMAPHORE_HA_REDIS_ADDR") and not redis_listening():
        skip_or_fail(f"no Redis listening on {REDIS_ADDR}")
    database = ServerDatabase(dialect, str(server_url), purpose=purpose)
    started: list[Node] = []
    nginx: Nginx | None = None
    engine: Engine | None = None
    try:
        common = {**database.config_env(), **SHARED_KEYS, **ADMIN, **backend_env, **(env or {})}
        servers = []
        for number in range(1, nodes + 1):
            node_id = f"node-{number}"
            (directory / node_id).mkdir(parents=True)
            server = ServerProcess(directory / node_id, env={**common, "SEMAPHORE_HA_NODE_ID": node_id})
            started.append(Node(node_id, server))
            servers.append(server)
        servers[0].start()  # the first migrates the database; the others then start side by side
        _start_all(servers[1:])
        nginx = Nginx(directory / "nginx", [node.address for node in started]).start()
        engine = create_engine(database.server_url.set(database=database.name), pool_pre_ping=True)
        yield Cluster(backend, database, started, nginx, engine)
    finally:
        if nginx is not None:
            nginx.stop()
        for node in started:
            if node.running:
                node.server.stop()
        if engine is not None:
            engine.dispose()
        database.drop()


def _start_all(servers: list[ServerProcess]) -> None:
    failures: list[BaseException] = []

    def start(server: ServerProcess) -> None:
        try:
            server.start()
        except BaseException as error:  # pytest.fail raises an Outcome, not an Exception
            failures.append(error)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def ping(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/ping", timeout=5) as response:
            return bool(response.read() == b"pong")
    except OSError:
        return False
