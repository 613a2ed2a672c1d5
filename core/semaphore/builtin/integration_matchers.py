"""Webhook matchers and value extractors: a request header, or the body (JSON path or whole)."""

from __future__ import annotations

import json
import re
from typing import Any

from semaphore import hookimpl
from semaphore.interfaces import MISSING, IntegrationExtractor, IntegrationMatcher, WebhookRequest

# One step of a path: a name, then any number of [n] indices ("commits[0]", "[0]", "0").
STEP = re.compile(r"^([^\[\]]*)((?:\[\d+\])*)$")
INDEX = re.compile(r"\[(\d+)\]")


def _path_steps(path: str) -> list[str | int] | None:
    """``commits.0.id``, ``commits[0].id`` and the original's ``commits.[0].id`` all give
    ``["commits", 0, "id"]``; None for a path that is not well formed."""
    steps: list[str | int] = []
    for part in path.split(".") if path else []:
        step = STEP.match(part)
        if step is None:
            return None
        name, indices = step.groups()
        if name:
            steps.append(name)
        steps.extend(int(index) for index in INDEX.findall(indices))
    return steps


def find_json_path(data: Any, path: str) -> Any:
    """Follow a dotted path into parsed JSON; MISSING when any step is absent. A number is an
    index into a list and a key of an object (``{"0": ...}``)."""
    steps = _path_steps(path)
    if steps is None:
        return MISSING
    current = data
    for step in steps:
        if isinstance(current, list) and (isinstance(step, int) or step.isdigit()):
            position = int(step)
            if position >= len(current):
                return MISSING
            current = current[position]
        elif isinstance(current, dict) and str(step) in current:
            current = current[str(step)]
        else:
            return MISSING
    return current


def body_value(request: WebhookRequest, key: str, body_data_type: str) -> Any:
    text = request.body.decode("utf-8", errors="replace")
    if body_data_type == "json":
        try:
            return find_json_path(json.loads(text), key)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
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
