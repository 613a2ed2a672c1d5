"""A project's schedules: the list (with on/off switches and the next run times) and the create and
edit form, whose cron field previews the next runs through POST .../schedules/validate."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from semaphore.api import context
from semaphore.db.models import Repository, Template
from semaphore.services.schedules import SCHEDULES
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page
from semaphore.web.resources import list_page


def shown_time(iso_utc: str, zone: str) -> str:
    """An ISO UTC fire time as the schedule's zone reads it: 2026-12-03 09:00."""
    moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    try:
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    except (KeyError, ValueError):
        return moment.strftime("%Y-%m-%d %H:%M UTC")


def choices(model: Any, project_id: int) -> list[tuple[int, str]]:
    """(id, name) of the project's templates or repositories, by name, in one query."""
    query = select(model.id, model.name).where(model.project_id == project_id).order_by(model.name, model.id)
    return [(row_id, name) for row_id, name in context.db().execute(query)]


@blp.get("/project/<int:project_id>/schedules")
@page_for_users
def schedules_page(project_id: int) -> str:
    access = project_page_access(project_id)
    page = list_page(SCHEDULES, project_id)
    rows = SCHEDULES.present(context.db(), app_state(), page.rows)
    for row in rows:
        row["shown_runs"] = [shown_time(run, row["effective_timezone"]) for run in row["next_runs"][:3]]
    return render_project_page("schedules.html", access, "schedules", page=page, rows=rows)


def _schedule_form(project_id: int, schedule: Any) -> str:
    access = project_page_access(project_id)
    return render_project_page("schedule_form.html", access, "schedules", schedule=schedule,
                               templates=choices(Template, project_id), repositories=choices(Repository, project_id),
                               server_timezone=app_state().config.schedule.timezone)


@blp.get("/project/<int:project_id>/schedules/new")
@page_for_users
def new_schedule_page(project_id: int) -> str:
    return _schedule_form(project_id, None)


@blp.get("/project/<int:project_id>/schedules/<int:schedule_id>")
@page_for_users
def schedule_page(project_id: int, schedule_id: int) -> str:
    project_page_access(project_id)
    return _schedule_form(project_id, SCHEDULES.get(context.db(), project_id, schedule_id))
