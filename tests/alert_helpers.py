"""An app with the notifier plugins and a project whose alerts are on; a task's status changed as
the engine changes it; the alerts it sent, waited for."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import semaphore_notify_rocketchat
import semaphore_notify_slack
import semaphore_notify_teams
import semaphore_notify_telegram
from task_helpers import ScriptExecutorPlugin, build_app, create_project, create_template, query, run_task

from semaphore.builtin.task_alerts import dispatcher, stop_dispatcher
from semaphore.db.models import Project, Task, Template
from semaphore.services.task_status import change_status
from semaphore.state import app_state
from semaphore.testing import create_user_row, log_in

WEB_HOST = "https://semaphore.example.test"
NOTIFIERS = {"notify_slack": semaphore_notify_slack, "notify_telegram": semaphore_notify_telegram,
             "notify_teams": semaphore_notify_teams, "notify_rocketchat": semaphore_notify_rocketchat}
NOTIFIER_SETTINGS = (semaphore_notify_slack.SlackSettings, semaphore_notify_telegram.TelegramSettings,
                     semaphore_notify_teams.TeamsSettings, semaphore_notify_rocketchat.RocketChatSettings)


def alert_app(config: Any, **settings: Any) -> Any:
    """An app with every notifier plugin installed and ``settings`` set on its configuration (the
    core's, or the settings of the notifier plugin that declares them)."""
    config.web_host = WEB_HOST
    for name, value in settings.items():
        owner = next((config.plugin_settings(cls) for cls in NOTIFIER_SETTINGS
                      if name in {f.name for f in fields(cls)}), config)
        setattr(owner, name, value)
    app = build_app(config, script_executor=ScriptExecutorPlugin(), **NOTIFIERS)
    dispatcher(app).retry_delay = 0.05
    return app


def close_app(app: Any) -> None:
    """Stop the app's alert sender (another test's app on the same database must not meet it) and
    close its database connections."""
    stop_dispatcher(app)
    app.extensions["semaphore"].db.dispose()


def project_with_task(app: Any, *, alert: bool = True, alert_chat: str | None = None,
                      suppress_success_alerts: bool = False, username: str = "admin") -> tuple[Any, int, int]:
    """A project (alerts as given), a template "Deploy app" and one queued task of a new admin
    (``username``): the project, the template's id and the task's id."""
    create_user_row(app, username, admin=True, name="Ada Admin")
    client = log_in(app.test_client(), username)
    project = create_project(app, client)
    template = create_template(client, project)
    task = run_task(client, project, template["id"])
    with app.extensions["semaphore"].db.session() as db:
        row = db.get(Project, project.id)
        row.alert, row.alert_chat = alert, alert_chat
        db.get(Template, template["id"]).suppress_success_alerts = suppress_success_alerts
    return project, int(template["id"]), int(task["id"])


def change_and_wait(app: Any, task_id: int, status: str) -> None:
    """Move the task to ``status`` as the engine does, then wait until its alerts were handled."""
    with app.extensions["semaphore"].db.session() as db:
        assert change_status(db, app_state(app).events, db.get(Task, task_id), status)
    dispatcher(app).join()


def task_log(app: Any, task_id: int) -> list[str]:
    return [row[0] for row in query(app, "SELECT output FROM task__output WHERE task_id = :t ORDER BY seq", t=task_id)]
