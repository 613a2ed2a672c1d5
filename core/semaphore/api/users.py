"""User administration (/api/users): admins manage everyone, users manage themselves."""

from __future__ import annotations

from flask import request

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.db.models import User
from semaphore.errors import Forbidden
from semaphore.schemas.users import PasswordSchema, UserBriefSchema, UserCreateSchema, UserSchema, UserUpdateSchema
from semaphore.services import users
from semaphore.state import app_state

blp = Blueprint("users", __name__, url_prefix="/api/users", description="User administration")


def admin_or_self(user_id: int) -> tuple[User, User]:
    actor = context.user()
    if not actor.admin and actor.id != user_id:
        raise Forbidden("only admins can manage other users")
    return actor, users.get_user(context.db(), user_id)


@blp.route("", methods=["GET"])
@blp.response(200, UserSchema(many=True))
def list_users():  # type: ignore[no-untyped-def]
    """All users; non-admins see only id, username and name."""
    actor = context.user()
    rows = users.list_users(context.db())
    return rows if actor.admin else UserBriefSchema(many=True).dump(rows)


@blp.route("", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body: dict):  # type: ignore[no-untyped-def,type-arg]
    actor = context.user()
    if not actor.admin:
        raise Forbidden("only admins can create users")
    return users.create_user(context.db(), actor, **body, min_password_length=app_state().config.password_min_length)


@blp.route("/<int:user_id>", methods=["GET"])
@blp.response(200, UserSchema)
def get_user(user_id: int):  # type: ignore[no-untyped-def]
    return admin_or_self(user_id)[1]


@blp.route("/<int:user_id>", methods=["PUT"])
@blp.arguments(UserUpdateSchema)
@blp.response(204)
def update_user(body: dict, user_id: int) -> None:  # type: ignore[type-arg]
    actor, user = admin_or_self(user_id)
    current = body.pop("current_password", "")
    if body.get("password"):
        _prove_own_password(actor, user, current)
    users.update_user(context.db(), actor, user, body, context.auth().session_id,
                      min_password_length=app_state().config.password_min_length)


@blp.route("/<int:user_id>", methods=["DELETE"])
@blp.response(204)
def delete_user(user_id: int) -> None:
    actor, user = admin_or_self(user_id)
    users.delete_user(context.db(), actor, user)


@blp.route("/<int:user_id>/password", methods=["POST"])
@blp.arguments(PasswordSchema)
@blp.response(204)
def change_password(body: dict, user_id: int) -> None:  # type: ignore[type-arg]
    actor, user = admin_or_self(user_id)
    _prove_own_password(actor, user, body["current_password"])
    users.set_password(context.db(), actor, user, body["password"], context.auth().session_id,
                       min_password_length=app_state().config.password_min_length)


def _prove_own_password(actor: User, user: User, current: str) -> None:
    """Your own password changes only with the current one; an admin sets another user's without."""
    if actor.id == user.id:
        users.require_current_password(app_state(), context.db(), user, current, request.remote_addr or "")
