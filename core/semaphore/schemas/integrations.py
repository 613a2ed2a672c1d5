"""Integrations (inbound webhooks), their matchers, extracted values and aliases.

Which ``auth_method``, ``match_type`` and ``value_source`` exist depends on the installed plugins,
so the services check those against the registry; the schemas check the shape.
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import fields, validate

from semaphore.schemas.base import (
    JsonText,
    OptionalString,
    RequestSchema,
    ResponseSchema,
    Text,
    fits_text_column,
    id_field,
    name_field,
    optional_id,
    read_only_id,
)

MATCH_METHODS = ("equals", "unequals", "contains")
BODY_DATA_TYPES = ("", "json", "string")
HEADER_NAME = validate.Regexp(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", error="must be an HTTP header name")
IDENTIFIER = validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]*$",
                             error="must be a variable name (letters, digits and _, not starting with a digit)")


def _task_params(integration: Any) -> dict[str, Any] | None:
    return json.loads(integration.task_params) if integration.task_params else None


class IntegrationSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    project_id = fields.Integer()
    template_id = fields.Integer()
    auth_method = fields.String(metadata={"description": '"" (none), github, token, hmac or a plugin\'s method'})
    auth_secret_id = fields.Integer(allow_none=True)
    auth_header = Text(metadata={"description": "the header that carries the token or signature; \"\" when none"})
    searchable = fields.Boolean()
    task_params = fields.Function(_task_params, metadata={"description": "JSON object passed to the tasks started"})


class IntegrationWriteSchema(RequestSchema):
    id = read_only_id()
    project_id = read_only_id()
    name = name_field()
    template_id = id_field(required=True)
    auth_method = fields.String(load_default="", metadata={"description": '"" or "none" for no authentication'})
    auth_secret_id = optional_id(metadata={"description": "login_password key whose password is the secret"})
    auth_header = OptionalString(validate=validate.And(validate.Length(max=255), HEADER_NAME))
    searchable = fields.Boolean(load_default=False)
    task_params = JsonText("object", load_default=None, allow_none=True, validate=fits_text_column)


class MatcherSchema(ResponseSchema):
    id = fields.Integer()
    integration_id = fields.Integer()
    name = fields.String()
    match_type = fields.String()
    method = fields.String()
    body_data_type = fields.String()
    key = fields.String()
    value = fields.String()


class MatcherWriteSchema(RequestSchema):
    id = read_only_id()
    integration_id = read_only_id()
    name = name_field()
    match_type = fields.String(required=True, metadata={"description": "header, body or a plugin's matcher"})
    method = fields.String(load_default="equals", validate=validate.OneOf(MATCH_METHODS))
    body_data_type = fields.String(load_default="", validate=validate.OneOf(BODY_DATA_TYPES))
    key = fields.String(load_default="", validate=fits_text_column,
                        metadata={"description": "header name, or JSON path such as repository.full_name"})
    value = fields.String(load_default="", validate=fits_text_column)


class ExtractValueSchema(ResponseSchema):
    id = fields.Integer()
    integration_id = fields.Integer()
    name = fields.String()
    value_source = fields.String()
    body_data_type = fields.String()
    key = fields.String()
    variable = fields.String()


class ExtractValueWriteSchema(RequestSchema):
    id = read_only_id()
    integration_id = read_only_id()
    name = name_field()
    value_source = fields.String(required=True, metadata={"description": "header, body or a plugin's extractor"})
    body_data_type = fields.String(load_default="", validate=validate.OneOf(BODY_DATA_TYPES))
    key = fields.String(load_default="", validate=fits_text_column)
    variable = fields.String(required=True, validate=validate.And(validate.Length(min=1, max=255), IDENTIFIER),
                             metadata={"description": "name of the environment variable the task gets"})


class AliasSchema(ResponseSchema):
    id = fields.Integer()
    alias = fields.String()
    url = fields.String(metadata={"description": "the public webhook URL that fires the integration(s)"})


class WebhookAnswerSchema(ResponseSchema):
    task_ids = fields.List(fields.Integer(), metadata={"description": "the tasks this request started"})
