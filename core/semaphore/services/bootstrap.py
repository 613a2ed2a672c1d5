"""The first admin, made sure of at every server start.

``SEMAPHORE_ADMIN`` (with ``SEMAPHORE_ADMIN_PASSWORD``, ``SEMAPHORE_ADMIN_NAME`` and
``SEMAPHORE_ADMIN_EMAIL``; each may also come from a ``*_FILE`` variable) names an admin account:
it is created when missing and made an admin when it is not one. An existing account's password,
name and e-mail are left alone, so a restart never undoes a change made in the UI.

Without ``SEMAPHORE_ADMIN``, a database without any user gets an ``admin`` with a random password,
which the caller shows once. Running this again changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import User
from semaphore.errors import NotFound
from semaphore.passwords import DEFAULT_MIN_LENGTH, validate_password
from semaphore.services import activity
from semaphore.services.users import create_user, find_user

DEFAULT_LOGIN = "admin"
GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters


@dataclass
class Bootstrapped:
    """What happened. ``password`` is set only when it was generated here and must be shown."""

    login: str
    action: str  # "created" | "promoted" | "unchanged"
    password: str | None = None


def bootstrap_admin(db: DbSession, environ: Mapping[str, str],
                    min_password_length: int = DEFAULT_MIN_LENGTH) -> Bootstrapped | None:
    """Create or promote the admin the environment names, or the first ``admin`` of an empty
    database. Returns None when there was nothing to do."""
    login = environ.get("SEMAPHORE_ADMIN", "").strip().lower()
    if login:
        return _ensure_named_admin(db, login, environ, min_password_length)
    if db.scalar(select(func.count()).select_from(User)):
        return None
    password = _generated_password()
    create_user(db, None, username=DEFAULT_LOGIN, email=f"{DEFAULT_LOGIN}@localhost", name="Admin",
                password=password, admin=True)
    return Bootstrapped(DEFAULT_LOGIN, "created", password)


def _ensure_named_admin(db: DbSession, login: str, environ: Mapping[str, str],
                        min_password_length: int) -> Bootstrapped:
    try:
        user = find_user(db, login=login)
    except NotFound:
        given = environ.get("SEMAPHORE_ADMIN_PASSWORD", "")
        if given:
            validate_password(given, min_password_length, field="SEMAPHORE_ADMIN_PASSWORD")
        password = given or _generated_password()
        create_user(db, None, username=login, email=environ.get("SEMAPHORE_ADMIN_EMAIL") or f"{login}@localhost",
                    name=environ.get("SEMAPHORE_ADMIN_NAME") or login, password=password, admin=True,
                    min_password_length=min_password_length)
        return Bootstrapped(login, "created", None if given else password)
    if user.admin:
        return Bootstrapped(user.username, "unchanged")
    user.admin = True
    activity.record(db, None, None, "user", user.id, user.username, activity.UPDATED,
                    f"User {user.username} made an admin by SEMAPHORE_ADMIN")
    return Bootstrapped(user.username, "promoted")


def _generated_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
