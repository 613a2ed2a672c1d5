"""The one place where errors become HTTP responses: ``{"error": "..."}`` plus details."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from semaphore.errors import SemaphoreError, TooManyRequests
from semaphore.schemas.base import first_error
from semaphore.schemas.errors import ErrorSchema

log = logging.getLogger(__name__)


def error_response(status: int, body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


# webargs wraps the top level in the request location: a field may itself be called "json" (environments)
WEBARGS_LOCATIONS = ("json", "query", "view_args", "form", "headers", "files")


def _first_message(messages: Any) -> tuple[str, str]:
    """The first (field path, message) of webargs' error structure."""
    if isinstance(messages, dict) and messages:
        location, inside = next(iter(messages.items()))
        if location in WEBARGS_LOCATIONS:
            return first_error(inside)
    return first_error(messages)


def _http_error(exc: HTTPException) -> Response:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        field, message = _first_message(messages)
        text = f"{field}: {message}" if field else message
        body = {"error": text, "field": field or None} if field else {"error": text}
        return error_response(400, body)  # bad input is 400 everywhere, never 422
    description = exc.description if exc.code != 500 else "internal server error"
    return error_response(exc.code or 500, {"error": description or exc.name})


class SemaphoreApi(Api):
    """flask-smorest's Api with our error shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return _http_error(error)


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(SemaphoreError)
    def _semaphore_error(exc: SemaphoreError) -> Response:
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.path, exc.message)
        response = error_response(exc.status, exc.to_json())
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_exception(exc: HTTPException) -> Response:
        return _http_error(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, {"error": "internal server error"})
