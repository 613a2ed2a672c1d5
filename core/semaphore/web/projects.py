"""The projects list (with the create form) and a project's dashboard of recent tasks."""

from __future__ import annotations

from semaphore.api import context
from semaphore.services import projects, tasks
from semaphore.services.project_overview import resource_counts
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.history import with_durations
from semaphore.web.pages import page_for_users, project_page_access, render_page, render_project_page

RECENT_TASKS = 20


@blp.get("/projects")
@page_for_users
def projects_page() -> str:
    user = context.user()
    return render_page("projects.html", projects=projects.list_projects(context.db(), user),
                       can_create=projects.can_create_project(app_state(), user))


@blp.get("/project/<int:project_id>")
@page_for_users
def project_dashboard(project_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    recent = with_durations(tasks.with_templates(db, tasks.list_tasks(db, project_id, limit=RECENT_TASKS)))
    counts = resource_counts(db, project_id)
    steps = [] if counts["tasks"] else getting_started(counts)
    return render_project_page("project.html", access, "dashboard", tasks=recent, steps=steps)


def getting_started(counts: dict[str, int]) -> list[tuple[str, str, bool]]:
    """A new project's steps to its first run: (what, section path, done)."""
    return [("Store the credentials your hosts and repositories need", "/keys", counts["keys"] > 0),
            ("Add the git repository with your playbooks or scripts", "/repositories", counts["repositories"] > 0),
            ("Describe the hosts to run on in an inventory", "/inventory", counts["inventories"] > 0),
            ("Optionally, group variables and secrets", "/environment", counts["environments"] > 0),
            ("Create a template: what to run, where, with which variables", "/templates", counts["templates"] > 0),
            ("Run the template and watch its log", "/templates", False)]
