"""Login and logout (session cookie), as the original's /api/auth/*."""

from __future__ import annotations

from flask import Response, request
from sqlalchemy.orm import Session as DbSession

from semaphore.api import context
from semaphore.api.authn import clear_session_cookie, log_in
from semaphore.api.blueprint import Blueprint
from semaphore.api.guards import public
from semaphore.db.models import UserTotp
from semaphore.errors import Unauthorized
from semaphore.schemas.auth import LoginMetadataSchema, LoginSchema, RecoverySchema, VerifySchema
from semaphore.services import totp
from semaphore.services.login import password_login
from semaphore.services.sessions import expire_session, mark_verified
from semaphore.state import app_state

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Login and logout")


@blp.route("/login", methods=["GET"])
@blp.doc(security=[])
@blp.response(200, LoginMetadataSchema)
@public
def login_metadata():  # type: ignore[no-untyped-def]
    """Which login methods the login page should offer."""
    state = app_state()
    buttons = [button for backend in state.registry.auth_backends.values()
               if backend.kind_of_login == "redirect" and backend.enabled(state.config)
               for button in backend.login_buttons(state.config)]
    totp_config = state.config.auth.totp
    return {
        "oidc_providers": [{"id": b.id, "name": b.name, "color": b.color, "icon": b.icon}
                           for b in sorted(buttons, key=lambda b: (b.order, b.id))],
        "login_with_password": bool(state.registry.password_backends(state.config)),
        "auth_methods": {"totp": {"allow_recovery": totp_config.allow_recovery}} if totp_config.enabled else {},
    }


@blp.route("/login", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(LoginSchema)
@blp.response(204)
@public
def login(body: dict) -> Response:  # type: ignore[type-arg]
    """Log in with a login (or e-mail) and password; sets the `semaphore` session cookie. When the
    user has turned on TOTP, the session is good for nothing but `POST /api/auth/verify` (or
    `/api/auth/recovery`) until the code is given: other requests answer 401 `TOTP_REQUIRED`."""
    db = context.db()
    user = password_login(db, app_state(), body["auth"], body["password"], request.remote_addr or "")
    response = Response(status=204)
    log_in(response, db, user)
    return response


@blp.route("/verify", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(VerifySchema)
@blp.response(204)
@public
def verify(body: dict) -> Response:  # type: ignore[type-arg]
    """Complete a TOTP login with the authenticator's code."""
    db, row, session_id = _second_factor()
    totp.check_passcode(db, app_state(), row, body["passcode"])
    mark_verified(db, session_id)
    return Response(status=204)


@blp.route("/recovery", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(RecoverySchema)
@blp.response(204)
@public
def recovery(body: dict) -> Response:  # type: ignore[type-arg]
    """Complete a TOTP login with one of the recovery codes (each works once)."""
    db, row, session_id = _second_factor()
    totp.use_recovery_code(db, app_state(), row, body["recovery_code"])
    mark_verified(db, session_id)
    return Response(status=204)


def _second_factor() -> tuple[DbSession, UserTotp, int]:
    """The waiting session's database, TOTP enrolment and id; 401 without such a session."""
    state = app_state()
    totp.require_enabled(state)
    pending = context.pending_auth()
    if pending is None or pending.session_id is None:
        raise Unauthorized("no login is waiting for a code; log in with the password first")
    db = context.db()
    row = totp.active_totp(db, pending.user.id)
    if row is None:
        raise Unauthorized("two-factor authentication was turned off; log in again")
    return db, row, pending.session_id


@blp.route("/logout", methods=["POST"])
@blp.doc(security=[])
@blp.response(204)
@public
def logout() -> Response:
    """End the session on the server and clear the cookie."""
    info = context.optional_auth() or context.pending_auth()
    if info is not None and info.session_id is not None:
        expire_session(context.db(), info.session_id)
    response = Response(status=204)
    clear_session_cookie(response)
    return response
