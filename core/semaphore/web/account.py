"""The user menu's pages: /account (profile, password, two-factor authentication) and
/account/tokens (API tokens). Their scripts write through /api/users/<id>, /api/user/tokens and
/api/users/<id>/2fas/totp."""

from __future__ import annotations

import io

import segno
from flask import Response

from semaphore.api import context
from semaphore.services import tokens, totp
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, render_page

QR_SCALE = 5


@blp.get("/account")
@page_for_users
def account_page() -> str:
    user = context.user()
    state = app_state()
    totp_config = state.config.auth.totp
    enrolment = totp.active_totp(context.db(), user.id) if totp_config.enabled else None
    return render_page("account.html", account=user, totp_enabled=totp_config.enabled, enrolment=enrolment,
                       recovery_left=totp.remaining_recovery_codes(enrolment) if enrolment else 0,
                       password_min_length=state.config.password_min_length)


@blp.get("/account/totp/<int:totp_id>/qr.svg")
@page_for_users
def totp_qr_svg(totp_id: int) -> Response:
    """The pending enrolment's QR code as SVG, drawn here so the page needs no script to show it
    (the API's .../qr answers the same code as PNG)."""
    user = context.user()
    state = app_state()
    totp.require_enabled(state)
    _, secret = totp.pending_enrolment(context.db(), state, user, totp_id)
    image = io.BytesIO()
    segno.make(totp.provisioning_uri(user, secret), error="m").save(
        image, kind="svg", scale=QR_SCALE, border=2, dark="#000", light="#fff", xmldecl=False,
        svgclass=None, lineclass=None, title="QR code for your authenticator app")
    return Response(image.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@blp.get("/account/tokens")
@page_for_users
def tokens_page() -> str:
    user = context.user()
    listed = list(reversed(tokens.list_tokens(context.db(), user)))  # newest first
    return render_page("tokens.html", account=user, tokens=listed)
