"""A project's team: its members and their roles; members who may manage users add, re-role and
remove them (through /api/project/{id}/users); everyone may leave (DELETE /api/project/{id}/me)."""

from __future__ import annotations

from semaphore.api import context
from semaphore.services import members
from semaphore.services.roles import ROLES, Permission
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page

ROLE_TITLES = {"owner": "Owner", "manager": "Manager", "task_runner": "Task runner", "guest": "Guest"}


@blp.get("/project/<int:project_id>/team")
@page_for_users
def team_page(project_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    team = members.list_members(db, project_id)
    candidates: list[tuple[int, str]] = []
    if access.permissions & Permission.MANAGE_USERS:  # who could be added
        candidates = [(user.id, f"{user.name} ({user.username})" if user.name else user.username)
                      for user in members.users_not_in(db, project_id)]
    return render_project_page("team.html", access, "team", team=team, candidates=candidates,
                               roles=[(role, ROLE_TITLES.get(role, role)) for role in ROLES],
                               role_titles=ROLE_TITLES, me=access.user)
