"""Schema base classes and shared field helpers."""

from __future__ import annotations

import json
import re
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


class RequestSchema(Schema):
    """A JSON body. Clients of the original API send back objects they read, with read-only keys
    (created, last_task, tasks, ...): unknown keys are ignored. Integer fields take JSON integers only
    (1.5, 2.0 and "2" are refused, as the original's Go decoder does), not numbers a float would round."""

    class Meta:
        unknown = EXCLUDE

    integers_from_text = False

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if isinstance(field_obj, fields.Integer) and not self.integers_from_text:
            field_obj.strict = True


class QueryArgs(RequestSchema):
    """Query string arguments: every value is text, so integers are parsed from it."""

    integers_from_text = True


class ResponseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def no_control_characters(value: str | None) -> None:
    """Names show up in lists, logs and file names: tabs, newlines and NULs in them are bad input."""
    if value is not None and CONTROL_CHARACTERS.search(value):
        raise ValidationError("must not contain control characters")


def name_field(**kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=255), no_control_characters], **kwargs)


class BlankIsNone(fields.Field):
    """An optional value that clients of the original send as "" when it is not set: "" loads as
    None (not set), like null. Mixed into String and Integer fields below."""

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return super().deserialize(None if value == "" else value, attr, data, **kwargs)


class OptionalString(BlankIsNone, fields.String):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{"load_default": None, "allow_none": True, **kwargs})


class OptionalInteger(BlankIsNone, fields.Integer):
    pass


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
        except RecursionError as exc:
            raise ValidationError("must be JSON nested less deeply") from exc
        expected = dict if self.kind == "object" else list
        if not isinstance(parsed, expected):
            raise ValidationError(f"must be a JSON {self.kind}")
        if self.kind == "array" and not all(isinstance(item, str) for item in parsed):
            raise ValidationError("must be a JSON array of strings")
        return text


class Text(fields.String):
    """A string the original answers as "" when it is empty (a Go string, never null)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return "" if value is None else str(super()._serialize(value, attr, obj, **kwargs))


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


def optional_id(**kwargs: Any) -> fields.Integer:
    """A reference that may be unset: null, "" or left out (0 is no object's id: refused)."""
    return OptionalInteger(validate=validate.Range(min=1, max=MAX_INT), load_default=None, allow_none=True, **kwargs)


def read_only_id() -> fields.Integer:
    """``id`` or ``project_id`` of an object sent back as it was read: null or left out, or else
    the URL's (the services check; a create ignores ``id``)."""
    return OptionalInteger(allow_none=True, validate=validate.Range(min=1, max=MAX_INT))


def fits_text_column(value: str | None) -> None:
    """Text longer than a TEXT column holds on MySQL would fail at INSERT: refuse it up front."""
    if value is not None and len(value.encode()) > TEXT_MAX_BYTES:
        raise ValidationError(f"must be at most {TEXT_MAX_BYTES} bytes")


def first_error(messages: Any, path: str = "") -> tuple[str, str]:
    """The first (field path, message) of a nested marshmallow error structure: ``vaults.0.name``."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                return first_error(value, path)
            return first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(messages, (list, tuple)) and messages:
        return first_error(messages[0], path)
    return path, str(messages)
