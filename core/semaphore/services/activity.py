"""The activity log: every create, update and delete writes one event."""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Event, User

CREATED, UPDATED, DELETED = "create", "update", "delete"
_PAST = {CREATED: "created", UPDATED: "updated", DELETED: "deleted"}


def past_tense(action: str) -> str:
    return _PAST.get(action, action)


def record(db: DbSession, user: User | None, project_id: int | None, object_type: str,
           object_id: int | None, object_name: str, action: str, description: str | None = None,
           integration_id: int | None = None) -> Event:
    """Write one event; the description defaults to e.g. "Access Key deploy created"."""
    if description is None:
        description = f"{object_type.replace('_', ' ').title()} {object_name} {past_tense(action)}"
    event = Event(user_id=user.id if user else None, project_id=project_id, object_type=object_type,
                  object_id=object_id, object_name=object_name[:255], action=action,
                  description=description, integration_id=integration_id)
    db.add(event)
    return event
