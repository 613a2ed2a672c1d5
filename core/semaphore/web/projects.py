"""The projects list (with the create form) and a project's dashboard of recent tasks."""

from __future__ import annotations

from semaphore.api import context
from semaphore.services import projects, tasks
from semaphore.state import app_state
from semaphore.web import blp
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
    recent = tasks.with_templates(db, tasks.list_tasks(db, project_id, limit=RECENT_TASKS))
    return render_project_page("project.html", access, "dashboard", tasks=recent)
