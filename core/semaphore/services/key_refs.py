"""References from other resources to key-store keys."""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey
from semaphore.errors import ValidationError


def require_key(db: DbSession, key_id: int | None, project_id: int, field: str,
                types: tuple[str, ...] | None = None) -> None:
    """``key_id`` must name a key-store key of this project (environment secrets are not key-store
    keys), of one of ``types`` when given; 400 naming ``field`` otherwise."""
    if key_id is None:
        return
    key = db.get(AccessKey, key_id)
    if key is None or key.project_id != project_id or key.environment_id is not None:
        raise ValidationError(f"no such key in this project (id {key_id})", field=field)
    if types is not None and key.type not in types:
        raise ValidationError(f"must be a key of type {' or '.join(types)}, not {key.type}", field=field)
