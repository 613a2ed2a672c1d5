"""A project's settings: name, alerts and parallel tasks (PUT /api/project/{id}), the settings the
installed notifiers declare (``Notifier.project_fields``), which alert channels the server has on,
the project's runners (for owners and managers, through /api/project/{id}/runners) and deleting the
project. Read-only for roles that may not update the project."""

from __future__ import annotations

from dataclasses import dataclass

from semaphore import notifier_settings
from semaphore.api import context
from semaphore.db.models import Project
from semaphore.execution import TemplateField
from semaphore.roles import Permission
from semaphore.services import runners
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page

#: Settings the page shows itself; a notifier declaring one of these is not shown twice.
OWN_FIELDS = ("name", "alert", "max_parallel_tasks", "type")


@dataclass(frozen=True)
class NotifierField:
    """One declared setting as the form sends it: a project column under its own name
    (``alert_chat``), any other as ``notifier_settings.<channel>.<field>``; with the stored value."""

    field: TemplateField
    input_name: str
    value: str


@dataclass(frozen=True)
class ChannelSettings:
    """One alert channel: whether the server turns it on, and the project settings it declares."""

    channel: str
    plugin: str
    enabled: bool
    fields: tuple[NotifierField, ...]


def channels(project: Project) -> list[ChannelSettings]:
    state = app_state()
    stored = notifier_settings.parse(project.notifier_settings)
    return [ChannelSettings(notifier.channel, notifier.plugin, bool(notifier.enabled(state.config)),
                            tuple(_field(project, stored.get(notifier.channel, {}), notifier.channel, field)
                                  for field in notifier.project_fields if field.name not in OWN_FIELDS))
            for _, notifier in sorted(state.registry.notifiers.items())]


def _field(project: Project, stored: dict[str, str], channel: str, field: TemplateField) -> NotifierField:
    if notifier_settings.is_column(field):
        return NotifierField(field, field.name, str(getattr(project, field.name) or ""))
    return NotifierField(field, f"{notifier_settings.FIELD}.{channel}.{field.name}", stored.get(field.name, ""))


@blp.get("/project/<int:project_id>/settings")
@page_for_users
def settings_page(project_id: int) -> str:
    access = project_page_access(project_id)
    project_runners = None  # only owners and managers see the project's runners
    if access.permissions & Permission.MANAGE_RESOURCES:
        project_runners = runners.present(context.db(), app_state().config.runners.offline_timeout_sec,
                                          runners.list_runners(context.db(), project_id))
    return render_project_page("settings.html", access, "settings", channels=channels(access.project),
                               runners=project_runners)
