"""Template apps: what executors are installed and how the `apps` setting presents them.

An app's settings come from three places, later ones winning field by field: what its executor
registered (title, icon, colour), the config file's ``apps`` setting, and the options an admin
stored through the API (``apps.<id>.<field>`` rows of the ``option`` table, as the original keeps
them). Options are read from the database each time, so every server process sees a change at once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.config import Config
from semaphore.db.models import Option
from semaphore.errors import NotFound, ValidationError
from semaphore.registry import Registry
from semaphore.services.options import delete_options, set_option

log = logging.getLogger(__name__)

DEFAULT_PRIORITIES = {"ansible": 1000, "terraform": 900, "tofu": 800, "bash": 700, "powershell": 600, "python": 500}
OPTION_PREFIX = "apps."
APP_ID_MAX = 50
# The settings an app option may hold, and how each is read back from its stored text.
APP_FIELDS: dict[str, type] = {"active": bool, "priority": int, "title": str, "icon": str, "color": str,
                               "dark_color": str, "path": str, "args": list}


def require_app_id(app_id: str) -> str:
    """App ids are option key segments: letters, digits and _ (the original's ``^[\\w.]+$`` keys)."""
    if not app_id or len(app_id) > APP_ID_MAX or not all(c.isascii() and (c.isalnum() or c == "_") for c in app_id):
        raise ValidationError(f"must be 1-{APP_ID_MAX} letters, digits or _", field="app_id")
    return app_id


def app_settings(db: DbSession, config: Config) -> dict[str, dict[str, Any]]:
    """Each app's settings by app id: the config file's ``apps``, overridden by the stored options."""
    settings = {app_id: dict(values or {}) for app_id, values in config.apps.items()}
    for key, value in db.execute(select(Option.key, Option.value).where(Option.key.startswith(OPTION_PREFIX))):
        parsed = _parse_option(key, value)
        if parsed is not None:
            app_id, name, setting = parsed
            settings.setdefault(app_id, {})[name] = setting
    return settings


def _parse_option(key: str, value: str) -> tuple[str, str, Any] | None:
    """(app id, field, value) of an ``apps.<id>.<field>`` option; None (logged) for one that is no
    app setting or holds a value of the wrong type (written through POST /api/options, say)."""
    parts = key.split(".")
    if len(parts) != 3 or parts[2] not in APP_FIELDS:
        return None
    kind = APP_FIELDS[parts[2]]
    try:
        if kind is bool:
            if value not in ("true", "false"):
                raise ValueError("not true or false")
            return parts[1], parts[2], value == "true"
        if kind is int:
            return parts[1], parts[2], int(value)
        if kind is list:
            items = json.loads(value)
            if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
                raise ValueError("not a JSON array of strings")
            return parts[1], parts[2], items
    except ValueError as exc:
        log.warning("option %s ignored: %s", key, exc)
        return None
    return parts[1], parts[2], value


def list_apps(settings: dict[str, dict[str, Any]], registry: Registry) -> list[dict[str, Any]]:
    """Every app with an executor or settings, highest priority first. An app without an installed
    executor is listed with ``installed: false`` and never ``active``: templates of it cannot run."""
    return sorted((describe_app(app_id, settings, registry) for app_id in set(registry.executors) | set(settings)),
                  key=lambda app: (-app["priority"], app["id"]))


def describe_app(app_id: str, settings: dict[str, dict[str, Any]], registry: Registry) -> dict[str, Any]:
    executor = registry.executors.get(app_id)
    values: dict[str, Any] = settings.get(app_id) or {}
    return {
        "id": app_id,
        "title": values.get("title") or (executor.title if executor else app_id),
        "installed": executor is not None,
        "active": executor is not None and values.get("active", True) is not False,
        "priority": int(values.get("priority", DEFAULT_PRIORITIES.get(app_id, 0))),
        "icon": values.get("icon") or (executor.icon if executor else ""),
        "color": values.get("color") or (executor.color if executor else ""),
        "dark_color": values.get("dark_color", ""),
        "path": values.get("path", ""),
        "args": list(values.get("args") or []),
        "plugin": executor.plugin if executor else None,
    }


def get_app(settings: dict[str, dict[str, Any]], registry: Registry, app_id: str) -> dict[str, Any]:
    if app_id not in registry.executors and app_id not in settings:
        raise NotFound("app not found")
    return describe_app(app_id, settings, registry)


def save_app(db: DbSession, app_id: str, values: dict[str, Any]) -> None:
    """Store each field of ``values`` as the option ``apps.<id>.<field>``; a field that is None, ""
    or [] removes its option."""
    require_app_id(app_id)
    for name in APP_FIELDS:
        if name in values:
            _store(db, f"{OPTION_PREFIX}{app_id}.{name}", values[name])


def _store(db: DbSession, key: str, value: Any) -> None:
    if value is None or value == "" or value == []:
        delete_options(db, [key])
    elif isinstance(value, bool):
        set_option(db, key, "true" if value else "false")
    elif isinstance(value, list):
        set_option(db, key, json.dumps(value))
    else:
        set_option(db, key, str(value))


def delete_app(db: DbSession, app_id: str) -> None:
    """Remove the app's stored options (``apps.<id>`` and ``apps.<id>.*``): the executor's and the
    config file's settings apply again; an app that has neither is gone."""
    prefix = f"{OPTION_PREFIX}{require_app_id(app_id)}"
    keys = [key for key in db.scalars(select(Option.key).where(Option.key.startswith(prefix)))
            if key == prefix or key.startswith(prefix + ".")]
    delete_options(db, keys)
