"""Login with the password stored (bcrypt) in the local user table."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import func, or_, select

from semaphore import hookimpl
from semaphore.db.models import User
from semaphore.errors import Unauthorized
from semaphore.interfaces import AuthBackend, AuthContext, Identity
from semaphore.passwords import check_password, hash_password


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a real password")


class LocalPasswordBackend(AuthBackend):
    id = "password"
    title = "Password"
    order = 100

    def enabled(self, config: Any) -> bool:
        return not config.password_login_disable

    def authenticate(self, login: str, password: str, context: AuthContext) -> Identity | None:
        login = login.strip().lower()
        user = context.db.scalar(select(User).where(
            or_(func.lower(User.username) == login, func.lower(User.email) == login)))
        if user is None or user.external or not user.password:
            check_password(password, _dummy_hash())  # same cost as a real check: no timing hint
            return None
        if not check_password(password, user.password):
            raise Unauthorized("invalid login or password")
        return Identity(username=user.username, email=user.email, name=user.name, external=False)


@hookimpl
def register_auth_backends(register):
    register(LocalPasswordBackend())
