"""A project's task history (/project/<id>/history): its tasks newest first, a page at a time,
filtered by status. The template detail page shows the same table for one template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import request

from semaphore.api import context
from semaphore.services import tasks
from semaphore.services.task_status import UNFINISHED
from semaphore.web import blp
from semaphore.web.pages import page_for_users, page_number, project_page_access, render_project_page

TASKS_PER_PAGE = 50

#: The status filter's choices: (value of ?status=, title, statuses it keeps; None keeps all).
STATUS_FILTERS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("", "All", None),
    ("active", "Running / waiting", tuple(sorted(UNFINISHED))),
    ("success", "Success", ("success",)),
    ("error", "Error", ("error", "rejected")),
    ("stopped", "Stopped", ("stopped",)),
)


@dataclass(frozen=True)
class TaskPage:
    """One page of a task list, as the task table shows it."""

    tasks: list[dict[str, Any]]
    status: str
    page: int
    has_older: bool

    @property
    def filters(self) -> tuple[tuple[str, str, tuple[str, ...] | None], ...]:
        return STATUS_FILTERS


def task_page(project_id: int, template_id: int | None = None) -> TaskPage:
    """The page of tasks ``?page=`` and ``?status=`` ask for: one query for the page (one row more
    than shown tells whether older tasks exist) and one each for its templates and authors."""
    db = context.db()
    status = request.args.get("status", "")
    statuses = next((kept for value, _, kept in STATUS_FILTERS if value == status), None)
    if statuses is None:
        status = ""
    page = page_number()
    rows = tasks.list_tasks(db, project_id, template_id=template_id, statuses=statuses,
                            offset=(page - 1) * TASKS_PER_PAGE, limit=TASKS_PER_PAGE + 1)
    shown = with_durations(tasks.with_templates(db, rows[:TASKS_PER_PAGE]))
    return TaskPage(tasks=shown, status=status, page=page, has_older=len(rows) > TASKS_PER_PAGE)


def with_durations(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The task rows, each with its ``duration`` as the task tables show it."""
    for task in rows:
        task["duration"] = duration(task["start"], task["end"])
    return rows


def duration(start: datetime | None, end: datetime | None) -> str:
    """How long a finished task ran, e.g. ``42s``, ``3m 05s``, ``1h 02m``; "" while unknown."""
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@blp.get("/project/<int:project_id>/history")
@page_for_users
def history_page(project_id: int) -> str:
    access = project_page_access(project_id)
    return render_project_page("history.html", access, "history", listing=task_page(project_id))
