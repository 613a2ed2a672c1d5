"""Reading the activity log: who sees which events, newest first, paged by event id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Event, Project, ProjectUser, User
from semaphore.schemas.events import MAX_LIMIT

DEFAULT_LIMIT = MAX_LIMIT
LAST_LIMIT = 200


@dataclass(frozen=True)
class EventView:
    """An event with the names of its user and project."""

    id: int
    created: datetime
    user_id: int | None
    username: str | None
    project_id: int | None
    project_name: str | None
    object_id: int | None
    object_type: str | None
    object_name: str
    action: str
    description: str
    integration_id: int | None


def list_events(db: DbSession, user: User, *, project_id: int | None = None, before: int | None = None,
                limit: int = DEFAULT_LIMIT) -> list[EventView]:
    """Events of one project (the caller's access already checked), or else of every project the
    user is a member of. Events without a project (user administration, deleted projects) are for
    admins only; admins see every project's events, as they see every project.

    ``before`` is the cursor: the id of the last event of the previous page.
    """
    query = (select(Event, User.username, Project.name)
             .outerjoin(User, User.id == Event.user_id)
             .outerjoin(Project, Project.id == Event.project_id))
    if project_id is not None:
        query = query.where(Event.project_id == project_id)
    elif not user.admin:
        member_of = select(ProjectUser.project_id).where(ProjectUser.user_id == user.id)
        query = query.where(Event.project_id.in_(member_of))
    if before is not None:
        query = query.where(Event.id < before)
    rows = db.execute(query.order_by(Event.id.desc()).limit(limit))
    return [EventView(id=event.id, created=event.created, user_id=event.user_id, username=username,
                      project_id=event.project_id, project_name=project_name, object_id=event.object_id,
                      object_type=event.object_type, object_name=event.object_name, action=event.action,
                      description=event.description, integration_id=event.integration_id)
            for event, username, project_name in rows]
