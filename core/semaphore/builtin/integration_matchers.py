"""Webhook matchers and value extractors: a request header, or the body (JSON path or whole)."""

from __future__ import annotations

import json
import re
from typing import Any

from semaphore import hookimpl
from semaphore.interfaces import IntegrationExtractor, IntegrationMatcher, WebhookRequest

INDEX = re.compile(r"^\[(\d+)\]$")
MISSING = object()


def find_json_path(data: Any, path: str) -> Any:
    """Follow a dotted path such as ``repository.full_name`` or ``commits.[0].id``;
    MISSING when any step is absent."""
    current = data
    for part in path.split(".") if path else []:
        index = INDEX.match(part)
        if index and isinstance(current, list):
            position = int(index.group(1))
            if position >= len(current):
                return MISSING
            current = current[position]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return MISSING
    return current


def body_value(request: WebhookRequest, key: str, body_data_type: str) -> Any:
    text = request.body.decode("utf-8", errors="replace")
    if body_data_type == "json":
        try:
            return find_json_path(json.loads(text), key)
        except ValueError:
            return MISSING
    return text


def header_value(request: WebhookRequest, key: str, _body_data_type: str) -> Any:
    value = request.header(key)
    return MISSING if value is None else value


class HeaderMatcher(IntegrationMatcher):
    match_type = "header"

    def value(self, request: WebhookRequest, key: str, body_data_type: str) -> Any:
        return header_value(request, key, body_data_type)


class BodyMatcher(IntegrationMatcher):
    match_type = "body"

    def value(self, request: WebhookRequest, key: str, body_data_type: str) -> Any:
        return body_value(request, key, body_data_type)


class HeaderExtractor(IntegrationExtractor):
    value_source = "header"

    def extract(self, request: WebhookRequest, key: str, body_data_type: str) -> Any:
        return header_value(request, key, body_data_type)


class BodyExtractor(IntegrationExtractor):
    value_source = "body"

    def extract(self, request: WebhookRequest, key: str, body_data_type: str) -> Any:
        return body_value(request, key, body_data_type)


@hookimpl
def register_integration_matchers(register):
    register(HeaderMatcher())
    register(BodyMatcher())


@hookimpl
def register_integration_extractors(register):
    register(HeaderExtractor())
    register(BodyExtractor())
