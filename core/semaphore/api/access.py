"""The decorator every project-scoped endpoint uses: membership, then permission."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g

from semaphore.api.guards import check_project_access
from semaphore.roles import Permission
from semaphore.services.access import ProjectAccess

F = TypeVar("F", bound=Callable[..., Any])


def project_endpoint(permission: Permission = Permission.NONE) -> Callable[[F], F]:
    """Require membership of ``project_id`` (admins pass) and ``permission`` for this endpoint.

    The check runs in :mod:`semaphore.api.guards` before the body is parsed; the wrapper repeats it
    only when the view is called some other way. The view reads the result from :func:`access`.
    """
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if "project_access" not in g:
                check_project_access(permission, kwargs["project_id"])
            return view(*args, **kwargs)
        wrapper.project_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]
    return decorate


def access() -> ProjectAccess:
    result: ProjectAccess = g.project_access
    return result
