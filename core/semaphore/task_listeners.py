"""The listeners of task events that every app has (semaphore.task_events): the websocket viewers
see each queued task and status change, the ``task_status_changed`` hook is called, and a
successful build queues the deploys that run after it, and a runner's webhook hears of the tasks
handed to it and their end (engine/runner_webhook.py). The task engine subscribes itself when
it starts."""

from __future__ import annotations

from flask import Flask

from semaphore.engine.runner_webhook import RunnerWebhooks
from semaphore.services.task_status import TaskStatus
from semaphore.services.tasks import enqueue, queue_autorun_deploys
from semaphore.state import app_state
from semaphore.task_events import TaskEvent, TaskQueued, TaskStatusChanged


def subscribe_builtin_listeners(app: Flask) -> None:
    state = app_state(app)

    def show_to_viewers(event: TaskEvent) -> None:
        if isinstance(event, TaskQueued | TaskStatusChanged):  # a stop request's status was shown already
            state.live.publish_update(event.task)

    def call_status_hook(event: TaskEvent) -> None:
        if isinstance(event, TaskStatusChanged):
            # The hook's contract hands plugins the Flask app, and they may expect its context:
            # events come from engine and scheduler threads that have none.
            with app.app_context():
                state.registry.task_status_changed(app, event.task, event.old, event.new)

    def autorun_deploys(event: TaskEvent) -> None:
        if isinstance(event, TaskStatusChanged) and event.new == TaskStatus.SUCCESS:
            with state.db.session() as db:
                enqueue(db, state.events, queue_autorun_deploys(db, state, event.task.id))

    state.runner_webhooks = RunnerWebhooks(state)
    state.events.subscribe(show_to_viewers, remote=True)  # viewers on this node of tasks on any node
    for listener in (call_status_hook, autorun_deploys, state.runner_webhooks.on_event):
        state.events.subscribe(listener)
