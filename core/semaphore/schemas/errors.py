"""The body of every error answer."""

from __future__ import annotations

from marshmallow import Schema, fields

from semaphore.schemas.base import Refs


class ErrorSchema(Schema):
    """The body of every error answer, as the OpenAPI document describes it (its "default" response).
    A key that no error carries here fails the API fuzz test: add it here first."""

    error = fields.String(required=True, metadata={
        "description": "What went wrong; for bad input it starts with the field's name and a colon"})
    field = fields.String(allow_none=True, metadata={"description": "The offending field of bad input (400)"})
    code = fields.String(metadata={"description": "A stable reason code, if any: ACCOUNT_CONFLICT, ..."})
    hint = fields.String(metadata={"description": "What to do next (401 TOTP_REQUIRED)"})
    inUse = fields.Boolean(metadata={"description": "A delete refused because other objects use this one (409)"})
    refs = fields.Nested(Refs, metadata={"description": "Those objects (409)"})
