"""The Blueprint every API module uses: flask-smorest's, with our request parser."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import flask_smorest
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser

# Text no database can store: PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate (JSON
# allows "\ud800") is no UTF-8 at all, so either would fail in the driver with a 500.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "must not contain NUL characters or unpaired surrogates"


def unstorable_text_at(data: Any) -> str | None:
    """The path (``a.0.b``) of a string in ``data``, keys included, that no database stores, if any."""
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if UNSTORABLE_TEXT.search(value):
                return path
        elif isinstance(value, Mapping):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and UNSTORABLE_TEXT.search(key):
                    return child
                pending.append((child, item))
        elif isinstance(value, list):
            if all(isinstance(item, str) for item in value) and not UNSTORABLE_TEXT.search("".join(value)):
                continue  # one search for a list of strings: a runner's report has 10,000s of log lines
            for index, item in enumerate(value):
                child = f"{path}.{index}" if path else str(index)
                if not isinstance(item, str):
                    pending.append((child, item))
                elif UNSTORABLE_TEXT.search(item):
                    return child
    return None


class RequestParser(FlaskParser):
    """webargs' parser; bad input is a 400 (flask-smorest's default is 422, which it documents),
    and so is text that no database can store."""

    DEFAULT_VALIDATION_STATUS = 400

    def pre_load(self, location_data: Mapping[str, Any], *, schema: Schema, req: Any,
                 location: str) -> Mapping[str, Any]:
        path = unstorable_text_at(location_data)
        if path is not None:
            raise ValidationError({path: [UNSTORABLE_MESSAGE]} if path else UNSTORABLE_MESSAGE)
        return location_data


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = RequestParser()
