"""A project as a backup in the original's format: every object once, references by name instead of
id, and no secret (key material, environment secret values, passwords in git URLs).

The sections and field names are the original's (``meta``, ``keys``, ``environments``, ``views``,
``repositories``, ``inventories``, ``templates`` with their ``cron``, ``integrations``,
``integration_aliases``). Ours adds what the original's format has no place for, under names
restores of the original ignore: the names of environment secrets, every schedule of a template
(``schedules``) and the vault types. Names used twice get a random suffix first, as the original
does, so that a name always points at one object.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import (
    AccessKey,
    Environment,
    Integration,
    IntegrationAlias,
    IntegrationExtractValue,
    IntegrationMatcher,
    Inventory,
    Project,
    Repository,
    Schedule,
    Template,
    TemplateVault,
    View,
)
from semaphore.git_url_password import without_password
from semaphore.services.environments import SecretName
from semaphore.services.template_fields import parsed_json
from semaphore.services.template_runner_tags import runner_tags_by_template

SUFFIX_ALPHABET = string.ascii_letters + string.digits
SUFFIX_LENGTH = 10
R = TypeVar("R")


def project_backup(db: DbSession, project: Project) -> dict[str, Any]:
    """The backup of ``project`` as a JSON-ready dict."""
    pid = project.id
    keys = _rows(db, AccessKey, pid, AccessKey.environment_id.is_(None))
    environments = _rows(db, Environment, pid)
    views = _rows(db, View, pid)
    repositories = _rows(db, Repository, pid)
    inventories = _rows(db, Inventory, pid)
    templates = _rows(db, Template, pid)
    integrations = _rows(db, Integration, pid)
    schedules = _rows(db, Schedule, pid)
    key_names = _unique_names(keys)
    environment_names = _unique_names(environments)
    view_names = _unique_names(views, "title")
    repository_names = _unique_names(repositories)
    inventory_names = _unique_names(inventories)
    template_names = _unique_names(templates)
    runner_tags = runner_tags_by_template(db, [t.id for t in templates])
    integration_names = _unique_names(integrations)

    env_secrets: dict[int, list[dict[str, str]]] = {}
    for secret in db.scalars(select(AccessKey).where(AccessKey.project_id == pid, AccessKey.environment_id.is_not(None))
                             .order_by(AccessKey.name, AccessKey.id)):
        name = SecretName.parse(secret.name)
        env_secrets.setdefault(secret.environment_id, []).append({"type": name.type, "name": name.name})  # type: ignore[arg-type]
    vaults: dict[int, list[TemplateVault]] = {}
    for vault in db.scalars(select(TemplateVault).where(TemplateVault.project_id == pid).order_by(TemplateVault.id)):
        vaults.setdefault(vault.template_id, []).append(vault)
    by_template: dict[int, list[Schedule]] = {}
    for schedule in schedules:
        by_template.setdefault(schedule.template_id, []).append(schedule)

    return {
        "meta": {"name": project.name, "alert": project.alert, "alert_chat": project.alert_chat,
                 "max_parallel_tasks": project.max_parallel_tasks, "type": project.type},
        "keys": [{"name": key_names[k.id], "type": k.type} for k in keys],
        "environments": [{"name": environment_names[e.id], "password": None, "json": e.json, "env": e.env,
                          "secrets": env_secrets.get(e.id, [])} for e in environments],
        "views": [{"title": view_names[v.id], "position": v.position} for v in views],
        "repositories": [{"name": repository_names[r.id], "git_url": without_password(r.git_url),
                          "git_branch": r.git_branch, "ssh_key": key_names.get(r.ssh_key_id)} for r in repositories],
        "inventories": [{"name": inventory_names[i.id], "inventory": i.inventory, "type": i.type,
                         "ssh_key": _name(key_names, i.ssh_key_id), "become_key": _name(key_names, i.become_key_id)}
                        for i in inventories],
        "templates": [{
            "name": template_names[t.id], "app": t.app, "type": t.type, "playbook": t.playbook,
            "description": t.description, "arguments": t.arguments,
            "allow_override_args_in_task": t.allow_override_args_in_task,
            "allow_override_branch_in_task": t.allow_override_branch_in_task,
            "allow_parallel_tasks": t.allow_parallel_tasks, "start_version": t.start_version, "autorun": t.autorun,
            "git_branch": t.git_branch, "survey_vars": parsed_json(t.survey_vars, []),
            "suppress_success_alerts": t.suppress_success_alerts, "task_params": parsed_json(t.task_params, {}),
            "runner_tag": t.runner_tag, "runner_tags": runner_tags.get(t.id, []),
            "runner_tags_match": t.runner_tags_match,
            "inventory": _name(inventory_names, t.inventory_id), "repository": repository_names.get(t.repository_id),
            "environment": _name(environment_names, t.environment_id),
            "build_template": _name(template_names, t.build_template_id), "view": _name(view_names, t.view_id),
            "vaults": [{"name": v.name, "type": v.type, "script": v.script,
                        "vault_key": _name(key_names, v.vault_key_id)} for v in vaults.get(t.id, [])],
            "cron": by_template[t.id][0].cron_format if t.id in by_template else None,
        } for t in templates],
        "schedules": [{"name": s.name, "template": template_names[s.template_id], "cron_format": s.cron_format,
                       "active": s.active, "timezone": s.timezone,
                       "repository": _name(repository_names, s.repository_id)} for s in schedules],
        "integrations": [_integration(db, i, integration_names[i.id], template_names, key_names) for i in integrations],
        "integration_aliases": _aliases(db, pid, None),
    }


def _integration(db: DbSession, row: Integration, name: str, template_names: dict[int, str],
                 key_names: dict[int, str]) -> dict[str, Any]:
    matchers = db.scalars(select(IntegrationMatcher).where(IntegrationMatcher.integration_id == row.id)
                          .order_by(IntegrationMatcher.id))
    values = db.scalars(select(IntegrationExtractValue).where(IntegrationExtractValue.integration_id == row.id)
                        .order_by(IntegrationExtractValue.id))
    return {
        "name": name, "template": template_names[row.template_id], "auth_method": row.auth_method,
        "auth_secret": _name(key_names, row.auth_secret_id), "auth_header": row.auth_header,
        "searchable": row.searchable, "task_params": row.task_params,
        "aliases": _aliases(db, row.project_id, row.id),
        "matchers": [{"name": m.name, "match_type": m.match_type, "method": m.method,
                      "body_data_type": m.body_data_type, "key": m.key, "value": m.value} for m in matchers],
        "extract_values": [{"name": v.name, "value_source": v.value_source, "body_data_type": v.body_data_type,
                            "key": v.key, "variable": v.variable} for v in values],
    }


def _aliases(db: DbSession, project_id: int, integration_id: int | None) -> list[str]:
    column = IntegrationAlias.integration_id
    owner = column.is_(None) if integration_id is None else column == integration_id
    query = select(IntegrationAlias.alias).where(IntegrationAlias.project_id == project_id, owner)
    return list(db.scalars(query.order_by(IntegrationAlias.id)))


def _rows(db: DbSession, model: type[R], project_id: int, *where: Any) -> list[R]:
    query = select(model).where(model.project_id == project_id, *where).order_by(model.id)  # type: ignore[attr-defined]
    return list(db.scalars(query))


def _unique_names(rows: Iterable[Any], attribute: str = "name") -> dict[int, str]:
    """Row id -> its name, a later row whose name is taken getting `` - <random>`` appended."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for row in rows:
        name = getattr(row, attribute)
        while name in taken:
            name = f"{getattr(row, attribute)} - {_random_suffix()}"
        taken.add(name)
        names[row.id] = name
    return names


def _random_suffix() -> str:
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))


def _name(names: dict[int, str], row_id: int | None) -> str | None:
    return names.get(row_id) if row_id is not None else None

