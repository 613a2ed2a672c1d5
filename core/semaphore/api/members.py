"""Project members (/api/project/{id}/users)."""

from __future__ import annotations

from semaphore.api import context
from semaphore.api.access import access, project_endpoint
from semaphore.api.blueprint import Blueprint
from semaphore.roles import Permission
from semaphore.schemas.projects import MemberAddSchema, MemberRoleSchema, MemberSchema
from semaphore.schemas.users import UserSchema
from semaphore.services import members
from semaphore.services.users import get_user

blp = Blueprint("members", __name__, url_prefix="/api/project/<int:project_id>/users", description="Project members")

SORT_KEYS = {"name", "username", "email", "role"}


@blp.route("", methods=["GET"])
@blp.response(200, MemberSchema(many=True))
@project_endpoint()
def list_members(project_id: int):  # type: ignore[no-untyped-def]
    rows = [{"id": u.id, "username": u.username, "name": u.name, "email": u.email, "role": role}
            for u, role in members.list_members(context.db(), project_id)]
    sort, order = context.sort_args(SORT_KEYS)
    if sort:
        rows.sort(key=lambda row: str(row[sort]).lower(), reverse=order == "desc")
    return rows


@blp.route("", methods=["POST"])
@blp.arguments(MemberAddSchema)
@blp.response(204)
@project_endpoint(Permission.MANAGE_USERS)
def add_member(body: dict, project_id: int) -> None:  # type: ignore[type-arg]
    members.add_member(context.db(), access(), body["user_id"], body["role"])


@blp.route("/<int:user_id>", methods=["GET"])
@blp.response(200, UserSchema)
@project_endpoint()
def get_member(project_id: int, user_id: int):  # type: ignore[no-untyped-def]
    members.get_membership(context.db(), project_id, user_id)
    return get_user(context.db(), user_id)


@blp.route("/<int:user_id>", methods=["PUT"])
@blp.arguments(MemberRoleSchema)
@blp.response(204)
@project_endpoint(Permission.MANAGE_USERS)
def change_role(body: dict, project_id: int, user_id: int) -> None:  # type: ignore[type-arg]
    members.change_role(context.db(), access(), user_id, body["role"])


@blp.route("/<int:user_id>", methods=["DELETE"])
@blp.response(204)
@project_endpoint(Permission.MANAGE_USERS)
def remove_member(project_id: int, user_id: int) -> None:
    members.remove_member(context.db(), access(), user_id)
