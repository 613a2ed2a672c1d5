"""The server processes (nodes) on the database as admins see them, and the drain switch."""

from __future__ import annotations

from marshmallow import fields

from semaphore.schemas.base import RequestSchema, ResponseSchema


class NodeSchema(ResponseSchema):
    id = fields.String(metadata={"description": "ha.node_id, or generated at start"})
    host = fields.String()
    pid = fields.Integer()
    version = fields.String()
    started = fields.DateTime()
    heartbeat = fields.DateTime(metadata={"description": "renewed every 5 s while the node runs"})
    online = fields.Boolean(metadata={"description": "not stopped, heartbeat within the node timeout (20 s)"})
    draining = fields.Boolean(metadata={"description": "takes no new task; finishes its running ones"})
    drained = fields.DateTime(allow_none=True, metadata={"description": "when a draining node's last task ended"})
    stopped = fields.DateTime(allow_none=True, metadata={"description": "when it stopped cleanly"})
    running_tasks = fields.Integer(metadata={"description": "its tasks that have not finished"})


class NodeDrainSchema(RequestSchema):
    """``POST /api/nodes/{id}/drain``: true drains the node, false resumes it."""

    draining = fields.Boolean(required=True)
