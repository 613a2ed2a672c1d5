"""User accounts: create, change, delete, with the rules the API and the CLI share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Session, User
from semaphore.errors import Conflict, Forbidden, NotFound, ValidationError
from semaphore.passwords import DEFAULT_MIN_LENGTH, check_password, hash_password, validate_password
from semaphore.services import activity, login_throttle
from semaphore.state import AppState


def get_user(db: DbSession, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def find_user(db: DbSession, login: str | None = None, email: str | None = None) -> User:
    query = select(User)
    if login:
        query = query.where(func.lower(User.username) == login.strip().lower())
    elif email:
        query = query.where(func.lower(User.email) == email.strip().lower())
    else:
        raise ValidationError("give a login or an e-mail", field="login")
    user = db.scalar(query)
    if user is None:
        raise NotFound(f"no user with {'login ' + login if login else 'e-mail ' + str(email)}")
    return user


def list_users(db: DbSession) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def _check_unique(db: DbSession, username: str | None, email: str | None, exclude_id: int | None = None) -> None:
    for column, value, field in ((User.username, username, "username"), (User.email, email, "email")):
        if value is None:
            continue
        query = select(User.id).where(func.lower(column) == value.lower())
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if db.scalar(query) is not None:
            raise Conflict(f"{field}: a user with this {field} already exists", field=field)


def create_user(db: DbSession, actor: User | None, *, username: str, email: str, name: str = "",
                password: str = "", admin: bool = False, external: bool = False, alert: bool = False,
                min_password_length: int = DEFAULT_MIN_LENGTH) -> User:
    username, email = username.strip().lower(), email.strip().lower()
    _check_unique(db, username, email)
    if not external and not password:
        raise ValidationError("required for a local user", field="password")
    if not external:
        validate_password(password, min_password_length)
    user = User(username=username, email=email, name=name or username, admin=admin, external=external,
                alert=alert, password=hash_password(password) if password and not external else None)
    db.add(user)
    db.flush()
    activity.record(db, actor, None, "user", user.id, user.username, activity.CREATED,
                    f"User {user.username} created")
    return user


def update_user(db: DbSession, actor: User | None, user: User, changes: dict[str, Any],
                current_session_id: int | None = None, *, min_password_length: int = DEFAULT_MIN_LENGTH) -> User:
    """``actor`` None is the operator at the command line, who may change anyone's admin flag."""
    if "admin" in changes and changes["admin"] != user.admin:
        if actor is not None and not actor.admin:
            raise Forbidden("only an admin can change the admin flag")
        if actor is not None and actor.id == user.id:
            raise Forbidden("you cannot change your own admin flag")
        if not changes["admin"]:
            _keep_one_admin(db, user)
    if "username" in changes and changes["username"].lower() != user.username and user.external:
        raise ValidationError("cannot change the login of an external user", field="username")
    username = changes.get("username", "").lower() or None
    email = changes.get("email", "").lower() or None
    _check_unique(db, username, email, exclude_id=user.id)
    user.username = username or user.username
    user.email = email or user.email
    for name in ("name", "alert", "admin"):
        if name in changes:
            setattr(user, name, changes[name])
    if changes.get("password"):
        _replace_password(db, user, changes["password"], current_session_id, min_password_length)
    activity.record(db, actor, None, "user", user.id, user.username, activity.UPDATED, f"User {user.username} updated")
    return user


def set_password(db: DbSession, actor: User | None, user: User, password: str,
                 keep_session_id: int | None = None, *, min_password_length: int = DEFAULT_MIN_LENGTH) -> None:
    """Change the password and end the user's other login sessions (not their API tokens)."""
    _replace_password(db, user, password, keep_session_id, min_password_length)
    activity.record(db, actor, None, "user", user.id, user.username, activity.UPDATED,
                    f"Password of {user.username} changed")


def _replace_password(db: DbSession, user: User, password: str, keep_session_id: int | None,
                      min_password_length: int) -> None:
    if user.external:
        raise ValidationError("external users have no local password", field="password")
    validate_password(password, min_password_length)
    user.password = hash_password(password)
    sessions = select(Session).where(Session.user_id == user.id, Session.expired.is_(False))
    for session in db.scalars(sessions):
        if session.id != keep_session_id:
            session.expired = True


def require_current_password(state: AppState, db: DbSession, user: User, current: str, address: str) -> None:
    """A user who changes their own password proves they know the current one, so that a stolen
    session cannot take the account over. Wrong guesses count as failed logins of the account from
    ``address`` (services/login_throttle.py). External users have no password to give."""
    if user.external:
        return
    if not current:
        raise ValidationError("give your current password to change it", field="current_password")
    # Nothing is written yet but perhaps this session's last-use time; SQLite lets one connection write
    # at a time, and the attempt is written by another one.
    db.rollback()
    login_throttle.begin_attempt(state, user.username, address)
    if not check_password(current, user.password or ""):
        raise ValidationError("is not your current password", field="current_password")
    login_throttle.succeeded(db, user.username, address)


def delete_user(db: DbSession, actor: User | None, user: User) -> None:
    if user.admin:
        _keep_one_admin(db, user)
    activity.record(db, actor, None, "user", user.id, user.username, activity.DELETED, f"User {user.username} deleted")
    db.delete(user)


def _keep_one_admin(db: DbSession, user: User) -> None:
    others = db.scalar(select(func.count()).select_from(User).where(User.admin.is_(True), User.id != user.id))
    if not others:
        raise Conflict("the last admin cannot lose admin rights or be deleted")
