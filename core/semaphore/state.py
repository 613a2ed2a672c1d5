"""The per-application state kept in ``app.extensions["semaphore"]``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, current_app

from semaphore.cluster.bus import ClusterBus, LocalBus
from semaphore.cluster.node_id import new_node_id
from semaphore.config import Config
from semaphore.crypto import SecretBox
from semaphore.db.engine import Database
from semaphore.live import LiveHub
from semaphore.plugins import Plugins
from semaphore.registry import Registry
from semaphore.task_events import TaskEvents

if TYPE_CHECKING:
    from semaphore.engine.runner_webhook import RunnerWebhooks
    from semaphore.engine.task_engine import TaskEngine


@dataclass
class AppState:
    config: Config
    db: Database
    plugins: Plugins
    registry: Registry
    secrets: SecretBox
    live: LiveHub  # websocket fan-out of task logs and updates
    #: The task engine, once started (server worker, or tests that run tasks).
    engine: TaskEngine | None = None
    #: Task events of this process (queued, status changed): see semaphore.task_events.
    events: TaskEvents = field(default_factory=TaskEvents)
    #: This server process's id among the nodes on the database (semaphore.cluster).
    node_id: str = field(default_factory=new_node_id)
    #: The bus to the other nodes on the database; a server worker starts the right one.
    bus: ClusterBus = field(default_factory=LocalBus)
    #: The calls to runners' webhooks, once the built-in listeners are subscribed; closed when the
    #: server stops, after the task engine.
    runner_webhooks: RunnerWebhooks | None = None


def app_state(app: Flask | None = None) -> AppState:
    state: AppState = (app or current_app).extensions["semaphore"]
    return state
