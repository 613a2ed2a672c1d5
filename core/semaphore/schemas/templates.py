"""Templates: what to run (repository, playbook or script, inventory, environment), its survey
and vault passwords."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from semaphore.schemas.base import (
    JsonText,
    OptionalString,
    RequestSchema,
    ResponseSchema,
    fits_text_column,
    id_field,
    name_field,
    optional_id,
    read_only_id,
)
from semaphore.schemas.tasks import TaskWithTplSchema

#: How a template's runner tags select runners: every tag, or at least one.
RUNNER_TAGS_MATCHES = ("all", "any")
RUNNER_TAG_ERROR = "a runner tag is 1 to 50 characters without spaces or commas"

TEMPLATE_TYPES = ("", "build", "deploy")
SURVEY_VAR_TYPES = ("", "int", "enum", "secret", "text")
IDENTIFIER = validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_]*$", error="must be an identifier (letters, digits, _)")


class SurveyValueSchema(RequestSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    value = fields.String(load_default="", validate=validate.Length(max=4096))


class SurveyVarSchema(RequestSchema):
    """A variable the run dialog asks for; its value ends up in the task's extra variables."""

    name = fields.String(required=True, validate=IDENTIFIER)
    title = fields.String(load_default="", validate=validate.Length(max=255))
    required = fields.Boolean(load_default=False)
    type = fields.String(load_default="", validate=validate.OneOf(SURVEY_VAR_TYPES))
    description = fields.String(load_default="", validate=validate.Length(max=4096))
    values = fields.List(fields.Nested(SurveyValueSchema), load_default=list)
    default_value = fields.String(load_default="", validate=validate.Length(max=4096))

    @validates_schema
    def _enum_has_values(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("type") == "enum" and not data.get("values"):
            raise ValidationError("an enum needs at least one value", field_name="values")


VAULT_TYPES = ("password", "script")


class VaultSchema(ResponseSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    template_id = fields.Integer()
    vault_key_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    type = fields.String()
    script = fields.String(allow_none=True)


class VaultWriteSchema(RequestSchema):
    id = optional_id()
    type = fields.String(load_default="password", validate=validate.OneOf(VAULT_TYPES),
                         metadata={"description": "password: a login_password key; script: a vault password "
                                                  "client script of the repository"})
    vault_key_id = optional_id(metadata={"description": "type password: the key"})
    script = OptionalString(validate=validate.Length(max=255),
                           metadata={"description": "type script: its path inside the repository"})
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255),
                         metadata={"description": "vault id for --vault-id; empty means \"default\""})


class TemplateSchema(ResponseSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    name = fields.String()
    app = fields.String()
    type = fields.String()
    playbook = fields.String()
    description = fields.String(allow_none=True)
    inventory_id = fields.Integer(allow_none=True)
    repository_id = fields.Integer()
    environment_id = fields.Integer(allow_none=True)
    arguments = fields.String(allow_none=True, metadata={"description": "JSON array of extra CLI arguments"})
    allow_override_args_in_task = fields.Boolean()
    allow_override_branch_in_task = fields.Boolean()
    allow_parallel_tasks = fields.Boolean()
    start_version = fields.String(allow_none=True)
    build_template_id = fields.Integer(allow_none=True)
    view_id = fields.Integer(allow_none=True)
    autorun = fields.Boolean()
    git_branch = fields.String(allow_none=True)
    survey_vars = fields.List(fields.Nested(SurveyVarSchema))
    suppress_success_alerts = fields.Boolean()
    task_params = fields.Dict()
    runner_tag = fields.String(allow_none=True, metadata={"description": "the first of runner_tags"})
    runner_tags = fields.List(fields.String(), metadata={"description": "runner tags a runner needs to take its tasks"})
    runner_tags_match = fields.String(metadata={"description": "all: a runner needs every tag; any: one of them"})
    tasks = fields.Integer(metadata={"description": "how many tasks were created from this template"})
    vaults = fields.List(fields.Nested(VaultSchema))
    last_task = fields.Nested(TaskWithTplSchema, allow_none=True)


class TemplateWriteSchema(RequestSchema):
    """A full template: fields left out get their defaults (PUT replaces the template)."""

    id = read_only_id()
    project_id = read_only_id()
    name = name_field()
    app = fields.String(load_default="ansible", validate=validate.Length(min=1, max=50))
    type = fields.String(load_default="", validate=validate.OneOf(TEMPLATE_TYPES))
    playbook = fields.String(load_default="", validate=validate.Length(max=255))
    description = fields.String(load_default=None, allow_none=True, validate=fits_text_column)
    inventory_id = optional_id()
    repository_id = id_field(required=True)
    environment_id = optional_id()
    arguments = JsonText("array", load_default=None, allow_none=True, validate=fits_text_column)
    allow_override_args_in_task = fields.Boolean(load_default=False)
    allow_override_branch_in_task = fields.Boolean(load_default=False)
    allow_parallel_tasks = fields.Boolean(load_default=False)
    start_version = OptionalString(validate=validate.Length(max=20))
    build_template_id = optional_id()
    view_id = optional_id()
    autorun = fields.Boolean(load_default=False)
    git_branch = OptionalString(validate=validate.Length(max=255))
    survey_vars = fields.List(fields.Nested(SurveyVarSchema), load_default=list, allow_none=True)
    suppress_success_alerts = fields.Boolean(load_default=False)
    task_params = fields.Dict(load_default=dict, allow_none=True)
    runner_tag = OptionalString(validate=validate.Length(max=50))
    runner_tags = fields.List(fields.String(validate=validate.Regexp(r"^[^,\s]{1,50}$", error=RUNNER_TAG_ERROR)),
                              load_default=None, allow_none=True,
                              metadata={"description": "replaces runner_tag when given"})
    runner_tags_match = fields.String(load_default="all", validate=validate.OneOf(RUNNER_TAGS_MATCHES))
    vaults = fields.List(fields.Nested(VaultWriteSchema), load_default=list, allow_none=True,
                         metadata={"description": "replaces the template's vaults"})

    @pre_load
    def _json_text_values(self, data: Any, **kwargs: Any) -> Any:
        """Clients of the original send survey_vars and task_params as JSON text too."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in ("survey_vars", "task_params"):
            if isinstance(data.get(name), str):
                text = data[name].strip()
                try:
                    data[name] = json.loads(text) if text else None
                except json.JSONDecodeError as exc:
                    raise ValidationError(f"must be valid JSON ({exc.msg})", field_name=name) from exc
        return data
