"""Logging in: the login methods the login page offers, a password login, and the second factor
(a TOTP code or a recovery code)."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import RequestSchema, ResponseSchema


class LoginSchema(RequestSchema):
    auth = fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "login or e-mail"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class LoginMetadataSchema(ResponseSchema):
    oidc_providers = fields.List(fields.Dict())
    login_with_password = fields.Boolean()
    auth_methods = fields.Dict(metadata={"description": "second factors: {totp: {allow_recovery}} when TOTP is on"})


class VerifySchema(RequestSchema):
    passcode = fields.String(required=True, validate=validate.Length(min=1, max=32),
                             metadata={"description": "the 6-digit code of the authenticator app"})


class RecoverySchema(RequestSchema):
    recovery_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
