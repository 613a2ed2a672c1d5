"""One settings dataclass -- the core's :class:`~semaphore.config.core.Config` or a plugin's
settings class -- filled from config.json and the environment, checked, and shown.

Order of precedence (lowest first): the field's default, config.json, the environment. A setting's
variable ``SEMAPHORE_X`` may also be given as ``SEMAPHORE_X_FILE=path`` (Docker and Kubernetes
secrets), unless ``SEMAPHORE_X_FILE`` is a setting of its own.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from semaphore.config.fields import env_names, iter_settings, json_key, setting_env_names, setting_fields, type_hint
from semaphore.config.values import coerce, parse_env
from semaphore.errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")
MASK = "********"


def load_section(cls: type[T], data: Mapping[str, Any], env: Mapping[str, str]) -> T:
    """An instance of the settings class ``cls`` from the config.json entries ``data`` (only its
    own keys are read) and the variables ``env``, checked; the problem is a ConfigError naming
    the key or the variable. ``cls`` may check more in a ``validate()`` method."""
    section = cls()
    own_keys = {json_key(f) for f, _ in setting_fields(cls)}
    apply_mapping(section, {key: value for key, value in data.items() if key in own_keys}, prefix="")
    apply_environment(section, env)
    fill_empty_defaults(section)
    check_values(section)
    validate = getattr(section, "validate", None)
    if callable(validate):
        validate()
    return section


def apply_mapping(target: Any, data: Mapping[str, Any], prefix: str) -> None:
    """Set the fields of ``target`` from a config.json object; unknown keys are logged and skipped."""
    by_key = {json_key(f): (f, hint) for f, hint in setting_fields(type(target))}
    for key, value in data.items():
        if key not in by_key:
            log.warning("config: unknown key %s%s ignored", prefix, key)
            continue
        f, hint = by_key[key]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"{prefix}{key}: must be a JSON object")
            apply_mapping(getattr(target, f.name), value, f"{prefix}{key}.")
        else:
            setattr(target, f.name, coerce(value, hint, f"{prefix}{key}"))


def apply_environment(root: Any, env: Mapping[str, str]) -> None:
    own = setting_env_names(type(root))
    for path, f, owner in iter_settings(root):
        found = env_value(env, f, own)
        if found is None:
            continue
        name, raw = found
        value = parse_env(raw, type_hint(owner, f), name)
        for target in owners_of(root, path, owner):
            setattr(target, f.name, value)


def env_value(env: Mapping[str, str], f: dataclasses.Field[Any], own: set[str]) -> tuple[str, str] | None:
    """(variable, raw value) of a setting, from its variable or its alias (or their ``_FILE``
    forms); None when none is set. ``own`` are the variables that are settings themselves."""
    found = []
    for name in env_names(f):
        file_variable = f"{name}_FILE"
        if file_variable in env and file_variable not in own:
            if env.get(name):
                raise ConfigError(f"both {name} and {file_variable} are set; use one of them")
            found.append((name, _read_file_variable(file_variable, env[file_variable])))
        elif name in env:
            found.append((name, env[name]))
    if len(found) == 2 and found[0][1] != found[1][1]:
        raise ConfigError(f"{found[0][0]} and {found[1][0]} are both set, to different values; use one of them")
    return found[0] if found else None


def _read_file_variable(name: str, path: str) -> str:
    try:
        return Path(path).read_text().rstrip("\r\n")
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path}: {exc.strerror}") from exc


def owners_of(root: Any, path: str, owner: type) -> list[Any]:
    """The objects a setting lives on: one, or every block of a class the root shares (the core's
    SEMAPHORE_DB_* apply to every database block alike)."""
    shared = shared_blocks(root).get(owner)
    if shared:
        return [getattr(root, name) for name in shared]
    target: Any = root
    for part in path.split(".")[:-1]:
        target = getattr(target, part)
    return [target]


def shared_blocks(root: Any) -> dict[type, tuple[str, ...]]:
    return getattr(type(root), "SHARED_BLOCKS", {})


def fill_empty_defaults(root: Any) -> None:
    """An empty text in config.json or the environment means the default, as in the original."""
    for path, f, owner in iter_settings(root):
        if f.default not in ("", dataclasses.MISSING) and owner not in shared_blocks(root):
            for target in owners_of(root, path, owner):
                if getattr(target, f.name) == "":
                    setattr(target, f.name, f.default)


def check_values(root: Any) -> None:
    """What every setting's declaration says: its choices, its pattern, no negative numbers."""
    for path, f, owner in iter_settings(root):
        if owner in shared_blocks(root):
            continue
        value = getattr(owners_of(root, path, owner)[0], f.name)
        choices, pattern = f.metadata.get("choices"), f.metadata.get("pattern")
        if choices and value not in choices:
            raise ConfigError(f"{path}: {value!r} is not one of {', '.join(choices)}")
        if pattern and not re.fullmatch(pattern, str(value)):
            raise ConfigError(f"{path}: {value!r} is not valid")
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{path}: must not be negative")


def masked(obj: Any) -> dict[str, Any]:
    """The settings of ``obj`` as config.json would hold them, every secret masked."""
    out: dict[str, Any] = {}
    for f, _ in setting_fields(type(obj)):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out[json_key(f)] = masked(value)
        elif f.metadata.get("secret") and value:
            out[json_key(f)] = MASK
        else:
            out[json_key(f)] = value
    return out


def secret_values(obj: Any) -> list[str]:
    """The values of the secret settings of ``obj`` that are set."""
    values: list[str] = []
    for f, _ in setting_fields(type(obj)):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            values.extend(secret_values(value))
        elif f.metadata.get("secret") and isinstance(value, str) and value:
            values.append(value)
    return values


def as_json(obj: Any) -> dict[str, Any]:
    """The settings of ``obj`` as config.json holds them."""
    out: dict[str, Any] = {}
    for f, _ in setting_fields(type(obj)):
        value = getattr(obj, f.name)
        out[json_key(f)] = as_json(value) if dataclasses.is_dataclass(value) else value
    return out
