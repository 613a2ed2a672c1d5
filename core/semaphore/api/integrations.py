"""Integrations (/api/project/{id}/integrations): inbound webhook configuration.

An integration starts a template when a webhook request passes its authentication and all its
matchers; its extracted values become the task's environment. Aliases are the URLs that fire
integrations: ``/api/integrations/<alias>``. Reads need membership; writes MANAGE_RESOURCES.
"""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema

from semaphore.api import context
from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.api.resource_routes import add_resource_routes
from semaphore.db.models import Integration, IntegrationAlias
from semaphore.roles import Permission
from semaphore.schemas.base import Refs
from semaphore.schemas.integrations import (
    AliasSchema,
    ExtractValueSchema,
    ExtractValueWriteSchema,
    IntegrationSchema,
    IntegrationWriteSchema,
    MatcherSchema,
    MatcherWriteSchema,
)
from semaphore.services import integrations
from semaphore.services.integrations import EXTRACT_VALUES, INTEGRATIONS, MATCHERS, IntegrationPart
from semaphore.state import app_state

blp = Blueprint("integrations", __name__, url_prefix="/api/project/<int:project_id>/integrations",
                description="Integrations: webhooks that start a template, their matchers, extracted values and URLs")

add_resource_routes(blp, INTEGRATIONS, IntegrationSchema, IntegrationWriteSchema, "integration_id")


def _integration(project_id: int, integration_id: int) -> Integration:
    return INTEGRATIONS.get(context.db(), project_id, integration_id)


# -- matchers and extracted values ------------------------------------------------------------------

def add_part_routes(service: IntegrationPart[Any], schema: type[Schema], write_schema: type[Schema],
                    collection: str, id_name: str) -> None:
    """GET/POST ``/{integration_id}/<collection>``, GET/PUT/DELETE ``.../{id}`` and GET ``.../{id}/refs``.

    The access check wraps the body parsing: callers who may not write never learn about the body.
    """
    base = f"/<int:integration_id>/{collection}"
    item = f"{base}/<int:{id_name}>"

    @blp.route(base, methods=["GET"], endpoint=f"{collection}_list")
    @blp.response(200, schema(many=True))
    @project_endpoint()
    def list_parts(project_id: int, integration_id: int):  # type: ignore[no-untyped-def]
        sort, order = context.sort_args(set(service.sort_columns))
        return service.list(context.db(), _integration(project_id, integration_id), sort, order)

    @blp.route(base, methods=["POST"], endpoint=f"{collection}_create")
    @project_endpoint(Permission.MANAGE_RESOURCES)
    @blp.arguments(write_schema)
    @blp.response(201, schema)
    def create_part(body: dict[str, Any], project_id: int, integration_id: int):  # type: ignore[no-untyped-def]
        return service.create(context.db(), app_state(), access(), _integration(project_id, integration_id), body)

    @blp.route(item, methods=["GET"], endpoint=f"{collection}_get")
    @blp.response(200, schema)
    @project_endpoint()
    def get_part(project_id: int, integration_id: int, **ids: int):  # type: ignore[no-untyped-def]
        return service.get(context.db(), _integration(project_id, integration_id), ids[id_name])

    @blp.route(item, methods=["PUT"], endpoint=f"{collection}_update")
    @project_endpoint(Permission.MANAGE_RESOURCES)
    @blp.arguments(write_schema)
    @blp.response(204)
    def update_part(body: dict[str, Any], project_id: int, integration_id: int, **ids: int) -> None:
        db, integration = context.db(), _integration(project_id, integration_id)
        service.update(db, app_state(), access(), integration, service.get(db, integration, ids[id_name]), body)

    @blp.route(item, methods=["DELETE"], endpoint=f"{collection}_delete")
    @blp.response(204)
    @project_endpoint(Permission.MANAGE_RESOURCES)
    def delete_part(project_id: int, integration_id: int, **ids: int) -> None:
        db, integration = context.db(), _integration(project_id, integration_id)
        service.delete(db, access(), integration, service.get(db, integration, ids[id_name]))

    @blp.route(item + "/refs", methods=["GET"], endpoint=f"{collection}_refs")
    @blp.response(200, Refs)
    @project_endpoint()
    def part_refs(project_id: int, integration_id: int, **ids: int):  # type: ignore[no-untyped-def]
        """Objects that use this one: nothing does, so it can always be deleted."""
        service.get(context.db(), _integration(project_id, integration_id), ids[id_name])
        return {}


add_part_routes(MATCHERS, MatcherSchema, MatcherWriteSchema, "matchers", "matcher_id")
add_part_routes(EXTRACT_VALUES, ExtractValueSchema, ExtractValueWriteSchema, "values", "value_id")


# -- aliases ------------------------------------------------------------------------------------------

def webhook_url(alias: str) -> str:
    """The public URL of an alias, on ``web_host`` when it is set, else on the host asked."""
    base = app_state().config.web_host or request.url_root
    return f"{base.rstrip('/')}/api/integrations/{alias}"


def _alias_json(row: IntegrationAlias) -> dict[str, Any]:
    return {"id": row.id, "alias": row.alias, "url": webhook_url(row.alias)}


@blp.route("/aliases", methods=["GET"])
@blp.response(200, AliasSchema(many=True))
@project_endpoint()
def list_project_aliases(project_id: int):  # type: ignore[no-untyped-def]
    """The project's aliases: a request to one fires every searchable integration of the project."""
    return [_alias_json(row) for row in integrations.list_aliases(context.db(), project_id, None)]


@blp.route("/aliases", methods=["POST"])
@blp.response(201, AliasSchema)
@project_endpoint(Permission.MANAGE_RESOURCES)
def create_project_alias(project_id: int):  # type: ignore[no-untyped-def]
    """A new random project alias."""
    return _alias_json(integrations.create_alias(context.db(), access(), None))


@blp.route("/aliases/<int:alias_id>", methods=["DELETE"])
@blp.response(204)
@project_endpoint(Permission.MANAGE_RESOURCES)
def delete_project_alias(project_id: int, alias_id: int) -> None:
    integrations.delete_alias(context.db(), access(), None, alias_id)


@blp.route("/<int:integration_id>/aliases", methods=["GET"])
@blp.response(200, AliasSchema(many=True))
@project_endpoint()
def list_integration_aliases(project_id: int, integration_id: int):  # type: ignore[no-untyped-def]
    """The aliases of one integration: a request to one fires only it."""
    integration = _integration(project_id, integration_id)
    return [_alias_json(row) for row in integrations.list_aliases(context.db(), project_id, integration)]


@blp.route("/<int:integration_id>/aliases", methods=["POST"])
@blp.response(201, AliasSchema)
@project_endpoint(Permission.MANAGE_RESOURCES)
def create_integration_alias(project_id: int, integration_id: int):  # type: ignore[no-untyped-def]
    """A new random alias of this integration."""
    integration = _integration(project_id, integration_id)
    return _alias_json(integrations.create_alias(context.db(), access(), integration))


@blp.route("/<int:integration_id>/aliases/<int:alias_id>", methods=["DELETE"])
@blp.response(204)
@project_endpoint(Permission.MANAGE_RESOURCES)
def delete_integration_alias(project_id: int, integration_id: int, alias_id: int) -> None:
    integrations.delete_alias(context.db(), access(), _integration(project_id, integration_id), alias_id)
