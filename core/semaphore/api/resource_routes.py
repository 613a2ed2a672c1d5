"""The standard routes of a project resource, made once for every resource blueprint:

GET/POST ``/api/project/{id}/<things>``, GET/PUT/DELETE ``.../<things>/{thing_id}`` and
GET ``.../<things>/{thing_id}/refs``. Reads need membership; writes need MANAGE_RESOURCES.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema

from semaphore.api import context
from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.roles import Permission
from semaphore.schemas.base import Refs
from semaphore.services.resources import ProjectResource
from semaphore.state import app_state


def add_resource_routes(blp: Blueprint, service: ProjectResource[Any], schema: type[Schema],
                        write_schema: type[Schema], id_name: str) -> None:
    item = f"/<int:{id_name}>"

    @blp.route("", methods=["GET"], endpoint="list")
    @blp.response(200, schema(many=True))
    @project_endpoint()
    def list_rows(project_id: int):  # type: ignore[no-untyped-def]
        sort, order = context.sort_args(set(service.sort_columns))
        db = context.db()
        return service.present(db, app_state(), service.list(db, project_id, sort, order))

    @blp.route("", methods=["POST"], endpoint="create")
    @blp.arguments(write_schema)
    @blp.response(201, schema)
    @project_endpoint(Permission.MANAGE_RESOURCES)
    def create(body: dict[str, Any], project_id: int):  # type: ignore[no-untyped-def]
        db = context.db()
        state = app_state()
        return service.present(db, state, [service.create(db, state, access(), body)])[0]

    @blp.route(item, methods=["GET"], endpoint="get")
    @blp.response(200, schema)
    @project_endpoint()
    def get(project_id: int, **ids: int):  # type: ignore[no-untyped-def]
        db = context.db()
        return service.present(db, app_state(), [service.get(db, project_id, ids[id_name])])[0]

    @blp.route(item, methods=["PUT"], endpoint="update")
    @blp.arguments(write_schema)
    @blp.response(204)
    @project_endpoint(Permission.MANAGE_RESOURCES)
    def update(body: dict[str, Any], project_id: int, **ids: int) -> None:
        db = context.db()
        service.update(db, app_state(), access(), service.get(db, project_id, ids[id_name]), body)

    @blp.route(item, methods=["DELETE"], endpoint="delete")
    @blp.response(204)
    @project_endpoint(Permission.MANAGE_RESOURCES)
    def delete(project_id: int, **ids: int) -> None:
        """Refused with 409 and the referrers while other objects use it."""
        db = context.db()
        service.delete(db, access(), service.get(db, project_id, ids[id_name]))

    @blp.route(item + "/refs", methods=["GET"], endpoint="refs")
    @blp.response(200, Refs)
    @project_endpoint()
    def refs(project_id: int, **ids: int):  # type: ignore[no-untyped-def]
        """Objects that use this one."""
        db = context.db()
        return service.referrers(db, service.get(db, project_id, ids[id_name]))
