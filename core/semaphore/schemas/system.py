"""The server's information and its plugins."""

from __future__ import annotations

from marshmallow import fields

from semaphore.schemas.base import ResponseSchema


class InfoSchema(ResponseSchema):
    version = fields.String()
    ansible = fields.String()
    web_host = fields.String()
    use_remote_runner = fields.Boolean()


class PluginSchema(ResponseSchema):
    name = fields.String()
    distribution = fields.String(allow_none=True)
    version = fields.String(allow_none=True)
    builtin = fields.Boolean()
    status = fields.String()
    error = fields.String(allow_none=True)
    hooks = fields.List(fields.String())
