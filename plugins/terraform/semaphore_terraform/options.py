"""What a run may do beyond plan and apply-after-confirmation: the template's ``task_params`` and
the task's ``params``, with the names of later upstream Semaphore versions.

Template ``task_params``:

* ``auto_approve``: apply every plan without asking;
* ``allow_auto_approve``: a task may ask for ``auto_approve``;
* ``allow_destroy``: a task may ask for ``destroy``.

Task ``params``:

* ``auto_approve``: apply this task's plan without asking (needs ``allow_auto_approve``, or the
  template's own ``auto_approve``);
* ``destroy``: plan the destruction of everything the state holds (needs ``allow_destroy``).

Values are booleans (``null`` counts as not set). Other keys are left alone: clients of the
original send keys of other apps too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TEMPLATE_OPTIONS = ("auto_approve", "allow_auto_approve", "allow_destroy")
TASK_OPTIONS = ("auto_approve", "destroy")


class OptionError(ValueError):
    """A refused option; ``field`` is ``task_params`` (the template's) or ``params`` (the task's)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RunOptions:
    """What one run does: ``auto_approve`` applies the plan without asking, ``destroy`` plans with
    ``-destroy``."""

    auto_approve: bool = False
    destroy: bool = False


def template_options(task_params: Any) -> dict[str, bool]:
    """The template's options, type-checked (raises :class:`OptionError` naming ``task_params``)."""
    return _booleans(task_params, TEMPLATE_OPTIONS, "task_params")


def run_options(task_params: Any, params: Any) -> RunOptions:
    """The options of a run of a template with ``task_params`` asked for with ``params``. Raises
    :class:`OptionError` for a value that is not a boolean, and naming ``params`` for what the
    template does not allow."""
    template = template_options(task_params)
    task = _booleans(params, TASK_OPTIONS, "params")
    if task["auto_approve"] and not (template["auto_approve"] or template["allow_auto_approve"]):
        raise OptionError("auto_approve: the template does not allow it (task_params.allow_auto_approve)", "params")
    if task["destroy"] and not template["allow_destroy"]:
        raise OptionError("destroy: the template does not allow it (task_params.allow_destroy)", "params")
    return RunOptions(auto_approve=template["auto_approve"] or task["auto_approve"], destroy=task["destroy"])


def _booleans(values: Any, names: tuple[str, ...], field: str) -> dict[str, bool]:
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise OptionError(f"must be a JSON object, not {_json_type(values)}", field)
    found = {}
    for name in names:
        value = values.get(name)
        if value is not None and not isinstance(value, bool):
            raise OptionError(f"{name}: must be true or false, not {_json_type(value)}", field)
        found[name] = bool(value)
    return found


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return "null" if value is None else type(value).__name__
