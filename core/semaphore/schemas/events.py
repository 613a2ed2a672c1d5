"""The activity log."""

from __future__ import annotations

from marshmallow import fields, validate

from semaphore.schemas.base import MAX_INT, QueryArgs, ResponseSchema

#: The most events one page of the activity log holds.
MAX_LIMIT = 1000


class EventSchema(ResponseSchema):
    id = fields.Integer()
    created = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    project_name = fields.String(allow_none=True)
    object_id = fields.Integer(allow_none=True)
    object_type = fields.String(allow_none=True)
    object_name = fields.String()
    action = fields.String(metadata={"description": "create, update, delete, or a task's action"})
    description = fields.String()
    integration_id = fields.Integer(allow_none=True, metadata={"description": "the integration that caused it"})


class EventPageSchema(QueryArgs):
    """Newest first; the next page starts ``before`` the last event's id."""

    before = fields.Integer(validate=validate.Range(min=1, max=MAX_INT),
                            metadata={"description": "only events with a smaller id (the cursor)"})
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": f"at most this many events (1..{MAX_LIMIT})"})
