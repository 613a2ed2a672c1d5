"""Schema base classes and shared field helpers."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


class RequestSchema(Schema):
    """Bodies from clients of the original API carry extra keys (id, created, ...): ignore them."""

    class Meta:
        unknown = EXCLUDE


class ResponseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


def name_field(**kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=255), **kwargs)


class JsonText(fields.String):
    """A string that must hold JSON of the given type ("object" or "array"); empty means none."""

    def __init__(self, kind: str = "object", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:  # type: ignore[override]
        if isinstance(value, (dict, list)):  # accept a JSON value as well as its text
            value = json.dumps(value)
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None or text.strip() == "":
            return None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"must be valid JSON ({exc.msg})") from exc
        expected = dict if self.kind == "object" else list
        if not isinstance(parsed, expected):
            raise ValidationError(f"must be a JSON {self.kind}")
        if self.kind == "array" and not all(isinstance(item, str) for item in parsed):
            raise ValidationError("must be a JSON array of strings")
        return text


class Refs(ResponseSchema):
    """Objects that refer to another: ``{templates: [{id, name}], ...}``."""

    templates = fields.List(fields.Dict())
    inventories = fields.List(fields.Dict())
    repositories = fields.List(fields.Dict())
    integrations = fields.List(fields.Dict())
    schedules = fields.List(fields.Dict())


MAX_INT = 2**31 - 1  # the INTEGER range of every supported database
TEXT_MAX_BYTES = 65535  # a TEXT column on MySQL/MariaDB


def id_field(**kwargs: Any) -> fields.Integer:
    """A reference to another object; out-of-range numbers are bad input, not a database error."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_INT), **kwargs)


def fits_text_column(value: str | None) -> None:
    """Text longer than a TEXT column holds on MySQL would fail at INSERT: refuse it up front."""
    if value is not None and len(value.encode()) > TEXT_MAX_BYTES:
        raise ValidationError(f"must be at most {TEXT_MAX_BYTES} bytes")
