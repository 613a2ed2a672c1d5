"""Login and logout (session cookie), as the original's /api/auth/*."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from semaphore.api import context
from semaphore.api.authn import clear_session_cookie, set_session_cookie
from semaphore.api.guards import public
from semaphore.schemas.base import RequestSchema, ResponseSchema
from semaphore.services.login import password_login
from semaphore.services.sessions import create_session, expire_session
from semaphore.state import app_state

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Login and logout")


class LoginSchema(RequestSchema):
    auth = fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "login or e-mail"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class LoginMetadataSchema(ResponseSchema):
    oidc_providers = fields.List(fields.Dict())
    login_with_password = fields.Boolean()


def client_address() -> str:
    return request.remote_addr or ""


@blp.route("/login", methods=["GET"])
@blp.doc(security=[])
@blp.response(200, LoginMetadataSchema)
@public
def login_metadata():  # type: ignore[no-untyped-def]
    """Which login methods the login page should offer."""
    state = app_state()
    redirect_backends = [b for b in state.registry.auth_backends.values()
                         if b.kind_of_login == "redirect" and b.enabled(state.config)]
    return {
        "oidc_providers": [{"id": b.id, "name": b.title, "color": getattr(b, "color", ""),
                            "icon": getattr(b, "icon", "")} for b in sorted(redirect_backends, key=lambda b: b.order)],
        "login_with_password": bool(state.registry.password_backends(state.config)),
    }


@blp.route("/login", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(LoginSchema)
@blp.response(204)
@public
def login(body: dict) -> Response:  # type: ignore[type-arg]
    """Log in with a login (or e-mail) and password; sets the `semaphore` session cookie."""
    db = context.db()
    user = password_login(db, app_state(), body["auth"], body["password"], client_address())
    session = create_session(db, user, client_address(), request.headers.get("User-Agent", ""))
    response = Response(status=204)
    set_session_cookie(response, session)
    return response


@blp.route("/logout", methods=["POST"])
@blp.doc(security=[])
@blp.response(204)
@public
def logout() -> Response:
    """End the session on the server and clear the cookie."""
    info = context.optional_auth()
    if info is not None and info.session_id is not None:
        expire_session(context.db(), info.session_id)
    response = Response(status=204)
    clear_session_cookie(response)
    return response
