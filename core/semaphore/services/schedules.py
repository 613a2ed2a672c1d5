"""Schedules of templates, and when they run next. The scheduler (semaphore.scheduler) fires them."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from croniter import CroniterError, croniter
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Repository, Schedule, Template
from semaphore.db.types import utcnow
from semaphore.errors import ValidationError
from semaphore.scheduler.fire_times import next_fires, time_zone
from semaphore.services import activity
from semaphore.services.access import ProjectAccess
from semaphore.services.resources import ProjectResource, require_in_project

if TYPE_CHECKING:
    from semaphore.state import AppState

CRON_FIELDS = 5
SCHEDULE_FIELDS = ("id", "project_id", "template_id", "cron_format", "name", "active", "repository_id",
                   "last_commit_hash", "timezone")
NEXT_RUNS = 5  # fire times shown ahead


def validate_cron(expression: str) -> None:
    """Standard 5-field cron (minute hour day month weekday) or a macro such as @daily;
    400 naming ``cron_format`` with the parser's reason otherwise."""
    expression = expression.strip()
    if not expression.startswith("@") and len(expression.split()) != CRON_FIELDS:
        raise ValidationError(f"needs exactly {CRON_FIELDS} fields (minute hour day month weekday), "
                              f"got {len(expression.split())}", field="cron_format")
    try:
        croniter.expand(expression, strict=True)
    except (CroniterError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValidationError(str(exc) or "is not a valid cron expression", field="cron_format") from None


def effective_timezone(timezone: str | None, server_timezone: str) -> str:
    """The zone a schedule runs in: its own, else the server's (its schedule.timezone setting)."""
    return timezone or server_timezone


def next_runs(cron_format: str, timezone: str | None, server_timezone: str, count: int = NEXT_RUNS) -> dict[str, Any]:
    """``{"timezone": <zone used>, "next_runs": [ISO UTC, ...]}``; 400 naming the field that is wrong."""
    validate_cron(cron_format)
    zone_name = effective_timezone(timezone, server_timezone)
    times = next_fires(cron_format.strip(), time_zone(zone_name), utcnow(), count)
    return {"timezone": zone_name, "next_runs": [moment.isoformat().replace("+00:00", "Z") for moment in times]}


class Schedules(ProjectResource[Schedule]):
    model = Schedule
    object_type = "schedule"
    label = "Schedule"
    sort_columns = {"name": "name", "cron_format": "cron_format"}

    def list_for_template(self, db: DbSession, project_id: int, template_id: int, *,
                          on_commit_only: bool = False) -> builtins.list[Schedule]:
        """The template's schedules: all, or only those that run on a new commit (``repository_id`` set)."""
        query = self.query(project_id).where(Schedule.template_id == template_id)
        if on_commit_only:
            query = query.where(Schedule.repository_id.is_not(None))
        return builtins.list(db.scalars(query.order_by(Schedule.id)))

    def present(self, db: DbSession, state: AppState, rows: builtins.list[Schedule]) -> builtins.list[dict[str, Any]]:
        ids = {row.template_id for row in rows}
        names = {tid: name for tid, name in db.execute(select(Template.id, Template.name).where(Template.id.in_(ids)))}
        return [{**{name: getattr(row, name) for name in SCHEDULE_FIELDS}, "tpl_name": names.get(row.template_id, ""),
                 **self._upcoming(row, state.config.schedule.timezone)} for row in rows]

    def _upcoming(self, row: Schedule, server_timezone: str) -> dict[str, Any]:
        """The zone it runs in and its next fire times (none while it is off; commit schedules fire
        at these times only when there is a new commit)."""
        try:
            upcoming = next_runs(row.cron_format, row.timezone, server_timezone)
        except ValidationError:  # a row written before validation (or by hand) must not break the list
            return {"effective_timezone": effective_timezone(row.timezone, server_timezone), "next_runs": []}
        return {"effective_timezone": upcoming["timezone"], "next_runs": upcoming["next_runs"] if row.active else []}

    def validate(self, db: DbSession, state: AppState, project_id: int,
                 data: dict[str, Any], existing: Schedule | None) -> None:
        require_in_project(db, Template, data["template_id"], project_id, "template_id")
        require_in_project(db, Repository, data["repository_id"], project_id, "repository_id")
        validate_cron(data["cron_format"])
        data["cron_format"] = data["cron_format"].strip()
        data["timezone"] = (data.get("timezone") or "").strip() or None
        if data["timezone"]:
            time_zone(data["timezone"])

    def apply(self, db: DbSession, state: AppState, row: Schedule, data: dict[str, Any], access: ProjectAccess) -> None:
        row.template_id = data["template_id"]
        row.cron_format = data["cron_format"]
        row.name = data["name"] or ""
        row.active = data["active"]
        row.repository_id = data["repository_id"]
        row.timezone = data["timezone"]
        row.last_commit_hash = None  # a changed schedule starts watching afresh
        row.updated = utcnow()  # fire times before the change are not the new schedule's

    def set_active(self, db: DbSession, access: ProjectAccess, row: Schedule, active: bool) -> None:
        row.active = active
        row.updated = utcnow()  # switched on at 03:02, a 03:00 schedule does not fire for 03:00
        self.record(db, access, row, activity.UPDATED)

    def display_name(self, row: Schedule) -> str:
        return row.name or f"ID {row.id}"


SCHEDULES = Schedules()
