"""Refuse JSON bodies nested deeper than any real request before anything parses them: Python's
JSON parser and our schemas recurse once per level, so a body of a few thousand brackets would end
in a RecursionError (a 500) instead of a 400."""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 64  # objects and arrays inside each other; Semaphore's bodies need 4
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: a runner's report has 10,000s
_BRACKET = re.compile(rb"[\[\]{}]")


def nesting_depth(body: bytes, limit: int) -> int:
    """How deep the JSON text's arrays and objects go (brackets inside strings do not count);
    counting stops above ``limit``."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b"", body)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def install_json_depth_limit(app: Flask) -> None:
    @app.before_request
    def _refuse_deep_json() -> None:
        if (request.path.startswith("/api/") and request.is_json
                and nesting_depth(request.get_data(cache=True), MAX_JSON_DEPTH) > MAX_JSON_DEPTH):
            raise BadRequest(f"request body: JSON nested more than {MAX_JSON_DEPTH} levels deep")
