"""Planning a task's run: everything the database knows about it, as a portable
:class:`~semaphore.engine.job_spec.JobSpec`.

The engine calls it from its worker thread with an open session (no Flask app context)::

    secret = decrypt_task_secret(box, task.secret)  # the run's secret extra vars, stored encrypted
    spec = plan_job(db, config, box, task, task_secret=secret)  # RunPreparationError: task fails
    plan = materialise(spec, private_dir, config)  # see semaphore.engine.materialise

:func:`plan_job` reads every row it needs and decrypts the keys; it writes nothing. The spec goes
to :func:`~semaphore.engine.materialise.materialise` on the machine that runs the job: the
server itself, or a remote runner that receives it sealed (:mod:`semaphore.runners.sealed`).

What the run's context holds, where it differs from or clarifies the original:

* ``extra_vars`` = the environment's ``json`` with the task's ``environment`` over it (values given
  when starting the task win over the variable group's defaults; the original lets the group win),
  plus ``semaphore_vars: {"task_details": ...}``.
* ``secret_vars`` = the environment's ``var.*`` secrets with the task's secret values over them
  (non-string values as JSON text).
* ``env``: see :mod:`semaphore.engine.run_env` for the layers; ``PATH`` is always passed.
* ``inventory``: the task's inventory, else the template's. A file inventory whose repository is
  not the template's needs ``inventory_source`` checked out too.
* ``params`` = the task's ``params`` JSON.

``spec.secrets`` lists every secret value (key passwords, passphrases and private keys, also line
by line, environment secrets, vault passwords, the task's secret values), longest first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.config import Config
from semaphore.crypto import SecretBox
from semaphore.db.models import AccessKey, Environment, Inventory, Repository, Task, Template, TemplateVault, User
from semaphore.engine.inventory_files import inventory_spec
from semaphore.engine.job_spec import JobSpec, SourceSpec
from semaphore.engine.run_env import env_variables, stored_json
from semaphore.engine.run_keys import RunKeys, RunPreparationError, SecretValues, decrypt_secret
from semaphore.errors import DecryptionError
from semaphore.execution import AppSettings, TaskDetails
from semaphore.services.apps import app_settings
from semaphore.services.environments import SecretName
from semaphore.services.local_repositories import run_refusal
from semaphore.services.template_fields import WRITABLE_COLUMNS

__all__ = ["RunPreparationError", "decrypt_task_secret", "plan_job"]

DEFAULT_VAULT = "default"
VERSIONED_TYPES = ("build", "deploy")


def plan_job(db: DbSession, config: Config, box: SecretBox, task: Task,
             task_secret: Mapping[str, Any] | None = None) -> JobSpec:
    """Everything about ``task``'s run that the database knows (``box`` decrypts its keys).
    ``task_secret``: the secret extra variables sent with the task (see :func:`decrypt_task_secret`)."""
    secrets = SecretValues()
    keys = RunKeys(db, box, secrets)
    template = _row(db, Template, task.template_id, "template")
    repository = _row(db, Repository, template.repository_id, "template's repository")
    branch = (task.git_branch if template.allow_override_branch_in_task else None) or template.git_branch
    source = _source(config, keys, repository, branch, task.commit_hash)

    inventory_source = inventory = None
    inventory_id = task.inventory_id or template.inventory_id
    if inventory_id is not None:
        row = _row(db, Inventory, inventory_id, "inventory")
        elsewhere = row.type == "file" and row.repository_id not in (None, repository.id)
        if elsewhere:
            holder = _row(db, Repository, row.repository_id, f"repository of inventory {row.name!r}")
            inventory_source = _source(config, keys, holder, None, None)
        inventory = inventory_spec(row, keys, in_own_repository=elsewhere)

    environment = db.get(Environment, template.environment_id) if template.environment_id is not None else None
    env_secrets = _environment_secrets(db, box, environment, secrets)
    task_secret = dict(task_secret or {})
    secrets.add_leaves(task_secret)

    details = task_details(db, config.web_host, task, template)
    extra_vars = {**stored_json(environment.json if environment else None, dict, "extra variables of the environment"),
                  **stored_json(task.environment, dict, "extra variables of the task"),
                  "semaphore_vars": {"task_details": details.as_vars()}}
    secret_vars = {**env_secrets.get("var", {}), **{name: _text(value) for name, value in task_secret.items()}}
    vaults, vault_scripts = _vaults(db, keys, template)
    return JobSpec(
        task=details, app_id=template.app, template=template_fields(template),
        playbook=task.playbook or template.playbook, source=source, inventory=inventory,
        inventory_source=inventory_source, extra_vars=extra_vars, secret_vars=secret_vars,
        env_vars=env_variables(environment.env if environment else None, "environment variables of the environment"),
        env_secrets=env_secrets.get("env", {}), secrets=secrets.as_list(),
        template_args=_args(template.arguments, "arguments of the template"),
        task_args=_args(task.arguments, "arguments of the task") if template.allow_override_args_in_task else [],
        debug=task.debug, dry_run=task.dry_run, diff=task.diff, limit=task.hosts_limit or "",
        vaults=vaults, vault_scripts=vault_scripts,
        app=_app_settings(app_settings(db, config).get(template.app) or {}, template.app),
        params=stored_json(task.params, dict, "params of the task"),
    )


def decrypt_task_secret(box: SecretBox, stored: str | None) -> dict[str, Any]:
    """The task's secret extra variables from their encrypted stored form ({} when none)."""
    if not stored:
        return {}
    try:
        value = json.loads(box.decrypt(stored).decode())
    except DecryptionError as exc:
        raise RunPreparationError("cannot decrypt the task's secret variables: "
                                  "perhaps the encryption key (access_key_encryption) was changed") from exc
    except ValueError as exc:
        raise RunPreparationError("the task's stored secret variables are damaged") from exc
    if not isinstance(value, dict):
        raise RunPreparationError("the task's secret variables must be a JSON object")
    return value


def task_details(db: DbSession, web_host: str, task: Task, template: Template) -> TaskDetails:
    """``semaphore_vars.task_details``; the username is "" for tasks no user started
    (schedules, integrations, deploy autoruns)."""
    username = db.scalar(select(User.username).where(User.id == task.user_id)) if task.user_id else None
    versioned = template.type in VERSIONED_TYPES
    return TaskDetails(
        id=task.id, username=username or "", message=task.message or "",
        url=f"{web_host.rstrip('/')}/project/{task.project_id}/history?t={task.id}" if web_host else None,
        type=template.type if versioned else "",
        target_version=task.version if template.type == "build" else None,
        incoming_version=incoming_version(db, task) if versioned else None,
    )


def incoming_version(db: DbSession, task: Task) -> str | None:
    """The version of the build a deploy task deploys: follow ``build_task_id`` through deploy
    tasks until a build task."""
    seen = {task.id}
    build_id = task.build_task_id
    while build_id is not None and build_id not in seen:
        seen.add(build_id)
        row = db.execute(select(Task.version, Task.build_task_id, Template.type)
                         .join(Template, Template.id == Task.template_id).where(Task.id == build_id)).first()
        if row is None:
            return None
        if row.type == "build":
            return row.version
        build_id = row.build_task_id
    return None


def template_fields(template: Template) -> dict[str, Any]:
    """The template as executors see it: its JSON fields (survey variables and task params parsed)."""
    fields = {name: getattr(template, name) for name in (*WRITABLE_COLUMNS, "id", "project_id")}
    fields["survey_vars"] = stored_json(template.survey_vars, list, "survey variables of the template")
    fields["task_params"] = stored_json(template.task_params, dict, "task params of the template")
    return fields


def _source(config: Config, keys: RunKeys, repository: Repository, branch: str | None,
            commit: str | None) -> SourceSpec:
    refusal = run_refusal(repository.git_url, repository.admin_approved_url, config)
    if refusal:
        raise RunPreparationError(f"repository {repository.name!r}: {refusal}")
    key = keys.key(repository.ssh_key_id, f"the key of repository {repository.name!r}")
    return SourceSpec(repository.id, repository.git_url, branch or repository.git_branch, commit or None, key)


def _environment_secrets(db: DbSession, box: SecretBox, environment: Environment | None,
                         secrets: SecretValues) -> dict[str, dict[str, str]]:
    """The environment's secrets by kind ("var", "env") and name."""
    found: dict[str, dict[str, str]] = {}
    if environment is None:
        return found
    rows = db.scalars(select(AccessKey).where(AccessKey.environment_id == environment.id).order_by(AccessKey.id))
    for key in rows:
        name = SecretName.parse(key.name)
        value = decrypt_secret(box, key, f"a secret of environment {environment.name!r}")
        if not isinstance(value, str):
            raise RunPreparationError(f"the secret {key.name!r} of environment {environment.name!r} is not a string")
        secrets.add(value)
        found.setdefault(name.type, {})[name.name] = value
    return found


def _vaults(db: DbSession, keys: RunKeys, template: Template) -> tuple[dict[str, str], dict[str, str]]:
    """``vaults`` (vault id -> password) and ``vault_scripts`` (vault id -> script in the
    repository); a vault without a name is "default", a password vault without a password is left out."""
    passwords, scripts = {}, {}
    for vault in db.scalars(select(TemplateVault).where(TemplateVault.template_id == template.id)
                            .order_by(TemplateVault.id)):
        vault_id = vault.name or DEFAULT_VAULT
        if vault.type == "script":
            if vault.script:
                scripts[vault_id] = vault.script
            continue
        password = keys.password(vault.vault_key_id, f"the key of vault {vault_id!r}")
        if password:
            passwords[vault_id] = password
    return passwords, scripts


def _app_settings(settings: Mapping[str, Any], app_id: str) -> AppSettings:
    """``apps.<id>.path`` and ``args``; ``args`` None keeps the executor's default arguments."""
    args = settings.get("args")
    if args is not None and (not isinstance(args, list) or not all(isinstance(arg, str) for arg in args)):
        raise RunPreparationError(f"apps.{app_id}.args setting must be a JSON array of strings")
    return AppSettings(path=str(settings.get("path") or ""), args=None if args is None else tuple(args))


def _args(text: str | None, what: str) -> list[str]:
    values = stored_json(text, list, what)
    if any(isinstance(value, (dict, list)) for value in values):
        raise RunPreparationError(f"the {what} must be a JSON array of strings")
    return [_text(value) for value in values]


def _text(value: Any) -> str:
    """A string as it is, any other JSON value as JSON text."""
    return value if isinstance(value, str) else json.dumps(value)


def _row(db: DbSession, model: Any, row_id: int | None, what: str) -> Any:
    row = db.get(model, row_id) if row_id is not None else None
    if row is None:
        raise RunPreparationError(f"the {what} (id {row_id}) does not exist")
    return row
