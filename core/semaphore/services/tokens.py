"""API tokens: 44-character random strings; only their SHA-256 is stored."""

from __future__ import annotations

import base64
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import APIToken, User
from semaphore.errors import NotFound
from semaphore.services import activity


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


def create_token(db: DbSession, user: User) -> tuple[str, APIToken]:
    token = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().lower()
    row = APIToken(id=token_hash(token), user_id=user.id)
    db.add(row)
    db.flush()
    activity.record(db, user, None, "user", user.id, user.username, activity.CREATED,
                    f"API token {row.id[:8]} created for {user.username}")
    return token, row


def user_for_token(db: DbSession, token: str) -> User | None:
    row = db.get(APIToken, token_hash(token))
    if row is None or row.expired:
        return None
    return db.get(User, row.user_id)


def list_tokens(db: DbSession, user: User) -> list[APIToken]:
    return list(db.scalars(select(APIToken).where(APIToken.user_id == user.id).order_by(APIToken.created)))


def expire_token(db: DbSession, user: User, token_or_id: str) -> None:
    """Expire by the token itself or by its listed id (the hash)."""
    row = db.get(APIToken, token_or_id) or db.get(APIToken, token_hash(token_or_id))
    if row is None or row.user_id != user.id:
        raise NotFound("token not found")
    row.expired = True
    activity.record(db, user, None, "user", user.id, user.username, activity.DELETED,
                    f"API token {row.id[:8]} expired for {user.username}")
