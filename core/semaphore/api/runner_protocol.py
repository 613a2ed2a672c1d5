"""The runner protocol (/api/internal/runners): what `semaphore runner` calls.

Registration (POST) authenticates with a registration token in the body; every other route with
the runner token in the ``X-Runner-Token`` header, checked before anything else is read: a
missing, wrong or revoked token gets 401 ``{"error": ...}`` and nothing else, and every
authenticated request notes the runner as seen (``touched``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import public
from semaphore.db.models import Runner
from semaphore.engine.runner_dispatch import answer_poll
from semaphore.engine.runner_reconcile import release_lost, release_removed
from semaphore.schemas.runners import PollSchema, ProgressSchema, RegisteredSchema, RegistrationSchema
from semaphore.services import runner_progress, runner_registration
from semaphore.services.runner_registration import TOKEN_HEADER
from semaphore.state import app_state

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint("runner_protocol", __name__, url_prefix="/api/internal/runners",
                description="The protocol of remote runners: register, report progress, unregister")

RUNNER_SECURITY: list[dict[str, list[str]]] = [{"runnerToken": []}]


def runner_token_required(view: F) -> F:
    """Mark a route that only a registered runner may call (its token in X-Runner-Token)."""
    view.runner_token_required = True  # type: ignore[attr-defined]
    return public(view)  # no user login: the runner's own token is checked instead


@blp.before_request
def _authenticate_runner() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "runner_token_required", False):
        g.runner = runner_registration.authenticate(context.db(), request.headers.get(TOKEN_HEADER))


def current_runner() -> Runner:
    runner: Runner = g.runner
    return runner


@blp.route("", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(RegistrationSchema)
@blp.response(200, RegisteredSchema)
@public
def register(body: dict[str, Any]) -> dict[str, Any]:
    """Register a runner: the global registration token (runners.registration_token) or a
    one-time token made in the UI or API (spent by this call); answers the runner's id and token.
    400 ``Invalid registration token`` for a wrong, used or expired one."""
    runner, token = runner_registration.register(context.db(), app_state().config.runner_registration_secret, body)
    return {"id": runner.id, "token": token}


@blp.route("", methods=["DELETE"])
@blp.doc(security=RUNNER_SECURITY)
@blp.response(204)
@runner_token_required
def unregister() -> None:
    """The runner leaves: its record is deleted and its token stops working; its tasks are decided
    as when an admin removes it."""
    runner = current_runner()
    release_removed(app_state(), context.db(), runner)
    runner_registration.unregister(context.db(), runner)


@blp.route("", methods=["GET"])
@blp.doc(security=RUNNER_SECURITY)
@blp.response(200, PollSchema)
@runner_token_required
def poll() -> dict[str, Any]:
    """The runner asks for work: the wanted status of its current jobs, and new jobs claimed for
    it (while use_remote_runner is on and the runner is active), each sealed to its public key."""
    return answer_poll(app_state(), context.db(), current_runner())


@blp.route("", methods=["PUT"])
@blp.doc(security=RUNNER_SECURITY)
@blp.arguments(ProgressSchema)
@blp.response(204)
@runner_token_required
def progress(body: dict[str, Any]) -> None:
    """The runner's report on its jobs: log records (a seq stored already is skipped), the commit,
    status changes (through the transition guard); also the apps it has and its version. A job
    that is not this runner's task is ignored. Jobs the runner reports ``Lost`` (it restarted and no
    longer runs them) wait again, or end ``error``."""
    state = app_state()
    runner_progress.report(context.db(), state.events, state.live, current_runner(), body)
    release_lost(state, context.db(), current_runner(), runner_progress.lost_jobs(body))
