"""A new project from a backup (ours, or the original's: see project_backup for the format).

Every object goes through the same schema and service checks as when a client creates it through
the API, with its references turned from names into the new ids; an error names its place in the
backup (``templates[2].inventory: no inventory named 'X'``). The caller's request is one
transaction, so a backup that fails anywhere leaves nothing behind. Keys come back without their
secrets and environment secrets with empty values: the owner enters them again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey, Integration, IntegrationAlias, Project, User
from semaphore.errors import ValidationError
from semaphore.roles import Role
from semaphore.schemas.base import first_error
from semaphore.schemas.environments import EnvironmentWriteSchema
from semaphore.schemas.integrations import ExtractValueWriteSchema, IntegrationWriteSchema, MatcherWriteSchema
from semaphore.schemas.inventories import InventoryWriteSchema
from semaphore.schemas.keys import AccessKeyWriteSchema
from semaphore.schemas.projects import ProjectWriteSchema
from semaphore.schemas.repositories import RepositoryWriteSchema
from semaphore.schemas.schedules import ScheduleWriteSchema
from semaphore.schemas.templates import TemplateWriteSchema
from semaphore.schemas.views import ViewWriteSchema
from semaphore.services import activity, projects
from semaphore.services.access import ProjectAccess
from semaphore.services.environments import ENVIRONMENTS, IDENTIFIER, SECRET_TYPES, SecretName
from semaphore.services.integrations import EXTRACT_VALUES, INTEGRATIONS, MATCHERS, new_alias_text
from semaphore.services.inventories import INVENTORIES
from semaphore.services.keys import KEYS, encrypt_payload
from semaphore.services.repositories import REPOSITORIES
from semaphore.services.schedules import SCHEDULES
from semaphore.services.templates import TEMPLATES
from semaphore.services.views import VIEWS
from semaphore.state import AppState

SECTIONS = ("keys", "environments", "views", "repositories", "inventories", "templates", "schedules",
            "integrations")
ALIAS_TEXT = re.compile(r"[A-Za-z0-9_-]{1,50}")
TEMPLATE_FIELDS = ("name", "app", "type", "playbook", "description", "arguments", "allow_override_args_in_task",
                   "allow_override_branch_in_task", "allow_parallel_tasks", "start_version", "autorun", "git_branch",
                   "survey_vars", "suppress_success_alerts", "task_params", "runner_tag",
                   "runner_tags", "runner_tags_match")
# Our services name references by id; a backup names them by name under these keys.
BACKUP_FIELD = {"ssh_key_id": "ssh_key", "become_key_id": "become_key", "inventory_id": "inventory",
                "repository_id": "repository", "environment_id": "environment", "view_id": "view",
                "build_template_id": "build_template", "vault_key_id": "vault_key", "auth_secret_id": "auth_secret",
                "template_id": "template"}


def restore_project(db: DbSession, state: AppState, user: User, backup: Any) -> Project:
    """Create the project a backup describes, owned by ``user``."""
    meta = _load(ProjectWriteSchema(), backup.get("meta"), "meta")
    meta.pop("id", None)
    project = projects.new_project(db, state, user, meta, f"Project {meta['name']} restored from a backup")
    _Restore(db, state, ProjectAccess(project=project, user=user, role=Role.OWNER.value), backup).run()
    return project


class _Restore:
    def __init__(self, db: DbSession, state: AppState, access: ProjectAccess, backup: dict[str, Any]) -> None:
        self.db = db
        self.state = state
        self.access = access
        self.backup = backup
        self.ids: dict[str, dict[str, int]] = {section: {} for section in SECTIONS}

    def run(self) -> None:
        self._each("keys", "name", self._key)
        self._each("environments", "name", self._environment)
        self._each("views", "title", self._view)
        self._each("repositories", "name", self._repository)
        self._each("inventories", "name", self._inventory)
        templates = self._entries("templates")
        self._check_unique("templates", "name", templates)
        # In their order (the backup's ids), but a deploy template after the build template it names.
        deferred = []
        for path, entry in templates:
            if entry.get("type") == "deploy" and str(entry.get("build_template")) not in self.ids["templates"]:
                deferred.append((path, entry))
            else:
                self._template(path, entry)
        for path, entry in deferred:
            self._template(path, entry)
        if "schedules" in self.backup:
            self._each("schedules", None, self._schedule)
        else:  # the original's format: one cron per template
            for path, entry in templates:
                if entry.get("cron"):
                    self._schedule(f"{path}.cron", {"template": entry["name"], "cron_format": entry["cron"]})
        self._each("integrations", "name", self._integration)
        self._aliases("integration_aliases", self.backup.get("integration_aliases"), None)

    # -- the sections --------------------------------------------------------------------------

    def _key(self, path: str, entry: dict[str, Any]) -> int:
        data = _load(AccessKeyWriteSchema(), {"name": entry.get("name"), "type": entry.get("type")}, path)
        row = AccessKey(name=data["name"], type=data["type"], project_id=self.access.project.id, secret=None)
        self.db.add(row)
        self.db.flush()
        KEYS.record(self.db, self.access, row, activity.CREATED)
        return row.id

    def _environment(self, path: str, entry: dict[str, Any]) -> int:
        payload = {name: entry.get(name) for name in ("name", "json", "env")}
        row = self._create(ENVIRONMENTS, EnvironmentWriteSchema(), payload, path)
        seen: set[SecretName] = set()
        for index, secret in enumerate(_list(entry.get("secrets"), f"{path}.secrets")):
            where = f"{path}.secrets[{index}]"
            kind, secret_name = secret.get("type"), secret.get("name")
            if kind not in SECRET_TYPES:
                raise ValidationError("must be var or env", field=f"{where}.type")
            name = SecretName(kind, secret_name if isinstance(secret_name, str) else "")
            if not IDENTIFIER.fullmatch(name.name) or name in seen:
                raise ValidationError("must be an identifier used once per type", field=f"{where}.name")
            seen.add(name)
            # The value is not in the backup: an empty one until the owner enters it.
            self.db.add(AccessKey(name=name.stored(), type="string", project_id=row.project_id,
                                  environment_id=row.id, secret=encrypt_payload(self.state.secrets, "")))
        return row.id

    def _view(self, path: str, entry: dict[str, Any]) -> int:
        payload = {"title": entry.get("title"), "position": entry.get("position")}
        return self._create(VIEWS, ViewWriteSchema(), payload, path).id

    def _repository(self, path: str, entry: dict[str, Any]) -> int:
        payload = {"name": entry.get("name"), "git_url": entry.get("git_url"), "git_branch": entry.get("git_branch"),
                   "ssh_key_id": self._ref("keys", entry, "ssh_key", path, required=True)}
        return self._create(REPOSITORIES, RepositoryWriteSchema(), payload, path).id

    def _inventory(self, path: str, entry: dict[str, Any]) -> int:
        payload = {"name": entry.get("name"), "type": entry.get("type"), "inventory": entry.get("inventory"),
                   "ssh_key_id": self._ref("keys", entry, "ssh_key", path),
                   "become_key_id": self._ref("keys", entry, "become_key", path)}
        return self._create(INVENTORIES, InventoryWriteSchema(), payload, path).id

    def _template(self, path: str, entry: dict[str, Any]) -> None:
        payload = {name: entry[name] for name in TEMPLATE_FIELDS if entry.get(name) is not None}
        if not payload.get("app"):
            payload.pop("app", None)  # backups of the original's first versions have none: ansible
        if isinstance(payload.get("survey_vars"), list):  # the original writes "values": null for none
            payload["survey_vars"] = [{k: v for k, v in var.items() if v is not None} if isinstance(var, dict) else var
                                      for var in payload["survey_vars"]]
        payload.update(
            repository_id=self._ref("repositories", entry, "repository", path, required=True),
            inventory_id=self._ref("inventories", entry, "inventory", path),
            environment_id=self._ref("environments", entry, "environment", path),
            view_id=self._ref("views", entry, "view", path),
            build_template_id=self._ref("templates", entry, "build_template", path)
            if entry.get("type") == "deploy" else None)
        vaults = _list(entry.get("vaults"), f"{path}.vaults")
        payload["vaults"] = [{"name": vault.get("name"), "type": vault.get("type") or "password",
                              "script": vault.get("script"),
                              "vault_key_id": self._ref("keys", vault, "vault_key", f"{path}.vaults[{index}]")}
                             for index, vault in enumerate(vaults)]
        self.ids["templates"][str(entry["name"])] = self._create(TEMPLATES, TemplateWriteSchema(), payload, path).id

    def _schedule(self, path: str, entry: dict[str, Any]) -> None:
        payload = {"name": entry.get("name"), "cron_format": entry.get("cron_format"), "active": entry.get("active"),
                   "timezone": entry.get("timezone"),
                   "template_id": self._ref("templates", entry, "template", path, required=True),
                   "repository_id": self._ref("repositories", entry, "repository", path)}
        self._create(SCHEDULES, ScheduleWriteSchema(), {k: v for k, v in payload.items() if v is not None}, path)

    def _integration(self, path: str, entry: dict[str, Any]) -> int | None:
        if not entry:
            return None  # the original writes {} for an integration whose template it could not find
        payload = {name: entry.get(name) for name in ("name", "auth_method", "auth_header", "searchable",
                                                      "task_params") if entry.get(name) not in (None, "")}
        payload.update(template_id=self._ref("templates", entry, "template", path, required=True),
                       auth_secret_id=self._ref("keys", entry, "auth_secret", path))
        row = self._create(INTEGRATIONS, IntegrationWriteSchema(), payload, path)
        for key, service, schema in (("matchers", MATCHERS, MatcherWriteSchema()),
                                     ("extract_values", EXTRACT_VALUES, ExtractValueWriteSchema())):
            for index, part in enumerate(_list(entry.get(key), f"{path}.{key}")):
                where = f"{path}.{key}[{index}]"
                self._create_part(service, row, _load(schema, part, where), where)
        self._aliases(f"{path}.aliases", entry.get("aliases"), row)
        return row.id

    def _aliases(self, path: str, aliases: Any, integration: Integration | None) -> None:
        """An alias is a webhook URL: kept when it is free on this server, else a new one."""
        for index, alias in enumerate(_list(aliases, path, item=str)):
            if not ALIAS_TEXT.fullmatch(alias):
                raise ValidationError("must be 1 to 50 letters, digits, _ or -", field=f"{path}[{index}]")
            if self.db.scalar(select(IntegrationAlias.id).where(IntegrationAlias.alias == alias)) is not None:
                alias = new_alias_text(self.db)
            self.db.add(IntegrationAlias(alias=alias, project_id=self.access.project.id,
                                         integration_id=integration.id if integration else None))
            self.db.flush()

    # -- helpers -------------------------------------------------------------------------------

    def _entries(self, section: str) -> list[tuple[str, dict[str, Any]]]:
        return [(f"{section}[{index}]", entry) for index, entry in enumerate(_list(self.backup.get(section), section))]

    def _each(self, section: str, name_field: str | None, restore: Callable[[str, dict[str, Any]], Any]) -> None:
        entries = self._entries(section)
        if name_field is not None:
            self._check_unique(section, name_field, entries)
        for path, entry in entries:
            new_id = restore(path, entry)
            if name_field is not None and new_id is not None:
                self.ids[section][str(entry.get(name_field))] = new_id

    @staticmethod
    def _check_unique(section: str, name_field: str, entries: list[tuple[str, dict[str, Any]]]) -> None:
        """References are names, so a name must mean one object."""
        seen: set[Any] = set()
        for path, entry in entries:
            name = entry.get(name_field)
            if not isinstance(name, str):
                continue  # the entry's schema refuses it
            if name in seen:
                raise ValidationError(f"another entry is named {name!r}", field=f"{path}.{name_field}")
            seen.add(name)

    def _ref(self, section: str, entry: dict[str, Any], field: str, path: str, required: bool = False) -> int | None:
        """The new id of the object of ``section`` that ``entry[field]`` names."""
        name = entry.get(field)
        if name is None or name == "":
            if required:
                raise ValidationError("required", field=f"{path}.{field}")
            return None
        found = self.ids[section].get(str(name)) if isinstance(name, str) else None
        if found is None:
            raise ValidationError(f"no {_singular(section)} named {name!r}", field=f"{path}.{field}")
        return found

    def _create_part(self, service: Any, integration: Integration, data: dict[str, Any], path: str) -> None:
        _at(path, lambda: service.create(self.db, self.state, self.access, integration, data))

    def _create(self, service: Any, schema: Schema, payload: dict[str, Any], path: str) -> Any:
        data = _load(schema, payload, path)
        return _at(path, lambda: service.create(self.db, self.state, self.access, data))


def _load(schema: Schema, payload: Any, path: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ValidationError("must be an object", field=path)
    try:
        data: dict[str, Any] = schema.load(payload)
    except SchemaError as exc:
        field, message = first_error(exc.messages)
        raise ValidationError(message, field=f"{path}.{_backup_field(field)}" if field else path) from None
    return data


def _at(path: str, create: Callable[[], Any]) -> Any:
    """Run ``create``; a ValidationError it raises names the place in the backup."""
    try:
        return create()
    except ValidationError as exc:
        message = str(exc.message).removeprefix(f"{exc.field}: ") if exc.field else exc.message
        raise ValidationError(message, field=f"{path}.{_backup_field(exc.field)}" if exc.field else path) from None


def _backup_field(field: str) -> str:
    """``vaults.0.vault_key_id`` -> ``vaults[0].vault_key``: the service's field as the backup names it."""
    parts: list[str] = []
    for part in field.split("."):
        if part.isdigit() and parts:
            parts[-1] += f"[{part}]"
        else:
            parts.append(BACKUP_FIELD.get(part, part))
    return ".".join(parts)


def _list(value: Any, path: str, item: type = dict) -> list[Any]:
    """A section: a list of ``item`` (null or missing: empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("must be a list", field=path)
    for index, entry in enumerate(value):
        if not isinstance(entry, item):
            raise ValidationError("must be an object" if item is dict else "must be a string",
                                  field=f"{path}[{index}]")
    return value


def _singular(section: str) -> str:
    return {"keys": "key", "environments": "environment", "views": "view", "repositories": "repository",
            "inventories": "inventory", "templates": "template"}[section]

