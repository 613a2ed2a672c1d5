"""A user's TOTP enrolment: its status, the secret shown once at enrolment, and the first code that
confirms it."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import RequestSchema, ResponseSchema


class TotpStatusSchema(ResponseSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    created = fields.DateTime()
    confirmed = fields.Boolean(metadata={"description": "false while the enrolment waits for its first code"})
    recovery_codes_remaining = fields.Integer()


class TotpEnrolmentSchema(TotpStatusSchema):
    url = fields.String(metadata={"description": "otpauth:// URL (what the QR code holds)"})
    secret = fields.String(metadata={"description": "the base32 secret, for typing into the app"})
    recovery_codes = fields.List(fields.String(), metadata={"description": "shown once, never again"})


class ConfirmSchema(RequestSchema):
    passcode = fields.String(required=True, validate=validate.Length(min=1, max=32))
