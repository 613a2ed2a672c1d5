"""What a template is as JSON: the columns clients write, and the template with its JSON text
columns parsed."""

from __future__ import annotations

import json
from typing import Any

from semaphore.db.models import Template

#: Columns a client writes; ``tasks`` (a counter) and ``id``/``project_id`` are not among them.
WRITABLE_COLUMNS = (
    "name", "app", "type", "playbook", "description", "inventory_id", "repository_id", "environment_id",
    "arguments", "allow_override_args_in_task", "allow_override_branch_in_task", "allow_parallel_tasks",
    "start_version", "build_template_id", "view_id", "autorun", "git_branch", "suppress_success_alerts",
    "runner_tag", "runner_tags_match",
)


def parsed_json(text: str | None, default: Any) -> Any:
    """Stored JSON text as a value of the type of ``default`` (``default`` when empty or not that)."""
    if not text:
        return default
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return default
    return value if isinstance(value, type(default)) else default


def json_fields(template: Template) -> dict[str, Any]:
    """The template's JSON fields, survey variables and task params parsed (as executors see them
    when validating)."""
    return {**{name: getattr(template, name) for name in (*WRITABLE_COLUMNS, "id", "project_id")},
            "survey_vars": parsed_json(template.survey_vars, []),
            "task_params": parsed_json(template.task_params, {})}
