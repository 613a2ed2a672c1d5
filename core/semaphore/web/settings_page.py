"""A project's settings: name, alerts and parallel tasks (PUT /api/project/{id}), the settings the
installed notifiers declare (``Notifier.project_fields``), which alert channels the server has on,
and deleting the project. Read-only for roles that may not update the project."""

from __future__ import annotations

from dataclasses import dataclass

from semaphore.execution import TemplateField
from semaphore.schemas.projects import ProjectWriteSchema
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page

#: Settings the page shows itself; a notifier declaring one of these is not shown twice.
OWN_FIELDS = ("name", "alert", "max_parallel_tasks", "type")


@dataclass(frozen=True)
class ChannelSettings:
    """One alert channel: whether the server turns it on, and the project settings it declares
    (``stored`` False for a field the project API cannot keep yet: shown, but disabled)."""

    channel: str
    plugin: str
    enabled: bool
    fields: tuple[tuple[TemplateField, bool], ...]


def channels() -> list[ChannelSettings]:
    state = app_state()
    writable = set(ProjectWriteSchema().fields)
    return [ChannelSettings(notifier.channel, notifier.plugin, bool(notifier.enabled(state.config)),
                            tuple((field, field.name in writable) for field in notifier.project_fields
                                  if field.name not in OWN_FIELDS))
            for _, notifier in sorted(state.registry.notifiers.items())]


@blp.get("/project/<int:project_id>/settings")
@page_for_users
def settings_page(project_id: int) -> str:
    access = project_page_access(project_id)
    return render_project_page("settings.html", access, "settings", channels=channels())
