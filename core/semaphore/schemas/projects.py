"""Projects, members and roles."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import RequestSchema, ResponseSchema, name_field
from semaphore.services.roles import ROLES


class ProjectSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    created = fields.DateTime()
    alert = fields.Boolean()
    alert_chat = fields.String(allow_none=True)
    max_parallel_tasks = fields.Integer()
    type = fields.String()


class ProjectWriteSchema(RequestSchema):
    id = fields.Integer()
    name = name_field()
    alert = fields.Boolean(load_default=False)
    alert_chat = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    max_parallel_tasks = fields.Integer(load_default=0, validate=validate.Range(min=0))
    type = fields.String(load_default="", validate=validate.Length(max=20))


class ProjectCreateSchema(ProjectWriteSchema):
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
    user_id = fields.Integer(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class MemberRoleSchema(RequestSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
