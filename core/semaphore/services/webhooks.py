"""Firing integrations from one inbound webhook request: the integrations its alias reaches,
whether each accepts the request (authentication, then every matcher), the values it extracts,
and the task each starts.

* An integration alias reaches its integration (searchable or not); a project alias every
  searchable integration of its project; the ``global_integration_alias`` every searchable one.
* Every integration sees the same raw body (the original read it once per integration, so only
  the first saw it).
* An integration with no matchers fires on every request it authenticates: its secret (or its
  unguessable alias) already says who may fire it, and a user who adds no condition means "always".
  The original never fires it, silently.
* Extracted values become the task's extra variables (its ``environment`` JSON), over the
  ``environment`` of the integration's ``task_params``; a value the request lacks is left unset.
* A task that cannot be started (the template's app has no executor, bad ``task_params``) is
  logged and skipped; the others still start.

Each decision is logged (alias, integration id, reason), never a secret.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError as SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Integration, IntegrationAlias, IntegrationExtractValue, IntegrationMatcher, Task
from semaphore.errors import Conflict, DecryptionError, ValidationError
from semaphore.interfaces import MISSING, WebhookRequest
from semaphore.schemas.tasks import TaskCreateSchema
from semaphore.services.integrations import NO_AUTH, NO_AUTH_ALIASES, auth_secret_key
from semaphore.services.keys import decrypt_key
from semaphore.services.tasks import create_task
from semaphore.services.webhook_matching import value_matches

if TYPE_CHECKING:
    from semaphore.state import AppState

log = logging.getLogger(__name__)


@dataclass
class WebhookOutcome:
    #: Whether at least one integration the alias reaches accepted the request's authentication.
    authenticated: bool = False
    tasks: list[Task] = field(default_factory=list)


def integrations_for_alias(db: DbSession, alias: str, global_alias: str) -> list[Integration]:
    """The integrations ``alias`` reaches, by id; none for an unknown alias."""
    searchable = select(Integration).where(Integration.searchable.is_(True)).order_by(Integration.id)
    # The global alias works like a password: compared in constant time.
    if global_alias and hmac.compare_digest(alias.encode(), global_alias.encode()):
        return list(db.scalars(searchable))
    row = db.scalar(select(IntegrationAlias).where(IntegrationAlias.alias == alias))
    if row is None:
        return []
    if row.integration_id is None:
        return list(db.scalars(searchable.where(Integration.project_id == row.project_id)))
    integration = db.get(Integration, row.integration_id)
    return [integration] if integration is not None and integration.project_id == row.project_id else []


def fire(db: DbSession, state: AppState, alias: str, request: WebhookRequest) -> WebhookOutcome:
    """Authenticate, match and start a task for each integration ``alias`` reaches (with the
    auth methods, matchers and extractors of ``state.registry``)."""
    global_alias = state.config.global_integration_alias
    shown_alias = "(global)" if global_alias and alias == global_alias else alias
    integrations = integrations_for_alias(db, alias, global_alias)
    if not integrations:
        log.info("webhook %s: no integration has this alias", shown_alias)
    outcome = WebhookOutcome()
    for integration in integrations:
        if not authenticates(db, state, integration, request):
            log.info("webhook %s: integration %s skipped: authentication failed", shown_alias, integration.id)
            continue
        outcome.authenticated = True
        failed = failed_matcher(db, state, integration, request)
        if failed is not None:
            log.info("webhook %s: integration %s skipped: matcher %s (%s) does not match",
                     shown_alias, integration.id, failed.id, failed.name)
            continue
        task = start_task(db, state, integration, extracted_values(db, state, integration, request))
        if task is not None:
            log.info("webhook %s: integration %s started task %s", shown_alias, integration.id, task.id)
            outcome.tasks.append(task)
    return outcome


def authenticates(db: DbSession, state: AppState, integration: Integration, request: WebhookRequest) -> bool:
    method = NO_AUTH if integration.auth_method in NO_AUTH_ALIASES else integration.auth_method
    auth = state.registry.integration_auth.get(method)
    if auth is None:
        log.warning("integration %s: auth method %r is not installed", integration.id, method)
        return False
    try:
        secret = _secret(db, state, integration)
    except (ValidationError, DecryptionError) as exc:
        log.warning("integration %s: its secret cannot be read: %s", integration.id, exc)
        return False
    if auth.requires_secret and not secret:
        log.warning("integration %s: auth method %r needs a secret and has none", integration.id, method)
        return False
    return auth.verify(request, secret, integration.auth_header)


def _secret(db: DbSession, state: AppState, integration: Integration) -> str | None:
    """The password of the integration's login_password key."""
    if integration.auth_secret_id is None:
        return None
    payload = decrypt_key(state.secrets, auth_secret_key(db, integration.project_id, integration.auth_secret_id))
    password = payload.get("password") if isinstance(payload, dict) else None
    return password if isinstance(password, str) and password else None


def failed_matcher(db: DbSession, state: AppState, integration: Integration,
                   request: WebhookRequest) -> IntegrationMatcher | None:
    """The first matcher the request fails, None when it passes them all (or there are none)."""
    matchers = state.registry.integration_matchers
    rows = db.scalars(select(IntegrationMatcher).where(IntegrationMatcher.integration_id == integration.id)
                      .order_by(IntegrationMatcher.id))
    for row in rows:
        matcher = matchers.get(row.match_type)
        if matcher is None:
            log.warning("integration %s: matcher %s: match type %r is not installed", integration.id, row.id,
                        row.match_type)
            return row
        if not value_matches(row.method, matcher.value(request, row.key, row.body_data_type), row.value):
            return row
    return None


def extracted_values(db: DbSession, state: AppState, integration: Integration,
                     request: WebhookRequest) -> dict[str, Any]:
    """Variable name -> value: headers and whole bodies as text, JSON paths as the JSON value."""
    extractors = state.registry.integration_extractors
    values: dict[str, Any] = {}
    rows = db.scalars(select(IntegrationExtractValue).where(IntegrationExtractValue.integration_id == integration.id)
                      .order_by(IntegrationExtractValue.id))
    for row in rows:
        extractor = extractors.get(row.value_source)
        if extractor is None:
            log.warning("integration %s: value %s: value source %r is not installed", integration.id, row.id,
                        row.value_source)
            continue
        value = extractor.extract(request, row.key, row.body_data_type)
        if value is MISSING:
            log.info("integration %s: value %s (%s): not in the request, %s left unset", integration.id, row.id,
                     row.name, row.variable)
            continue
        values[row.variable or row.name] = value
    return values


def start_task(db: DbSession, state: AppState, integration: Integration, values: dict[str, Any]) -> Task | None:
    """Queue the integration's template with ``task_params`` and the extracted values; None
    (logged) when the task cannot be queued."""
    try:
        params = json.loads(integration.task_params) if integration.task_params else {}
        data: dict[str, Any] = TaskCreateSchema().load({**params, "template_id": integration.template_id})
        environment = json.loads(data["environment"]) if data.get("environment") else {}
        data["environment"] = json.dumps({**environment, **values}, ensure_ascii=False) if environment or values \
            else None
        data["integration_id"] = integration.id
        with db.begin_nested():
            return create_task(db, state, integration.project_id, None, data)
    except (SchemaError, ValueError, TypeError, ValidationError, Conflict) as exc:
        log.warning("integration %s: task not started: %s", integration.id, exc)
        return None
