"""`semaphore server`: prepare the database and the first admin, then serve with gunicorn.

``web_workers`` worker processes (``--workers``), each with ``web_threads`` threads (gthread) and
each a full node (semaphore.cluster): its own task engine, scheduler, alert sender and websocket
hub, with the cluster bus between them; each open websocket holds a thread. The application is built
in the master before the fork, so configuration and plugin errors end the command with one clear
line instead of a worker that fails to boot. SIGTERM and SIGINT (Ctrl-C) both stop gracefully:
requests in progress finish, for at most ``GRACEFUL_TIMEOUT`` seconds; then the worker stops the
scheduler and the task engine (whose tasks end), sends the runners' webhook calls still queued
(at most ``WEBHOOKS_CLOSE_TIMEOUT`` seconds) and closes the database last. The master waits for
the worker ``GRACEFUL_TIMEOUT + WEBHOOKS_CLOSE_TIMEOUT`` seconds before it kills it.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from semaphore.app import create_app
from semaphore.builtin import task_alerts
from semaphore.cluster.choose import make_bus
from semaphore.cluster.node_id import new_node_id
from semaphore.cluster.task_bridge import connect
from semaphore.config import Config, resolve_file_variables
from semaphore.db.engine import Database
from semaphore.db.migrate import upgrade
from semaphore.engine import runner_webhook
from semaphore.engine.task_engine import TaskEngine
from semaphore.errors import SemaphoreError
from semaphore.generated_secrets import ensure_secrets
from semaphore.scheduler.ticker import Scheduler
from semaphore.services.bootstrap import Bootstrapped, bootstrap_admin
from semaphore.state import AppState, app_state

GRACEFUL_TIMEOUT = 10
WEBHOOKS_CLOSE_TIMEOUT = math.ceil(runner_webhook.TIMEOUT + runner_webhook.CLOSE_GRACE)
GUNICORN_LOG_LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning",
                       logging.ERROR: "error", logging.CRITICAL: "critical"}


def start_node(state: AppState, worker: int | None = None) -> None:
    """This process joins the nodes on the database: its id (``worker``: its number among several
    workers), and the bus to the others."""
    state.node_id = new_node_id(state.config.ha.node_id, worker)
    state.bus = make_bus(state.config, state.db, state.node_id)
    connect(state, state.bus)
    state.bus.start()


def prepare(config: Config, environ: Mapping[str, str]) -> tuple[Flask, Bootstrapped | None]:
    """Migrate the schema, build the application and make sure of the first admin."""
    ensure_secrets(config)  # before touching the database: a shared database needs configured keys
    database = Database.from_config(config)
    upgrade(database.engine)
    app = create_app(config, database=database)
    with app_state(app).db.session() as db:
        # The admin's variables, with their _FILE forms; settings read their own when the config is loaded.
        admin_env = {name: value for name, value in environ.items() if name.startswith("SEMAPHORE_ADMIN")}
        admin = bootstrap_admin(db, resolve_file_variables(admin_env), config.password_min_length)
    return app, admin


def bind_address(config: Config) -> str:
    host = config.listen_host
    return f"[{host}]:{config.listen_port}" if ":" in host else f"{host}:{config.listen_port}"


def listening_message(config: Config) -> str:
    """Where the server listens, and, when that is every interface, a URL a browser on this
    machine can open (the wildcard address is not a host)."""
    listening = f"listening on http://{bind_address(config)}"
    if config.listen_host in ("0.0.0.0", "::"):
        return f"{listening} (all interfaces; on this machine open http://localhost:{config.listen_port})"
    return listening


def check_can_listen(config: Config) -> None:
    """Fail at once with a clear message when the address is taken (gunicorn retries for 5 s)."""
    host, port = config.listen_host, config.listen_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SemaphoreError(f"cannot listen on {bind_address(config)}: {exc.strerror or exc} "
                                 "(set port / SEMAPHORE_PORT or interface / SEMAPHORE_INTERFACE)") from None


def serve(app: Flask, config: Config, log_level: int, on_ready: Callable[[], None] | None = None) -> None:
    """Run until stopped; does not return (gunicorn's master exits the process)."""
    check_can_listen(config)
    # The worker opens its own connections; none may be shared across the fork.
    app_state(app).db.dispose()
    GunicornServer(app, config, log_level, on_ready).run()


class GunicornServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, config: Config, log_level: int, on_ready: Callable[[], None] | None) -> None:
        self.application = app
        self.semaphore_config = config
        self.log_level = log_level
        self.on_ready = on_ready
        self.scheduler: Scheduler | None = None
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": [bind_address(self.semaphore_config)],
            "worker_class": "gthread",
            "workers": self.semaphore_config.web_workers,
            "threads": max(1, self.semaphore_config.web_threads),
            "preload_app": True,
            # The master's wait before it kills the worker; the worker's own for its requests is
            # GRACEFUL_TIMEOUT (set in the worker): after them it still has its stop to make.
            "graceful_timeout": GRACEFUL_TIMEOUT + WEBHOOKS_CLOSE_TIMEOUT,
            "accesslog": "-" if self.log_level <= logging.DEBUG else None,
            "loglevel": GUNICORN_LOG_LEVELS.get(self.log_level, "info"),
            "proc_name": "semaphore",
            "control_socket_disable": True,  # gunicorn >= 24: one fixed socket path per user would clash
            "when_ready": self._when_ready,
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
        }
        for name, value in settings.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self) -> Flask:
        return self.application

    def run(self) -> None:
        GracefulArbiter(self).run()

    def _post_worker_init(self, worker: Any) -> None:
        worker.cfg.set("graceful_timeout", GRACEFUL_TIMEOUT)  # this process's copy: the master keeps its own
        # A terminal's Ctrl-C reaches the worker too; let it finish its requests like on SIGTERM.
        signal.signal(signal.SIGINT, worker.handle_exit)
        # Several workers: each is a node. A worker that is replaced gets a new number (gunicorn's
        # age), so a dead worker's node and its tasks are recovered as any dead node's.
        start_node(app_state(self.application), worker.age if self.semaphore_config.web_workers > 1 else None)
        # The task engine runs in the worker: its threads would not survive the fork.
        TaskEngine(app_state(self.application)).start()
        # Every server process ticks: the fire-time claims decide which one fires.
        self.scheduler = Scheduler(app_state(self.application))
        self.scheduler.start()
        # Alerts queued by any server process (or left by one that died) are sent from here too.
        task_alerts.dispatcher(self.application)

    def _worker_exit(self, _server: Any, worker: Any) -> None:
        if worker.pid != os.getpid():
            return  # the master, told of a worker that died unseen: the app runs in the worker only
        state = app_state(self.application)
        state.live.close_all()  # open websockets would hold the graceful stop
        if self.scheduler is not None:
            self.scheduler.shutdown(timeout=2)
        if state.engine is not None:
            state.engine.shutdown(timeout=GRACEFUL_TIMEOUT - 2)
        # After the engine: the alerts of tasks it ended are in the outbox; what is not sent in
        # time stays there for another process (or this one's next start).
        task_alerts.stop_dispatcher(self.application, timeout=1)
        # After the engine, whose stop may finish tasks; before the database, which the log lines need.
        if state.runner_webhooks is not None:
            state.runner_webhooks.close()
        state.bus.close()
        state.db.dispose()

    def _when_ready(self, _arbiter: Arbiter) -> None:
        if self.on_ready is not None:
            self.on_ready()


class GracefulArbiter(Arbiter):  # type: ignore[misc]
    """Ctrl-C stops as gently as SIGTERM does (gunicorn's default for SIGINT is an immediate stop)."""

    def handle_int(self) -> None:
        self.handle_term()
