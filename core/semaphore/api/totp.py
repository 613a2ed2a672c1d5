"""TOTP enrolment of a user (/api/users/{id}/2fas/totp): begin, QR code, confirm, status, turn off.

Only the user enrols (the secret is theirs alone); the user or an admin reads the status and turns
two-factor authentication off (an admin's reset for a user who lost the device).
"""

from __future__ import annotations

import io

import segno
from flask import Response

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.api.users import admin_or_self
from semaphore.db.models import User, UserTotp
from semaphore.errors import Forbidden, NotFound
from semaphore.schemas.totp import ConfirmSchema, TotpEnrolmentSchema, TotpStatusSchema
from semaphore.services import totp
from semaphore.state import app_state

blp = Blueprint("totp", __name__, url_prefix="/api/users", description="Two-factor authentication (TOTP)")

QR_SCALE = 6


def _self(user_id: int) -> User:
    actor = context.user()
    if actor.id != user_id:
        raise Forbidden("only the user can enrol their own authenticator")
    return actor


def _status(row: UserTotp) -> dict[str, object]:
    return {"id": row.id, "user_id": row.user_id, "created": row.created, "confirmed": row.confirmed,
            "recovery_codes_remaining": totp.remaining_recovery_codes(row)}


@blp.route("/<int:user_id>/2fas/totp", methods=["GET"])
@blp.response(200, TotpStatusSchema)
def totp_status(user_id: int):  # type: ignore[no-untyped-def]
    """The user's active enrolment; 404 when two-factor authentication is off."""
    _, user = admin_or_self(user_id)
    row = totp.active_totp(context.db(), user.id)
    if row is None:
        raise NotFound("two-factor authentication is off for this user")
    return _status(row)


@blp.route("/<int:user_id>/2fas/totp", methods=["POST"])
@blp.response(201, TotpEnrolmentSchema)
def begin_enrolment(user_id: int):  # type: ignore[no-untyped-def]
    """Begin an enrolment: a new secret (as URL, text and QR code) and the recovery codes. It is
    off until confirmed with a first code, and lapses after 15 minutes."""
    user = _self(user_id)
    row, secret, codes = totp.begin_enrolment(context.db(), app_state(), user)
    return {**_status(row), "url": totp.provisioning_uri(user, secret), "secret": secret, "recovery_codes": codes}


@blp.route("/<int:user_id>/2fas/totp/<int:totp_id>/qr", methods=["GET"])
@blp.response(200, content_type="image/png")
def enrolment_qr(user_id: int, totp_id: int) -> Response:
    """The pending enrolment's QR code (PNG), for the authenticator app to scan."""
    user = _self(user_id)
    _, secret = totp.pending_enrolment(context.db(), app_state(), user, totp_id)
    image = io.BytesIO()
    segno.make(totp.provisioning_uri(user, secret), error="m").save(image, kind="png", scale=QR_SCALE, border=2)
    return Response(image.getvalue(), mimetype="image/png", headers={"Cache-Control": "no-store"})


@blp.route("/<int:user_id>/2fas/totp/<int:totp_id>/confirm", methods=["POST"])
@blp.arguments(ConfirmSchema)
@blp.response(200, TotpStatusSchema)
def confirm_enrolment(body: dict, user_id: int, totp_id: int):  # type: ignore[no-untyped-def,type-arg]
    """Turn two-factor authentication on with the app's first code; the user's other sessions end."""
    user = _self(user_id)
    row = totp.confirm_enrolment(context.db(), app_state(), user, totp_id, body["passcode"],
                                 keep_session_id=context.auth().session_id)
    return _status(row)


@blp.route("/<int:user_id>/2fas/totp/<int:totp_id>", methods=["DELETE"])
@blp.response(204)
def remove_enrolment(user_id: int, totp_id: int) -> None:
    """Turn two-factor authentication off (the user, or an admin for a user who lost the device);
    the user's sessions end, but for the caller's own."""
    actor, user = admin_or_self(user_id)
    keep = context.auth().session_id if actor.id == user.id else None
    totp.remove_enrolment(context.db(), user, totp_id, keep_session_id=keep)
