"""Inbound webhook configuration: integrations, their matchers and extracted values, and the
aliases (URL suffixes) that fire them. Running a webhook is the public endpoint's job."""

from __future__ import annotations

import builtins
import secrets
import string
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import (
    AccessKey,
    Integration,
    IntegrationAlias,
    IntegrationExtractValue,
    IntegrationMatcher,
    Template,
)
from semaphore.errors import NotFound, ValidationError
from semaphore.services import activity
from semaphore.services.access import ProjectAccess
from semaphore.services.resources import ProjectResource, require_in_project

if TYPE_CHECKING:
    from semaphore.state import AppState

NO_AUTH = ""
NO_AUTH_ALIASES = ("none",)  # the original's UI and column default say "none" but its webhook refuses it
BODY = "body"
BODY_DATA_TYPES = ("json", "string")
ALIAS_ALPHABET = string.ascii_lowercase + string.digits
ALIAS_LENGTH = 16
ALIAS_ATTEMPTS = 10


def auth_secret_key(db: DbSession, project_id: int, key_id: int) -> AccessKey:
    """The key whose password authenticates webhooks: a login_password key of the project."""
    key = db.get(AccessKey, key_id)
    if key is None or key.project_id != project_id or key.environment_id is not None:
        raise ValidationError(f"no such key in this project (id {key_id})", field="auth_secret_id")
    if key.type != "login_password":
        raise ValidationError("must be a login_password key (its password is the secret)", field="auth_secret_id")
    return key


class Integrations(ProjectResource[Integration]):
    model = Integration
    object_type = "integration"
    label = "Integration"

    def validate(self, db: DbSession, state: AppState, project_id: int,
                 data: dict[str, Any], existing: Integration | None) -> None:
        require_in_project(db, Template, data["template_id"], project_id, "template_id")
        if data["auth_method"] in NO_AUTH_ALIASES:
            data["auth_method"] = NO_AUTH
        auth = state.registry.integration_auth_method(data["auth_method"])
        shown = data["auth_method"] or "none"
        if data.get("auth_secret_id") is not None:
            auth_secret_key(db, project_id, data["auth_secret_id"])
        elif auth.requires_secret:
            raise ValidationError(f"required for auth method {shown!r}", field="auth_secret_id")
        if auth.requires_header and not data.get("auth_header"):
            raise ValidationError(f"required for auth method {shown!r}", field="auth_header")

    def apply(self, db: DbSession, state: AppState, row: Integration,
              data: dict[str, Any], access: ProjectAccess) -> None:
        row.name = data["name"]
        row.template_id = data["template_id"]
        row.auth_method = data["auth_method"]
        row.auth_secret_id = data.get("auth_secret_id")
        row.auth_header = data.get("auth_header") or None
        row.searchable = data["searchable"]
        row.task_params = data.get("task_params")


INTEGRATIONS = Integrations()

P = TypeVar("P", IntegrationMatcher, IntegrationExtractValue)


class IntegrationPart(Generic[P]):
    """Rows that belong to one integration (matchers, extracted values): list, get, create,
    update, delete, each change recorded as an event of the integration's project."""

    model: ClassVar[type[IntegrationMatcher] | type[IntegrationExtractValue]]
    object_type: ClassVar[str]
    label: ClassVar[str]
    kind_field: ClassVar[str]  # the column that names the registered component: match_type, value_source
    sort_columns: ClassVar[dict[str, str]] = {"name": "name"}
    fields: ClassVar[tuple[str, ...]]

    def check_kind(self, state: AppState, kind: str) -> None:
        """400 naming ``kind_field`` and listing what is installed, for a kind no plugin registered."""
        raise NotImplementedError

    def list(self, db: DbSession, integration: Integration, sort: str | None = None, order: str = "asc") -> list[P]:
        column = getattr(self.model, self.sort_columns.get(sort or "", "id"))
        query = (select(self.model).where(self.model.integration_id == integration.id)
                 .order_by(column.desc() if order == "desc" else column, self.model.id))
        return builtins.list(db.scalars(query))  # type: ignore[arg-type]

    def get(self, db: DbSession, integration: Integration, part_id: int) -> P:
        row = db.scalar(select(self.model).where(self.model.id == part_id,
                                                 self.model.integration_id == integration.id))
        if row is None:
            raise NotFound(f"{self.label.lower()} not found")
        return row  # type: ignore[return-value]

    def create(self, db: DbSession, state: AppState, access: ProjectAccess, integration: Integration,
               data: dict[str, Any]) -> P:
        data.pop("id", None)
        self.validate(state, integration, data)
        row = self.model(integration_id=integration.id)
        self.apply(row, data)  # type: ignore[arg-type]
        db.add(row)
        db.flush()
        self.record(db, access, integration, row, activity.CREATED)  # type: ignore[arg-type]
        return row  # type: ignore[return-value]

    def update(self, db: DbSession, state: AppState, access: ProjectAccess, integration: Integration, row: P,
               data: dict[str, Any]) -> P:
        body_id = data.pop("id", None)
        if body_id is not None and body_id != row.id:
            raise ValidationError(f"{self.label} ID in body and URL must be the same", field="id")
        self.validate(state, integration, data)
        self.apply(row, data)
        db.flush()
        self.record(db, access, integration, row, activity.UPDATED)
        return row

    def delete(self, db: DbSession, access: ProjectAccess, integration: Integration, row: P) -> None:
        self.record(db, access, integration, row, activity.DELETED)
        db.delete(row)

    def validate(self, state: AppState, integration: Integration, data: dict[str, Any]) -> None:
        """The rules shared by matchers and extracted values: a registered kind; a body needs its
        data type; a key names the header or JSON path, so only a whole (string) body needs none."""
        body_integration = data.pop("integration_id", None)
        if body_integration is not None and body_integration != integration.id:
            raise ValidationError("integration ID in body and URL must be the same", field="integration_id")
        kind = data[self.kind_field]
        self.check_kind(state, kind)
        body_data_type = data.get("body_data_type") or ""
        if kind == BODY and not body_data_type:
            raise ValidationError(f"required for a body {self.label.lower()} ({' or '.join(BODY_DATA_TYPES)})",
                                  field="body_data_type")
        whole_body = kind == BODY and body_data_type == "string"
        if not whole_body and not data.get("key"):
            raise ValidationError(f"required for a {kind} {self.label.lower()}"
                                  + (" with json data" if kind == BODY else ""), field="key")

    def apply(self, row: P, data: dict[str, Any]) -> None:
        for name in self.fields:
            setattr(row, name, data.get(name) or "")

    def record(self, db: DbSession, access: ProjectAccess, integration: Integration, row: P, action: str) -> None:
        activity.record(db, access.user, access.project.id, self.object_type, row.id, row.name, action,
                        f"{self.label} {row.name} of integration {integration.name} {activity.past_tense(action)}")


class Matchers(IntegrationPart[IntegrationMatcher]):
    model = IntegrationMatcher
    object_type = "integrationmatcher"
    label = "Integration Matcher"
    kind_field = "match_type"
    fields = ("name", "match_type", "method", "body_data_type", "key", "value")

    def check_kind(self, state: AppState, kind: str) -> None:
        state.registry.integration_matcher(kind)


class ExtractValues(IntegrationPart[IntegrationExtractValue]):
    model = IntegrationExtractValue
    object_type = "integrationextractvalue"
    label = "Integration Value"
    kind_field = "value_source"
    fields = ("name", "value_source", "body_data_type", "key", "variable")

    def check_kind(self, state: AppState, kind: str) -> None:
        state.registry.integration_extractor(kind)


MATCHERS = Matchers()
EXTRACT_VALUES = ExtractValues()


# -- aliases ---------------------------------------------------------------------------------------

def _alias_scope(project_id: int, integration: Integration | None) -> Any:
    query = select(IntegrationAlias).where(IntegrationAlias.project_id == project_id)
    if integration is None:
        return query.where(IntegrationAlias.integration_id.is_(None))
    return query.where(IntegrationAlias.integration_id == integration.id)


def list_aliases(db: DbSession, project_id: int, integration: Integration | None) -> list[IntegrationAlias]:
    """The project's own aliases (``integration`` None: they fire its searchable integrations),
    or those of one integration."""
    return builtins.list(db.scalars(_alias_scope(project_id, integration).order_by(IntegrationAlias.id)))


def new_alias_text(db: DbSession) -> str:
    """A random, unused alias; the unique column backs the check."""
    for _ in range(ALIAS_ATTEMPTS):
        alias = "".join(secrets.choice(ALIAS_ALPHABET) for _ in range(ALIAS_LENGTH))
        if db.scalar(select(IntegrationAlias.id).where(IntegrationAlias.alias == alias)) is None:
            return alias
    raise RuntimeError("could not find an unused integration alias")  # 36**16 values: never in practice


def create_alias(db: DbSession, access: ProjectAccess, integration: Integration | None) -> IntegrationAlias:
    row = IntegrationAlias(alias=new_alias_text(db), project_id=access.project.id,
                           integration_id=integration.id if integration else None)
    db.add(row)
    db.flush()
    _record_alias(db, access, integration, row, activity.CREATED)
    return row


def delete_alias(db: DbSession, access: ProjectAccess, integration: Integration | None, alias_id: int) -> None:
    row = db.scalar(_alias_scope(access.project.id, integration).where(IntegrationAlias.id == alias_id))
    if row is None:
        raise NotFound("integration alias not found")
    _record_alias(db, access, integration, row, activity.DELETED)
    db.delete(row)


def _record_alias(db: DbSession, access: ProjectAccess, integration: Integration | None, row: IntegrationAlias,
                  action: str) -> None:
    owner = f"integration {integration.name}" if integration else "the project"
    activity.record(db, access.user, access.project.id, "integrationalias", row.id, row.alias, action,
                    f"Integration Alias {row.alias} of {owner} {activity.past_tense(action)}")
