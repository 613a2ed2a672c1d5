"""Password login through the registered backends, slowed down per account and address
(services/login_throttle.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import LoginFailure, User
from semaphore.db.types import utcnow
from semaphore.errors import Forbidden, TooManyRequests, Unauthorized
from semaphore.interfaces import AuthContext, Identity
from semaphore.services import login_throttle
from semaphore.services.role_mappings import apply_role_mappings
from semaphore.state import AppState

INVALID = "invalid login or password"


def refuse_if_too_many(db: DbSession, column: Any, value: str, window: timedelta, limit: int, message: str) -> None:
    """TooManyRequests (with Retry-After) once ``limit`` failures with ``column == value`` lie
    within ``window``."""
    count, oldest = db.execute(select(func.count(), func.min(LoginFailure.created)).where(
        column == value, LoginFailure.created > utcnow() - window)).one()
    if count >= limit:
        retry_after = int((oldest + window - utcnow()).total_seconds()) + 1 if oldest else int(window.total_seconds())
        raise TooManyRequests(message, retry_after=max(retry_after, 1))


def record_failure(state: AppState, login: str, ip: str) -> None:
    """Kept in its own transaction: the request that failed is rolled back."""
    with state.db.session() as db:
        db.execute(delete(LoginFailure).where(LoginFailure.created < utcnow() - login_throttle.MEMORY))
        db.add(LoginFailure(login=login[:255], ip=ip[:64]))


def password_login(db: DbSession, state: AppState, login: str, password: str, ip: str) -> User:
    """The user for this login and password, or Unauthorized / Forbidden / TooManyRequests. ``ip``
    is the client's address (behind trusted proxies: see semaphore.trusted_proxies)."""
    login = login.strip().lower()
    backends = state.registry.password_backends(state.config)
    if not backends:
        raise Forbidden("password login is disabled")
    account = account_key(db, login)
    attempt = login_throttle.begin_attempt(state, account, ip)
    try:
        identity: Identity | None = None
        for backend in backends:
            identity = backend.authenticate(login, password, AuthContext(config=state.config, db=db))
            if identity is not None:
                break
        if identity is None:
            raise Unauthorized(INVALID)
        user = user_for_identity(db, identity)
    except Unauthorized:
        raise Unauthorized(INVALID) from None  # the attempt stays counted as a failure
    except BaseException:
        db.rollback()  # the request fails anyway; SQLite could not take back the attempt beside its lock
        login_throttle.undecided(state, attempt)
        raise
    login_throttle.succeeded(db, account, ip)
    return user


def account_key(db: DbSession, login: str) -> str:
    """What failures are counted by: the account's username, whether it was named by login or by
    e-mail (so both spellings share one limit); the login as typed for unknown accounts."""
    username = db.scalar(select(User.username).where(
        or_(func.lower(User.username) == login, func.lower(User.email) == login)).limit(1))
    return username or login


def is_local_account(db: DbSession, login: str) -> bool:
    """Whether ``login`` (lower case) names a user with a local password, by login or e-mail: an
    external login never takes such an account over."""
    return db.scalar(select(User.id).where(
        or_(func.lower(User.username) == login, func.lower(User.email) == login),
        User.external.is_(False), User.password != "").limit(1)) is not None


def user_for_identity(db: DbSession, identity: Identity) -> User:
    """The local user an identity stands for. An external identity is matched by username or
    e-mail, created as an external user when new, kept up to date (name, e-mail, mapped roles)
    when known; it never takes over a local account."""
    username, email = identity.username.strip().lower(), identity.email.strip().lower()
    by_name = db.scalar(select(User).where(func.lower(User.username) == username))
    by_email = db.scalar(select(User).where(func.lower(User.email) == email)) if email else None
    if not identity.external:
        user = by_name or by_email
        if user is None:
            raise Unauthorized(INVALID)
        return user
    if by_name is not None and by_email is not None and by_name.id != by_email.id:
        raise Forbidden(f"the login {username!r} and the e-mail {email!r} belong to two different users; "
                        "an administrator must resolve this", code="ACCOUNT_CONFLICT")
    user = by_name or by_email
    if user is not None and not user.external:
        raise Forbidden(f"a local account with the login {user.username!r} or e-mail {user.email!r} already "
                        "exists and is not taken over by an external login; an administrator can delete or "
                        "rename it", code="ACCOUNT_CONFLICT")
    if user is None:
        user = User(username=username, email=email, name=identity.name or username, external=True)
        db.add(user)
    else:
        user.email, user.name = email or user.email, identity.name or user.name
    db.flush()
    if identity.role_mappings is not None:
        apply_role_mappings(db, user, identity.groups, identity.role_mappings)
    return user
