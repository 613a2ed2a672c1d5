"""Users and API tokens."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import RequestSchema, ResponseSchema, no_control_characters

USERNAME = validate.And(validate.Length(min=1, max=255),
                        validate.Regexp(r"^[^\s]+$", error="must not contain spaces"), no_control_characters)
FULL_NAME = validate.And(validate.Length(max=255), no_control_characters)


class UserSchema(ResponseSchema):
    id = fields.Integer()
    created = fields.DateTime()
    username = fields.String()
    name = fields.String()
    email = fields.String()
    admin = fields.Boolean()
    external = fields.Boolean()
    alert = fields.Boolean()


class CurrentUserSchema(UserSchema):
    can_create_project = fields.Boolean()


class UserBriefSchema(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()


class UserCreateSchema(RequestSchema):
    username = fields.String(required=True, validate=USERNAME)
    name = fields.String(load_default="", validate=FULL_NAME)
    email = fields.Email(required=True, validate=validate.Length(max=255))
    password = fields.String(load_default="", validate=validate.Length(max=1024))
    admin = fields.Boolean(load_default=False)
    external = fields.Boolean(load_default=False)
    alert = fields.Boolean(load_default=False)


CURRENT_PASSWORD_HELP = "your current password: required when you change your own password (not the original's)"


class UserUpdateSchema(RequestSchema):
    username = fields.String(validate=USERNAME)
    name = fields.String(validate=FULL_NAME)
    email = fields.Email(validate=validate.Length(max=255))
    password = fields.String(validate=validate.Length(max=1024))
    current_password = fields.String(validate=validate.Length(max=1024),
                                     metadata={"description": CURRENT_PASSWORD_HELP})
    admin = fields.Boolean()
    alert = fields.Boolean()


class PasswordSchema(RequestSchema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    current_password = fields.String(load_default="", validate=validate.Length(max=1024),
                                     metadata={"description": CURRENT_PASSWORD_HELP})


class TokenSchema(ResponseSchema):
    id = fields.String(metadata={"description": "The token itself when just created; its id (SHA-256) in lists"})
    created = fields.DateTime()
    expired = fields.Boolean()
    user_id = fields.Integer()
