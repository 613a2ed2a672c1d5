"""A project backup (GET /api/project/{id}/backup, POST /api/projects/restore).

The sections are passed through as they are: services.project_restore checks each entry with the
schema of its resource and answers errors by their place in the backup.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from semaphore.schemas.base import RequestSchema

_OBJECT: dict[str, Any] = {"type": "object"}


def _section(description: str, item: dict[str, Any] | None = None) -> fields.Raw:
    return fields.Raw(metadata={"type": "array", "items": item or _OBJECT, "description": description})


class ProjectBackupSchema(RequestSchema):
    """Unknown top-level keys (sections of other versions) are ignored."""

    meta = fields.Raw(metadata={**_OBJECT, "description": "the project: name, alert, alert_chat, "
                                                          "max_parallel_tasks, type"})
    keys = _section("{name, type}: no secrets")
    environments = _section("{name, json, env, secrets: [{type, name}]}: secret values are not included")
    views = _section("{title, position}")
    repositories = _section("{name, git_url (without a password), git_branch, ssh_key: key name}")
    inventories = _section("{name, inventory, type, ssh_key, become_key}: key names")
    templates = _section("the template's fields with inventory, repository, environment, build_template and "
                         "view by name, vaults [{name, type, script, vault_key: key name}] and cron (the cron of "
                         "its first schedule)")
    schedules = _section("ours: every schedule {name, template, cron_format, active, timezone, repository "
                         "(commit-triggered ones)}; a restore without it makes a schedule of each template's cron")
    integrations = _section("{name, template, auth_method, auth_secret: key name, auth_header, searchable, "
                            "task_params, aliases: [string], matchers: [...], extract_values: [...]}")
    integration_aliases = _section("the project's own webhook aliases", {"type": "string"})
