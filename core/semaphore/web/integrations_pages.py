"""A project's integrations (inbound webhooks): the list with the project's own webhook URLs, the
create form, and one integration's page with its form, matchers, extracted values and URLs. Kinds
of matchers, extractors and auth methods come from the registered plugins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from semaphore.api import context
from semaphore.api.integrations import webhook_url
from semaphore.db.models import AccessKey, Template
from semaphore.schemas.integrations import BODY_DATA_TYPES, MATCH_METHODS
from semaphore.services import integrations
from semaphore.services.integrations import EXTRACT_VALUES, INTEGRATIONS, MATCHERS
from semaphore.state import app_state
from semaphore.web import blp
from semaphore.web.pages import page_for_users, project_page_access, render_project_page
from semaphore.web.resources import list_page, names_of
from semaphore.web.schedules_pages import choices


def aliases(project_id: int, integration: Any) -> list[dict[str, Any]]:
    return [{"id": row.id, "alias": row.alias, "url": webhook_url(row.alias)}
            for row in integrations.list_aliases(context.db(), project_id, integration)]


def form_values(project_id: int) -> dict[str, Any]:
    """The choices an integration's forms offer: templates, secret keys and the installed kinds."""
    registry = app_state().registry
    keys = select(AccessKey.id, AccessKey.name).where(
        AccessKey.project_id == project_id, AccessKey.type == "login_password",
        AccessKey.environment_id.is_(None)).order_by(AccessKey.name)
    return {"templates": choices(Template, project_id),
            "secret_keys": list(context.db().execute(keys)),
            "auth_methods": [(name, name or "none") for name in sorted(registry.integration_auth)],
            "auth_needs": {name: (auth.requires_secret, auth.requires_header)
                           for name, auth in registry.integration_auth.items()},
            "match_types": [(name, name) for name in sorted(registry.integration_matchers)],
            "value_sources": [(name, name) for name in sorted(registry.integration_extractors)],
            "match_methods": [(name, name) for name in MATCH_METHODS],
            "body_data_types": [(name, name or "—") for name in BODY_DATA_TYPES]}


@blp.get("/project/<int:project_id>/integrations")
@page_for_users
def integrations_page(project_id: int) -> str:
    access = project_page_access(project_id)
    page = list_page(INTEGRATIONS, project_id)
    template_names = names_of(Template, (row.template_id for row in page.rows))
    return render_project_page("integrations.html", access, "integrations", page=page,
                               template_names=template_names, project_aliases=aliases(project_id, None))


@blp.get("/project/<int:project_id>/integrations/new")
@page_for_users
def new_integration_page(project_id: int) -> str:
    access = project_page_access(project_id)
    return render_project_page("integration.html", access, "integrations", integration=None,
                               **form_values(project_id))


@blp.get("/project/<int:project_id>/integrations/<int:integration_id>")
@page_for_users
def integration_page(project_id: int, integration_id: int) -> str:
    access = project_page_access(project_id)
    db = context.db()
    integration = INTEGRATIONS.get(db, project_id, integration_id)
    return render_project_page("integration.html", access, "integrations", integration=integration,
                               matchers=MATCHERS.list(db, integration), values=EXTRACT_VALUES.list(db, integration),
                               aliases=aliases(project_id, integration), **form_values(project_id))
