"""The current user and their API tokens (/api/user)."""

from __future__ import annotations

from semaphore.api import context
from semaphore.api.blueprint import Blueprint
from semaphore.schemas.users import CurrentUserSchema, TokenSchema
from semaphore.services import projects, tokens
from semaphore.state import app_state

blp = Blueprint("user", __name__, url_prefix="/api/user", description="The current user and API tokens")


@blp.route("")
@blp.response(200, CurrentUserSchema)
def current_user():  # type: ignore[no-untyped-def]
    user = context.user()
    fields = {name: getattr(user, name) for name in CurrentUserSchema().fields if name != "can_create_project"}
    return {**fields, "can_create_project": projects.can_create_project(app_state(), user)}


@blp.route("/tokens", methods=["GET"])
@blp.response(200, TokenSchema(many=True))
def list_tokens():  # type: ignore[no-untyped-def]
    """Your tokens, expired ones included. Each `id` here is the token's SHA-256, not the token."""
    return tokens.list_tokens(context.db(), context.user())


@blp.route("/tokens", methods=["POST"])
@blp.response(201, TokenSchema)
def create_token():  # type: ignore[no-untyped-def]
    """A new token; its `id` is the secret to send as `Authorization: Bearer <id>`, shown only now."""
    token, row = tokens.create_token(context.db(), context.user())
    return {"id": token, "created": row.created, "expired": row.expired, "user_id": row.user_id}


@blp.route("/tokens/<string:token_id>", methods=["DELETE"])
@blp.response(204)
def expire_token(token_id: str) -> None:
    """Expire a token, given the token itself or its listed id."""
    tokens.expire_token(context.db(), context.user(), token_id)
