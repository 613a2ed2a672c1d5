"""What every signed-in page shares: who is signed in, the header's project switcher, and errors
shown as a page rather than as the API's JSON."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from semaphore.api import context
from semaphore.db.models import User
from semaphore.errors import Forbidden, SemaphoreError
from semaphore.roles import Permission
from semaphore.services import projects
from semaphore.services.access import ProjectAccess, project_access
from semaphore.version import __version__
from semaphore.web import blp

F = TypeVar("F", bound=Callable[..., Any])


def signed_in_user() -> User | None:
    """The user of a fully verified session or token; None while a login still waits for its code."""
    info = context.optional_auth()
    return info.user if info else None


def page_for_users(view: F) -> F:
    """Send visitors who are not signed in to the login page (which also finishes a pending TOTP step)."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if signed_in_user() is None:
            return redirect(url_for("web.login_page"))
        return view(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def render_page(template: str, current_project: Any = None, **values: Any) -> str:
    """Render a signed-in page with the layout's header: the user menu and the project switcher."""
    user = context.user()
    return render_template(template, user=user, switcher_projects=projects.list_projects(context.db(), user),
                           current_project=current_project, version=__version__, **values)


@blp.errorhandler(SemaphoreError)
def error_page(error: SemaphoreError) -> tuple[str, int] | Response:
    return render_template("error.html", status=error.status, message=error.message, version=__version__,
                           user=signed_in_user()), error.status


#: The project's sections, in the order of its navigation: (section, title, path under /project/<id>).
PROJECT_SECTIONS = (
    ("dashboard", "Dashboard", ""),
    ("history", "Task history", "/history"),
    ("templates", "Templates", "/templates"),
    ("inventory", "Inventory", "/inventory"),
    ("environment", "Variable groups", "/environment"),
    ("keys", "Key store", "/keys"),
    ("repositories", "Repositories", "/repositories"),
    ("schedules", "Schedules", "/schedules"),
    ("integrations", "Integrations", "/integrations"),
    ("team", "Team", "/team"),
    ("settings", "Settings", "/settings"),
)


def project_page_access(project_id: int) -> ProjectAccess:
    """The caller's standing in the project: 404 for a project they are not in, as the API answers."""
    return project_access(context.db(), context.user(), project_id)


def render_project_page(template: str, access: ProjectAccess, section: str, **values: Any) -> str:
    """Render a page of one project: the layout plus the project's navigation, with the caller's
    permissions so the page shows only the buttons their role may use."""
    permissions = access.permissions
    return render_page(template, current_project=access.project, project=access.project, section=section,
                       sections=PROJECT_SECTIONS, can=PagePermissions(
                           run=bool(permissions & Permission.RUN_TASKS),
                           manage=bool(permissions & Permission.MANAGE_RESOURCES),
                           update_project=bool(permissions & Permission.UPDATE_PROJECT),
                           manage_users=bool(permissions & Permission.MANAGE_USERS)), **values)


@dataclass(frozen=True)
class PagePermissions:
    """What the caller's role allows, as a page asks it (``can.manage``); the API enforces the same."""

    run: bool
    manage: bool
    update_project: bool
    manage_users: bool


#: Beyond any list: a larger page number would overflow the databases' integers in the offset.
MAX_PAGE = 1_000_000


def page_number() -> int:
    """``?page=``: 1 for the first page; what is not a number from 1 to MAX_PAGE means 1, or MAX_PAGE
    when it is larger (an empty page, never an error)."""
    number = request.args.get("page", 1, type=int)
    if number is None or number < 1:
        return 1
    return min(number, MAX_PAGE)


def admin_page_user() -> User:
    """The signed-in admin; 403 for anyone else, as the admin API answers."""
    user = context.user()
    if not user.admin:
        raise Forbidden("only administrators may open this page")
    return user
