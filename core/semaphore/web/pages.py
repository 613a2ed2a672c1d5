"""What every signed-in page shares: who is signed in, the header's project switcher, and errors
shown as a page rather than as the API's JSON."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import redirect, render_template, url_for
from werkzeug.wrappers import Response

from semaphore.api import context
from semaphore.db.models import User
from semaphore.errors import SemaphoreError
from semaphore.services import projects
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
