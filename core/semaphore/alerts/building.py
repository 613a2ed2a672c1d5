"""What an alert about a task says, read from the database as the original does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession

from semaphore import notifier_settings
from semaphore.db.models import Project, ProjectUser, Task, Template, User
from semaphore.interfaces import Alert

#: The statuses the original alerts on.
ALERT_STATUSES = frozenset({"success", "error", "waiting_confirmation"})

NO_AUTHOR = "\u2014"  # an em dash, as the original shows for tasks nobody started by hand


def build_alert(db: DbSession, config: Any, task: Task, status: str) -> Alert | None:
    """The alert about ``task`` reaching ``status``; None when nothing is to be sent: not an
    alerted status, the project's alerts are off, or the template suppresses success alerts."""
    if status not in ALERT_STATUSES:
        return None
    project = db.get(Project, task.project_id)
    template = db.get(Template, task.template_id)
    if project is None or template is None or not project.alert:
        return None
    if status == "success" and template.suppress_success_alerts:
        return None
    return Alert(
        project_id=project.id, project_name=project.name, task_id=task.id, template_id=template.id,
        template_name=template.name, status=status, author=_author(db, task), version=_version(db, task, template),
        url=f"{config.web_host.rstrip('/')}/project/{project.id}/templates/{template.id}?t={task.id}",
        chat_override=project.alert_chat or None, message=task.message or "",
        recipients=recipients(db, project.id))


def project_notifier_settings(db: DbSession, project_id: int) -> notifier_settings.Settings:
    """Every channel's settings of the project (``{channel: {field: value}}``); each notifier's
    alert gets its own channel's (:meth:`semaphore.alerts.dispatch.AlertJob.alert_for`)."""
    project = db.get(Project, project_id)
    return notifier_settings.parse(project.notifier_settings if project is not None else None)


def recipients(db: DbSession, project_id: int) -> list[str]:
    """E-mail addresses of the project's members and of the admins, who opted in to alerts."""
    members = select(ProjectUser.user_id).where(ProjectUser.project_id == project_id)
    rows = db.scalars(select(User.email).where(
        User.alert.is_(True), or_(User.admin.is_(True), User.id.in_(members))).order_by(User.id))
    return [email for email in rows if email]


def _author(db: DbSession, task: Task) -> str:
    if task.user_id is None:
        return NO_AUTHOR
    return db.scalar(select(User.name).where(User.id == task.user_id)) or NO_AUTHOR


def _version(db: DbSession, task: Task, template: Template) -> str | None:
    """The task's version; for a deploy, the version of the build it deploys (``build 1.0.3``)."""
    if task.version:
        return task.version
    if template.type and task.build_task_id is not None:
        incoming = db.scalar(select(Task.version).where(Task.id == task.build_task_id))
        if incoming:
            return f"build {incoming}"
    return None
