"""Request-scoped helpers: the database session and the authenticated user.

The session is committed after a successful response and rolled back otherwise, so a rejected
request writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, g, request
from flask_login import current_user
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import User
from semaphore.errors import Unauthorized, ValidationError
from semaphore.state import app_state


@dataclass
class AuthInfo:
    """How the current request authenticated."""

    user: User
    method: str  # "session" or "token"
    session_id: int | None = None
    verified: bool = True  # False: a session still waiting for the second factor


def pending_auth() -> AuthInfo | None:
    """A session that passed the password but not yet the second factor (it authenticates
    nothing but the steps that complete or end it)."""
    if current_user.is_authenticated:  # also runs the request loader, which notes a waiting session
        return None
    return g.get("pending_auth")


def db() -> DbSession:
    if "_db" not in g:
        g._db = app_state().db.sessionmaker()
    session: DbSession = g._db
    return session


def user() -> User:
    """The authenticated user; 401 when there is none."""
    if not current_user.is_authenticated:
        if pending_auth() is not None:
            raise Unauthorized("TOTP_REQUIRED", hint="give your authenticator app's code: POST /api/auth/verify")
        raise Unauthorized("authentication required")
    return auth().user


def optional_auth() -> AuthInfo | None:
    """How the request authenticated, or None for an anonymous request."""
    return g.get("auth") if current_user.is_authenticated else None


def auth() -> AuthInfo:
    info: AuthInfo | None = g.get("auth")
    if info is None:
        raise Unauthorized("authentication required")
    return info


def sort_args(allowed: set[str]) -> tuple[str | None, str]:
    """``?sort=<column>&order=asc|desc`` as the original's list endpoints take them."""
    sort = request.args.get("sort")
    order = request.args.get("order", "asc").lower()
    if sort is not None and sort not in allowed:
        raise ValidationError(f"must be one of {', '.join(sorted(allowed))}", field="sort")
    if order not in ("asc", "desc"):
        raise ValidationError("must be asc or desc", field="order")
    return sort, order


def install_db_session(app: Flask) -> None:
    @app.after_request
    def _commit(response: Response) -> Response:
        session: DbSession | None = g.pop("_db", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: DbSession | None = g.pop("_db", None)
        if session is not None:
            session.rollback()
            session.close()
