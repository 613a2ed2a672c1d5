"""Environments (variable groups): extra vars, process environment variables and secrets.

A secret is a key-store row of type ``string`` with ``environment_id`` set and the name
``var.<NAME>`` (an extra var) or ``env.<NAME>`` (an environment variable); its value is encrypted
and never returned. Clients change secrets with a list of operations sent with the environment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey, Environment, Template
from semaphore.errors import ValidationError
from semaphore.services.access import ProjectAccess
from semaphore.services.keys import encrypt_payload
from semaphore.services.resources import ProjectResource, RefSpec

if TYPE_CHECKING:
    from semaphore.crypto import SecretBox
    from semaphore.state import AppState

SECRET_TYPES = ("var", "env")
CREATE, UPDATE, DELETE = "create", "update", "delete"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECRET_MAX_BYTES = 32768  # encrypted and base64-encoded it still fits a TEXT column
SECRETS_ATTR = "secrets"  # set on a row for the response; list rows lack it, so the list omits secrets


@dataclass(frozen=True)
class SecretName:
    type: str
    name: str

    @classmethod
    def parse(cls, stored: str) -> SecretName:
        kind, _, name = stored.partition(".")
        return cls(kind, name)

    def stored(self) -> str:
        return f"{self.type}.{self.name}"


def check_extra_vars(text: str | None) -> None:
    if text is None:
        raise ValidationError("required (a JSON object of extra variables, e.g. {})", field="json")
    if any(key == "" for key in json.loads(text)):
        raise ValidationError("variable names must not be empty", field="json")


def check_env_vars(text: str | None) -> None:
    """Process environment variables: names without '=' or NUL, values strings or numbers."""
    if text is None:
        return
    for key, value in json.loads(text).items():
        if key == "" or "=" in key or "\x00" in key:
            raise ValidationError(f"{key!r} is not a valid environment variable name", field="env")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError(f"the value of {key} must be a string or a number", field="env")
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(f"the value of {key} must not contain NUL characters", field="env")


def secret_rows(db: DbSession, environment_id: int) -> list[AccessKey]:
    return list(db.scalars(select(AccessKey).where(AccessKey.environment_id == environment_id)
                           .order_by(AccessKey.name, AccessKey.id)))


class SecretPlan:
    """Checks a list of secret operations against the environment's secrets before anything is
    written, then applies them once the environment has an id."""

    def __init__(self, existing: list[AccessKey], operations: list[dict[str, Any]], creating: bool) -> None:
        self.existing = {key.id: key for key in existing}
        self.operations = [(index, op) for index, op in enumerate(operations) if op.get("operation")]
        self.creating = creating

    def check(self) -> None:
        final: dict[int, SecretName] = {key_id: SecretName.parse(key.name) for key_id, key in self.existing.items()}
        created: list[tuple[int, SecretName]] = []
        changed: dict[int, int] = {}  # secret id -> index of the operation that changes it
        for index, op in self.operations:
            operation = op["operation"]
            if self.creating and operation != CREATE:
                raise self._error(index, "operation", "a new environment has no secrets to update or delete")
            if operation in (UPDATE, DELETE):
                secret_id = op.get("id")
                if secret_id is None:
                    raise self._error(index, "id", f"required to {operation} a secret")
                if secret_id not in self.existing:
                    raise self._error(index, "id", f"no such secret in this environment (id {secret_id})")
                if secret_id in changed:
                    raise self._error(index, "id", "the same secret is changed twice in one request")
                changed[secret_id] = index
                if operation == DELETE:
                    del final[secret_id]
                    continue
            name = self._check_fields(index, op)
            if operation == CREATE:
                created.append((index, name))
            else:
                final[op["id"]] = name
        self._check_unique(final, changed, created)

    def _check_fields(self, index: int, op: dict[str, Any]) -> SecretName:
        if op.get("type") not in SECRET_TYPES:
            raise self._error(index, "type", "must be var or env")
        if not IDENTIFIER.fullmatch(op.get("name") or ""):
            raise self._error(index, "name", "must be an identifier: letters, digits and _, not starting with a digit")
        value = op.get("secret") or ""
        if op["operation"] == CREATE and value == "":
            raise self._error(index, "secret", "required to create a secret")
        if len(value.encode()) > SECRET_MAX_BYTES:
            raise self._error(index, "secret", f"must be at most {SECRET_MAX_BYTES} bytes")
        if "\x00" in value:
            raise self._error(index, "secret", "must not contain NUL characters")
        return SecretName(op["type"], op["name"])

    def _check_unique(self, final: dict[int, SecretName], changed: dict[int, int],
                      created: list[tuple[int, SecretName]]) -> None:
        # Unchanged secrets first, so the error names an operation of this request.
        entries = [(changed.get(key_id), name) for key_id, name in final.items()]
        entries.sort(key=lambda entry: -1 if entry[0] is None else entry[0])
        seen: set[SecretName] = set()
        for index, name in entries + created:
            if name in seen:
                raise self._error(index, "name", f"a {name.type} secret named {name.name} exists in this environment")
            seen.add(name)

    @staticmethod
    def _error(index: int | None, field: str, message: str) -> ValidationError:
        return ValidationError(message, field=f"secrets.{index}.{field}")

    def apply(self, db: DbSession, box: SecretBox, environment: Environment) -> None:
        for _index, op in self.operations:
            if op["operation"] == CREATE:
                db.add(AccessKey(name=SecretName(op["type"], op["name"]).stored(), type="string",
                                 project_id=environment.project_id, environment_id=environment.id,
                                 secret=encrypt_payload(box, op["secret"])))
                continue
            key = self.existing[op["id"]]
            if op["operation"] == DELETE:
                db.delete(key)
                continue
            key.name = SecretName(op["type"], op["name"]).stored()
            if op.get("secret"):  # an empty value keeps the stored one (clients never see it)
                key.secret = encrypt_payload(box, op["secret"])
        db.flush()


class Environments(ProjectResource[Environment]):
    model = Environment
    object_type = "environment"
    label = "Environment"
    refs = (RefSpec("templates", Template.environment_id, Template.name),)

    def get(self, db: DbSession, project_id: int, object_id: int) -> Environment:
        row = super().get(db, project_id, object_id)
        self.attach_secrets(db, row)
        return row

    def validate(self, db: DbSession, state: AppState, project_id: int,
                 data: dict[str, Any], existing: Environment | None) -> None:
        check_extra_vars(data.get("json"))
        check_env_vars(data.get("env"))
        existing_secrets = secret_rows(db, existing.id) if existing is not None else []
        plan = SecretPlan(existing_secrets, data.get("secrets") or [], creating=existing is None)
        plan.check()
        data["secrets"] = plan

    def apply(self, db: DbSession, state: AppState, row: Environment,
              data: dict[str, Any], access: ProjectAccess) -> None:
        row.name = data["name"]
        row.json = data["json"]
        row.env = data.get("env")

    def after_save(self, db: DbSession, state: AppState, row: Environment,
                   data: dict[str, Any], access: ProjectAccess) -> None:
        data["secrets"].apply(db, state.secrets, row)
        self.attach_secrets(db, row)

    @staticmethod
    def attach_secrets(db: DbSession, row: Environment) -> None:
        """The secrets' ids, types and names for the response; values stay in the database."""
        items = []
        for key in secret_rows(db, row.id):
            name = SecretName.parse(key.name)
            items.append({"id": key.id, "type": name.type, "name": name.name, "secret": ""})
        setattr(row, SECRETS_ATTR, items)


ENVIRONMENTS = Environments()
