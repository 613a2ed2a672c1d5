"""A project's team: its members and their roles. Owners (and admins) add, re-role and remove anyone,
managers task runners and guests (through /api/project/{id}/users); the page offers each viewer only
what their role allows. Everyone may leave (DELETE /api/project/{id}/me)."""

from __future__ import annotations

from semaphore.api import context
from semaphore.roles import ROLES, Role
from semaphore.services import members
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page

ROLE_TITLES = {"owner": "Owner", "manager": "Manager", "task_runner": "Task runner", "guest": "Guest"}


@blp.get("/project/<int:project_id>/team")
@page_for_users
def team_page(project_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    team = members.list_members(db, project_id)
    managed = access.managed_roles
    owners = sum(1 for _, role in team if role == Role.OWNER.value)
    # Rows the viewer may change or remove: a role they manage, and never the last owner.
    editable = {user.id for user, role in team if role in managed and not (role == Role.OWNER.value and owners <= 1)}
    candidates: list[tuple[int, str]] = []
    if managed:  # who could be added
        candidates = [(user.id, f"{user.name} ({user.username})" if user.name else user.username)
                      for user in members.users_not_in(db, project_id)]
    return render_project_page("team.html", access, "team", team=team, candidates=candidates, editable=editable,
                               roles=[(role, ROLE_TITLES.get(role, role)) for role in ROLES if role in managed],
                               role_titles=ROLE_TITLES, me=access.user)
