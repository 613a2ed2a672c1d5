"""Projects, members and roles."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from semaphore import notifier_settings
from semaphore.roles import ROLES
from semaphore.schemas.base import (
    MAX_INT,
    OptionalString,
    RequestSchema,
    ResponseSchema,
    id_field,
    name_field,
    read_only_id,
)

NOTIFIER_SETTINGS_DOC = (
    "Ours (not in Semaphore's API): the per-project settings that installed notifier plugins declare "
    "(Notifier.project_fields) and that are no field of the project itself (alert_chat is), as "
    '{"<channel>": {"<field>": "<value>"}}; {} when none. Values are strings of at most '
    f"{notifier_settings.MAX_VALUE_LENGTH} characters; empty ones are dropped. Without this key a PUT keeps "
    "the stored settings; with it, the request's replace those of every installed channel. A channel whose "
    "plugin is not installed keeps its stored settings (sent back unchanged, they are accepted).")
_SETTINGS_SHAPE = {"type": "object", "additionalProperties": {"type": "object",
                                                               "additionalProperties": {"type": "string"}}}


class StoredNotifierSettings(fields.Field):
    """The project's notifier_settings column (JSON text) answered as its object."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return notifier_settings.parse(value)


class ProjectSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    created = fields.DateTime()
    alert = fields.Boolean()
    alert_chat = fields.String(allow_none=True)
    max_parallel_tasks = fields.Integer()
    type = fields.String()
    notifier_settings = StoredNotifierSettings(metadata={"description": NOTIFIER_SETTINGS_DOC, **_SETTINGS_SHAPE})


class ProjectWriteSchema(RequestSchema):
    id = read_only_id()
    name = name_field()
    alert = fields.Boolean(load_default=False)
    alert_chat = OptionalString(validate=validate.Length(max=30))
    max_parallel_tasks = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT))
    type = fields.String(load_default="", validate=validate.Length(max=20))
    # The content is checked against the installed notifiers by semaphore.notifier_settings.
    notifier_settings = fields.Dict(keys=fields.String(), metadata={"description": NOTIFIER_SETTINGS_DOC,
                                                                    **_SETTINGS_SHAPE})


class ProjectCreateSchema(ProjectWriteSchema):
    class Meta(ProjectWriteSchema.Meta):
        exclude = ("id",)  # the server's: a project copied from one read may carry its id

    demo = fields.Boolean(load_default=False)


class RoleSchema(ResponseSchema):
    role = fields.String()
    permissions = fields.Integer()


class MemberSchema(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()
    email = fields.String()
    role = fields.String()


class MemberAddSchema(RequestSchema):
    user_id = id_field(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MemberRoleSchema(RequestSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
