"""The decorator every project-scoped endpoint uses: membership, then permission."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g

from semaphore.api import context
from semaphore.services.access import ProjectAccess, project_access
from semaphore.services.roles import Permission

F = TypeVar("F", bound=Callable[..., Any])


def project_endpoint(permission: Permission = Permission.NONE) -> Callable[[F], F]:
    """Require membership of ``project_id`` (admins pass) and ``permission`` for this endpoint.

    The view reads the result from :func:`access`.
    """
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            access = project_access(context.db(), context.user(), kwargs["project_id"])
            access.require(permission)
            g.project_access = access
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def access() -> ProjectAccess:
    result: ProjectAccess = g.project_access
    return result
