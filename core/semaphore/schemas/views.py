"""Views (/api/project/{id}/views)."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, validate

from semaphore.schemas.base import MAX_INT, RequestSchema, ResponseSchema, name_field, read_only_id

POSITION = validate.Range(min=0, max=MAX_INT)


class ViewSchema(ResponseSchema):
    id = fields.Integer()
    project_id = fields.Integer()
    title = fields.String()
    position = fields.Integer()


class ViewWriteSchema(RequestSchema):
    id = read_only_id()
    project_id = read_only_id()
    title = name_field()
    position = fields.Integer(load_default=None, allow_none=True, validate=POSITION,
                              metadata={"description": "default: after the last view"})


class ViewPositionsSchema(Schema):
    """``{"<view_id>": position, ...}``: loads as ``{view_id: position}``."""

    class Meta:
        unknown = INCLUDE

    @post_load
    def to_positions(self, data: dict[str, Any], **_kwargs: Any) -> dict[int, int]:
        positions: dict[int, int] = {}
        for key, value in data.items():
            if not (key.isascii() and key.isdigit()) or not 0 < int(key) <= MAX_INT:
                raise ValidationError({key: ["keys must be view ids"]})
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError({key: ["position must be an integer"]})
            try:
                POSITION(value)
            except ValidationError as exc:
                raise ValidationError({key: exc.messages}) from exc
            positions[int(key)] = value
        return positions
