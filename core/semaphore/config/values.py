"""Typed values from config.json's JSON and from the text of environment variables.

Every problem is a :class:`~semaphore.errors.ConfigError` that starts with the key or the variable.
"""

from __future__ import annotations

import json
from typing import Any

from semaphore.errors import ConfigError

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def parse_env(raw: str, hint: Any, name: str) -> Any:
    """The value of variable ``name`` for a setting of type ``hint``: booleans and numbers as
    words, lists as JSON or comma-separated text, objects as JSON."""
    if hint is bool:
        return parse_bool(raw, name)
    if hint is int:
        return parse_int(raw, name)
    if hint is str:
        return raw
    text = raw.strip()
    if text.startswith(("[", "{")):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{name}: not valid JSON: {exc}") from exc
        return coerce(value, hint, name)
    if _origin(hint) is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    raise ConfigError(f"{name}: expected a JSON object")


def parse_bool(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def parse_int(raw: Any, name: str) -> int:
    if isinstance(raw, bool):
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}")
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None


def coerce(value: Any, hint: Any, name: str) -> Any:
    """A config.json value as the setting's type ``hint``."""
    if hint is bool:
        return parse_bool(value, name)
    if hint is int:
        return parse_int(value, name)
    if hint is str:
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{name}: expected a string")
        return "" if value is None else str(value)
    origin = _origin(hint)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a JSON object")
        return dict(value)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{name}: expected a JSON array")
        if _origin(getattr(hint, "__args__", (str,))[0]) is dict:
            if not all(isinstance(item, dict) for item in value):
                raise ConfigError(f"{name}: expected a JSON array of objects")
            return [dict(item) for item in value]
        return [str(item) for item in value]
    return value


def _origin(hint: Any) -> Any:
    return getattr(hint, "__origin__", hint)
