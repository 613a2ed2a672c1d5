"""Access keys (the key store). Secret fields are write-only: no response ever carries them."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import RequestSchema, ResponseSchema, name_field, read_only_id

KEY_TYPES = ("none", "ssh", "login_password")


class LoginPasswordSchema(RequestSchema):
    login = fields.String(load_default="", validate=validate.Length(max=255))
    password = fields.String(load_default="", validate=validate.Length(max=4096))


class SshSchema(RequestSchema):
    login = fields.String(load_default="", validate=validate.Length(max=255))
    passphrase = fields.String(load_default="", validate=validate.Length(max=4096))
    # 16 KiB holds any real key (an RSA-16384 PEM is about 12 KiB) and, encrypted, fits a MySQL TEXT column.
    private_key = fields.String(load_default="", validate=validate.Length(max=16384))


class AccessKeySchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    project_id = fields.Integer(allow_none=True)
    empty = fields.Function(lambda key: not key.secret, metadata={"description": "no secret is stored"})
    # Blank, as in the original's answers: its edit forms bind to these; secrets are never returned.
    login_password = fields.Constant({"login": "", "password": ""}, metadata={"description": "always blank"})
    ssh = fields.Constant({"login": "", "passphrase": "", "private_key": ""}, metadata={"description": "always blank"})
    string = fields.Constant("", metadata={"description": "always blank"})
    override_secret = fields.Constant(False, metadata={"description": "on update: replace type and secret"})


class AccessKeyWriteSchema(RequestSchema):
    id = read_only_id()
    project_id = read_only_id()
    name = name_field()
    type = fields.String(required=True, validate=validate.OneOf(KEY_TYPES))
    login_password = fields.Nested(LoginPasswordSchema, load_default=None, allow_none=True)
    ssh = fields.Nested(SshSchema, load_default=None, allow_none=True)
    override_secret = fields.Boolean(load_default=False, metadata={"description": "on update: replace type and secret"})
