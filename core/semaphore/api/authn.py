"""Who is calling: a session cookie or an ``Authorization: Bearer`` API token.

Cookie-authenticated writes must come from our own origin (browsers send Origin/Referer on
cross-site requests; together with SameSite=Lax this is the CSRF defence). Token-authenticated
requests carry no ambient credentials and need no such check.

A login sets two cookies: the session (``semaphore_session``, HttpOnly, out of JavaScript's reach)
and ``semaphore``, which says only that this browser is signed in (the original's web UI looks for
``semaphore=`` in ``document.cookie``). They are set and cleared together, and both are cleared as
soon as a request shows that the session is gone (logged out elsewhere, idle, or never valid).
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from flask_login import LoginManager, UserMixin
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session as DbSession

from semaphore.api import context
from semaphore.api.context import AuthInfo
from semaphore.db.models import Session, User
from semaphore.errors import Forbidden, Unauthorized
from semaphore.services import totp
from semaphore.services.sessions import active_session, create_session
from semaphore.services.tokens import user_for_token
from semaphore.state import app_state

log = logging.getLogger(__name__)

SESSION_COOKIE = "semaphore_session"
SIGNED_IN_COOKIE = "semaphore"  # readable by scripts; carries no secret
SIGNED_IN_VALUE = "1"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginUser(UserMixin):
    """flask-login's view of a user row."""

    def __init__(self, user: User) -> None:
        self.row = user

    def get_id(self) -> str:
        return str(self.row.id)


def cookie_serializer() -> URLSafeSerializer:
    key = base64.b64decode(app_state().config.cookie_hash)
    return URLSafeSerializer(key, salt="semaphore-session")


def log_in(response: Response, db: DbSession, user: User) -> Session:
    """Start a login session for ``user`` and set its cookie on ``response``. The session waits for
    the second factor when the user has turned on TOTP (and the server allows it)."""
    state = app_state()
    verified = not totp.challenge_needed(db, state, user)
    session = create_session(db, user, request.remote_addr or "", request.headers.get("User-Agent", ""),
                             verified=verified)
    set_session_cookie(response, session)
    log.info("login: %s (user %s) %s", user.username, user.id,
             "logged in" if verified else "gave the password; waits for the TOTP code")
    return session


def set_session_cookie(response: Response, session: Session) -> None:
    """The session cookie first (a script that keeps only the first Set-Cookie keeps the session),
    then the signed-in marker."""
    value = cookie_serializer().dumps({"user": session.user_id, "session": session.id})
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="Lax", secure=secure_cookies(), path="/")
    response.set_cookie(SIGNED_IN_COOKIE, SIGNED_IN_VALUE, httponly=False, samesite="Lax", secure=secure_cookies(),
                        path="/")
    g.session_cookies_written = True


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=secure_cookies())
    response.delete_cookie(SIGNED_IN_COOKIE, path="/", httponly=False, samesite="Lax", secure=secure_cookies())
    g.session_cookies_written = True


def _clear_stale_cookies(response: Response) -> Response:
    """Clear both cookies when this request showed that they stand for no session: a session cookie
    that did not authenticate, or the signed-in marker without a session cookie. Otherwise a client
    that trusts the marker would believe it is signed in (and, like the original's login page, send
    the browser back and forth between the login page and a 401)."""
    if g.get("session_cookies_written"):
        return response
    marker_alone = SIGNED_IN_COOKIE in request.cookies and SESSION_COOKIE not in request.cookies
    if marker_alone or g.get("stale_session_cookie"):
        clear_session_cookie(response)
    return response


def secure_cookies() -> bool:
    """Whether cookies set now get the Secure flag: the request came over HTTPS, or the server's
    public URL (``web_host``) is an https:// one (TLS ends at a proxy in front of the server)."""
    return request.is_secure or app_state().config.web_host.startswith("https://")


def _load_from_token(header: str) -> AuthInfo | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed Authorization header; expected 'Bearer <token>'")
    user = user_for_token(context.db(), token)
    return AuthInfo(user=user, method="token") if user else None


def _load_from_cookie(raw: str) -> AuthInfo | None:
    try:
        data: Any = cookie_serializer().loads(raw)
        user_id, session_id = int(data["user"]), int(data["session"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    db = context.db()
    session = active_session(db, session_id, user_id, app_state().config.session_idle_days)
    if session is None:
        db.commit()  # keep the expiry of an idle session even though this request fails
        return None
    user = db.get(User, user_id)
    return AuthInfo(user=user, method="session", session_id=session.id, verified=session.verified) if user else None


def _check_origin() -> None:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return
    if urlsplit(origin).netloc != request.host:
        raise Forbidden("cross-origin request refused")


def install_authentication(app: Flask) -> None:
    manager = LoginManager()
    manager.session_protection = None
    manager.init_app(app)

    @manager.request_loader
    def _load(_request: Any) -> LoginUser | None:
        header = request.headers.get("Authorization")
        raw_cookie = request.cookies.get(SESSION_COOKIE)
        info = _load_from_token(header) if header else (_load_from_cookie(raw_cookie) if raw_cookie else None)
        if info is None:
            g.stale_session_cookie = bool(raw_cookie and not header)
            return None
        if info.method == "session" and request.method not in SAFE_METHODS:
            _check_origin()
        if not info.verified:
            g.pending_auth = info
            return None
        g.auth = info
        return LoginUser(info.user)

    app.after_request(_clear_stale_cookies)

    @manager.unauthorized_handler
    def _unauthorized() -> Response:
        raise Unauthorized("authentication required")
