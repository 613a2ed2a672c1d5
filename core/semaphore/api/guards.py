"""Checks made before a request body is parsed: authentication for every /api route that is not
marked public, then system admin rights for routes marked admin-only, and project membership and
permission for project routes.

Running them first means an anonymous caller always gets 401 and a non-member 404, never a 400
that would reveal how the body is validated or that a project exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, request

from semaphore.api import context
from semaphore.errors import Forbidden
from semaphore.services.access import project_access

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ENDPOINT_PREFIXES = ("api-docs.",)  # flask-smorest's OpenAPI document and Swagger UI


def public(view: F) -> F:
    """Mark an /api endpoint that needs no login (ping, login, logout, webhooks)."""
    view.public = True  # type: ignore[attr-defined]
    return view


def admin_only(view: F) -> F:
    """Mark an /api endpoint for system admins only (403 for other users)."""
    view.admin_only = True  # type: ignore[attr-defined]
    return view


def check_admin() -> None:
    if not context.user().admin:
        raise Forbidden("only admins may do this")


def check_project_access(permission: Any, project_id: int) -> None:
    access = project_access(context.db(), context.user(), project_id)
    access.require(permission)
    g.project_access = access


def install_guards(app: Flask) -> None:
    @app.before_request
    def _guard() -> None:
        if not request.path.startswith("/api/") or request.endpoint is None:
            return
        view = app.view_functions[request.endpoint]
        if getattr(view, "public", False) or request.endpoint.startswith(PUBLIC_ENDPOINT_PREFIXES):
            return
        context.user()
        if getattr(view, "admin_only", False):
            check_admin()
        permission = getattr(view, "project_permission", None)
        project_id = (request.view_args or {}).get("project_id")
        if permission is not None and project_id is not None:
            check_project_access(permission, project_id)
