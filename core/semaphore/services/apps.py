"""Template apps: what executors are installed and how the `apps` setting presents them."""

from __future__ import annotations

from typing import Any

from semaphore.config import Config
from semaphore.registry import Registry

DEFAULT_PRIORITIES = {"ansible": 1000, "terraform": 900, "tofu": 800, "bash": 700, "powershell": 600, "python": 500}


def list_apps(config: Config, registry: Registry) -> list[dict[str, Any]]:
    ids = set(registry.executors) | set(config.apps)
    result = []
    for app_id in ids:
        executor = registry.executors.get(app_id)
        settings: dict[str, Any] = config.apps.get(app_id) or {}
        result.append({
            "id": app_id,
            "title": settings.get("title") or (executor.title if executor else app_id),
            "installed": executor is not None,
            "active": executor is not None and settings.get("active", True) is not False,
            "priority": int(settings.get("priority", DEFAULT_PRIORITIES.get(app_id, 0))),
            "icon": settings.get("icon") or (executor.icon if executor else ""),
            "color": settings.get("color") or (executor.color if executor else ""),
            "dark_color": settings.get("dark_color", ""),
            "path": settings.get("path", ""),
            "args": list(settings.get("args") or []),
            "plugin": executor.plugin if executor else None,
        })
    return sorted(result, key=lambda app: (-app["priority"], app["id"]))
