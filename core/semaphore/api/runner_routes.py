"""The routes that manage runners, made once for the admin API (/api/runners: every runner, new
ones global) and once for a project's (/api/project/{id}/runners: that project's, for owners and
managers). Paths and answers follow the original's; a new runner is registered with a one-time
token (POST answers it with the command that uses it), so no route ever answers a runner token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.db.models import User
from semaphore.engine.runner_reconcile import release_removed
from semaphore.schemas.runners import (
    RegistrationRequestSchema,
    RegistrationTokenSchema,
    RunnerActiveSchema,
    RunnerSchema,
    RunnerWriteSchema,
)
from semaphore.services import runner_registration, runners
from semaphore.state import app_state

Guard = Callable[[Callable[..., Any]], Callable[..., Any]]
ITEM = "/<int:runner_id>"


def _scope(path: dict[str, Any]) -> int | None:
    """The project of a project route; every runner for the admin routes."""
    project_id: int | None = path.get("project_id", runners.EVERY_PROJECT)
    return project_id


def _present(rows: list[Any]) -> list[dict[str, Any]]:
    return runners.present(context.db(), app_state().config.runners.offline_timeout_sec, rows)


def add_runner_routes(blp: Blueprint, guard: Guard, caller: Callable[[], User]) -> None:
    """``guard`` decides who may call (admin_only, or a project permission); ``caller`` is the user
    the activity log names."""

    @blp.route("", methods=["GET"], endpoint="list")
    @blp.response(200, RunnerSchema(many=True))
    @guard
    def list_rows(**path: int):  # type: ignore[no-untyped-def]
        """The runners with their status: online, last seen, version, running tasks, tags, apps."""
        return _present(runners.list_runners(context.db(), _scope(path)))

    @blp.route("", methods=["POST"], endpoint="create")
    @blp.arguments(RegistrationRequestSchema)
    @blp.response(201, RegistrationTokenSchema)
    @guard
    def create(body: dict[str, Any], **path: int):  # type: ignore[no-untyped-def]
        """A one-time registration token for a new runner (good for one registration within an
        hour), with the command that registers a runner with it."""
        project_id = path.get("project_id")
        token, row = runner_registration.create_registration_token(context.db(), caller(), project_id, body["name"])
        return {"token": token, "expires": row.expires, "project_id": project_id, "name": row.name,
                "command": runners.registration_command(token)}

    @blp.route(ITEM, methods=["GET"], endpoint="get")
    @blp.response(200, RunnerSchema)
    @guard
    def get(runner_id: int, **path: int):  # type: ignore[no-untyped-def]
        return _present([runners.get_runner(context.db(), runner_id, _scope(path))])[0]

    @blp.route(ITEM, methods=["PUT", "POST"], endpoint="update")
    @blp.arguments(RunnerWriteSchema)
    @blp.response(204)
    @guard
    def update(body: dict[str, Any], runner_id: int, **path: int) -> None:
        """Change name, active, max_parallel_tasks, webhook or tags (PUT, or POST as the original)."""
        db = context.db()
        runners.update_runner(db, caller(), runners.get_runner(db, runner_id, _scope(path)), body)

    @blp.route(ITEM + "/active", methods=["POST"], endpoint="set_active")
    @blp.arguments(RunnerActiveSchema)
    @blp.response(204)
    @guard
    def set_active(body: dict[str, Any], runner_id: int, **path: int) -> None:
        """Enable or disable: a disabled runner finishes its tasks but gets no new ones."""
        db = context.db()
        runners.set_active(db, caller(), runners.get_runner(db, runner_id, _scope(path)), body["active"])

    @blp.route(ITEM + "/cache", methods=["POST"], endpoint="clear_cache")
    @blp.response(204)
    @guard
    def clear_cache(runner_id: int, **path: int) -> None:
        """Ask the runner to clean its caches at its next poll."""
        db = context.db()
        runners.request_cleaning(db, caller(), runners.get_runner(db, runner_id, _scope(path)))

    @blp.route(ITEM, methods=["DELETE"], endpoint="delete")
    @blp.response(204)
    @guard
    def delete(runner_id: int, **path: int) -> None:
        """Remove the runner: its token stops working at once; its tasks that are starting wait again
        for another runner, those it was running end ``error``."""
        db = context.db()
        runner = runners.get_runner(db, runner_id, _scope(path))
        release_removed(app_state(), db, runner)
        runners.delete_runner(db, caller(), runner)
