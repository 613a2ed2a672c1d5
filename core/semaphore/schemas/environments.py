"""Environments (/api/project/{id}/environment). Secret values are write-only."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import (
    JsonText,
    RequestSchema,
    ResponseSchema,
    fits_text_column,
    name_field,
    optional_id,
    read_only_id,
)


class EnvironmentSecretSchema(ResponseSchema):
    id = fields.Integer()
    type = fields.String(metadata={"description": "var (extra variable) or env (environment variable)"})
    name = fields.String()
    secret = fields.String(metadata={"description": "always empty: values are never returned"})


class EnvironmentSecretOperationSchema(RequestSchema):
    id = optional_id(metadata={"description": "the secret to update or delete"})
    type = fields.String(load_default=None, allow_none=True, metadata={"description": "var or env"})
    name = fields.String(load_default="", allow_none=True, validate=validate.Length(max=200),
                         metadata={"description": "an identifier: [A-Za-z_][A-Za-z0-9_]*"})
    secret = fields.String(load_default="", allow_none=True,
                           metadata={"description": "the value; on update, empty keeps the stored value"})
    operation = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(("create", "update", "delete", "")),
                              metadata={"description": "create, update or delete; empty leaves the secret as it is"})


class EnvironmentSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    project_id = fields.Integer()
    json = fields.String(metadata={"description": "extra variables: a JSON object as text"})
    env = fields.String(allow_none=True, metadata={"description": "environment variables: a JSON object as text"})
    secrets = fields.List(fields.Nested(EnvironmentSecretSchema),
                          metadata={"description": "only when reading one environment; values are never returned"})


class EnvironmentWriteSchema(RequestSchema):
    id = read_only_id()
    project_id = read_only_id()
    name = name_field()
    json = JsonText("object", required=True, allow_none=True, validate=fits_text_column,
                    metadata={"description": "extra variables: a JSON object as text"})
    env = JsonText("object", load_default=None, allow_none=True, validate=fits_text_column,
                   metadata={"description": "environment variables: a JSON object of strings or numbers, as text"})
    secrets = fields.List(fields.Nested(EnvironmentSecretOperationSchema), load_default=list, allow_none=True,
                          metadata={"description": "changes to the secrets; a new environment takes only create"})
