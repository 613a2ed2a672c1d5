"""Which ``--limit``, ``--tags`` and ``--skip-tags`` a run gets.

The template's ``task_params`` hold the defaults (``limit``, ``tags``, ``skip_tags``: a list of
strings or one comma-separated string) and whether a task may replace them
(``allow_override_limit``, ``allow_override_tags``, ``allow_override_skip_tags``). A task gives
its own in ``params`` (same names and forms) or, for the limit, in its ``limit`` field. A task that
gives a value the template does not let it override is refused with a 400 naming the field, rather
than silently ignored as the original does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semaphore.plugin_api.errors import ValidationError

OVERRIDABLE = ("limit", "tags", "skip_tags")
ALLOW = {name: f"allow_override_{name}" for name in OVERRIDABLE}


def check_template_params(params: Mapping[str, Any]) -> None:
    for name in OVERRIDABLE:
        _values(params.get(name), f"task_params.{name}")
        if not isinstance(params.get(ALLOW[name], False), bool):
            raise ValidationError(f"task_params.{ALLOW[name]} must be true or false", field="task_params")


def check_task(template_params: Mapping[str, Any], task: Mapping[str, Any]) -> None:
    params = task.get("params") or {}
    given = {name: _values(params.get(name), f"params.{name}") for name in OVERRIDABLE}
    if task.get("limit"):
        given["limit"] = _values(task["limit"], "limit")
    for name, values in given.items():
        if values and not template_params.get(ALLOW[name]):
            field = "limit" if name == "limit" and task.get("limit") else "params"
            raise ValidationError(f"the template does not allow overriding {name} (task_params.{ALLOW[name]})",
                                  field=field)


def effective(name: str, template_params: Mapping[str, Any], task_params: Mapping[str, Any],
              task_limit: str = "") -> list[str]:
    """The values the run uses: the task's when the template allows them, else the template's."""
    if template_params.get(ALLOW[name]):
        own = _values(task_limit or task_params.get("limit"), "limit") if name == "limit" else \
            _values(task_params.get(name), f"params.{name}")
        if own:
            return own
    return _values(template_params.get(name), f"task_params.{name}")


def _values(value: Any, what: str) -> list[str]:
    """A list of strings, or a comma-separated string, as a list without empty items."""
    field = what.split(".", 1)[0] if "." in what else what
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = value
    else:
        raise ValidationError(f"{what} must be a list of strings or a comma-separated string", field=field)
    return [item.strip() for item in items if item.strip()]
