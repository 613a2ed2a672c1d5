"""How a setting is declared: a dataclass field made by :func:`setting`, whose metadata names its
environment variable and explains it.

The core's sections and every plugin's settings class are declared this way, so one loader, one
validation and one documentation generator serve them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import field
from typing import Any, get_type_hints


def setting(default: Any, env: str | None = None, help: str = "", json_key: str | None = None,
            secret: bool = False, choices: tuple[str, ...] | None = None,
            pattern: str | None = None, env_alias: str | None = None) -> Any:
    """Declare one configuration field.

    :param default: the value when neither config.json nor the environment sets one.
    :param env: the ``SEMAPHORE_*`` variable that overrides config.json (None: file only).
    :param help: one sentence for docs/configuration.md.
    :param json_key: the config.json key when it differs from the field name.
    :param secret: mask the value wherever the configuration is shown.
    :param choices: the only values allowed.
    :param pattern: a regular expression the value (as text) must match.
    :param env_alias: a second variable read like ``env`` (the original reads both).
    """
    meta = {"env": env, "help": help, "json_key": json_key, "secret": secret,
            "choices": choices, "pattern": pattern, "env_alias": env_alias}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def json_key(f: dataclasses.Field[Any]) -> str:
    return f.metadata.get("json_key") or f.name


# A class's fields never change, and configurations are loaded often (every test has one).
_FIELDS: dict[type, tuple[tuple[dataclasses.Field[Any], Any], ...]] = {}


def setting_fields(cls: type) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    """(field, type hint) of every setting and nested block of ``cls``; other fields (such as the
    core's store of plugin settings) are no configuration keys of their own."""
    if cls not in _FIELDS:
        hints = get_type_hints(cls)
        _FIELDS[cls] = tuple((f, hints[f.name]) for f in dataclasses.fields(cls)
                             if "env" in f.metadata or dataclasses.is_dataclass(hints[f.name]))
    return _FIELDS[cls]


def type_hint(owner: type, f: dataclasses.Field[Any]) -> Any:
    return dict((each.name, hint) for each, hint in setting_fields(owner))[f.name]


def iter_settings(obj: type | Any, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field[Any], type]]:
    """Yield (json_path, dataclass field, owner class) for every leaf setting of ``obj``."""
    cls = obj if isinstance(obj, type) else type(obj)
    for f, hint in setting_fields(cls):
        if dataclasses.is_dataclass(hint):
            yield from iter_settings(hint, f"{prefix}{json_key(f)}.")
        else:
            yield f"{prefix}{json_key(f)}", f, cls


def top_level_keys(cls: type) -> set[str]:
    """The config.json keys ``cls`` declares at the top level of the file."""
    return {json_key(f) for f, _ in setting_fields(cls)}


def env_names(f: dataclasses.Field[Any]) -> list[str]:
    """The variables of one setting: its own, then its alias."""
    return [name for name in (f.metadata.get("env"), f.metadata.get("env_alias")) if name]


def setting_env_names(cls: type) -> set[str]:
    """Every variable the settings of ``cls`` read."""
    return {name for _, f, _ in iter_settings(cls) for name in env_names(f)}
