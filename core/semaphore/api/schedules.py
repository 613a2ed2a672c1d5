"""Schedules (/api/project/{id}/schedules)."""

from __future__ import annotations

from typing import Any

from semaphore.api import context
from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.roles import Permission
from semaphore.schemas.schedules import (
    CronSchema,
    NextRunsSchema,
    ScheduleActiveSchema,
    ScheduleSchema,
    ScheduleWriteSchema,
)
from semaphore.services.schedules import SCHEDULES, next_runs
from semaphore.state import app_state

blp = Blueprint("schedules", __name__, url_prefix="/api/project/<int:project_id>/schedules",
                description="Schedules: run a template on a cron, or on a cron when its repository has a new commit")


@blp.route("/validate", methods=["POST"], endpoint="validate")
@blp.arguments(CronSchema)
@blp.response(200, NextRunsSchema)
@project_endpoint(Permission.MANAGE_RESOURCES)
def validate(body: dict[str, Any], project_id: int) -> dict[str, Any]:
    """200 with the next fire times when ``cron_format`` is a valid 5-field cron expression (read
    in ``timezone``, default the server's schedule.timezone), else 400 naming the field and why."""
    return next_runs(body["cron_format"], (body.get("timezone") or "").strip() or None,
                     app_state().config.schedule.timezone)


add_resource_routes(blp, SCHEDULES, ScheduleSchema, ScheduleWriteSchema, "schedule_id")


@blp.route("/<int:schedule_id>/active", methods=["PUT"], endpoint="set_active")
@blp.arguments(ScheduleActiveSchema)
@blp.response(204)
@project_endpoint(Permission.MANAGE_RESOURCES)
def set_active(body: dict[str, Any], project_id: int, schedule_id: int) -> None:
    """Turn the schedule on or off."""
    db = context.db()
    SCHEDULES.set_active(db, access(), SCHEDULES.get(db, project_id, schedule_id), body["active"])
