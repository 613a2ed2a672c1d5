"""Views: named tabs that group a project's templates, in the order of their positions."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Template, View
from semaphore.errors import ValidationError
from semaphore.schemas.base import MAX_INT
from semaphore.services import activity
from semaphore.services.access import ProjectAccess
from semaphore.services.resources import ProjectResource

if TYPE_CHECKING:
    from semaphore.state import AppState


class Views(ProjectResource[View]):
    """Deleting a view is never refused: its templates stay, outside any view (the database sets
    their view_id to NULL)."""

    model = View
    object_type = "view"
    label = "View"
    sort_columns = {"title": "title", "position": "position"}

    def list(self, db: DbSession, project_id: int, sort: str | None = None,
             order: str = "asc") -> builtins.list[View]:
        return super().list(db, project_id, sort or "position", order)

    def apply(self, db: DbSession, state: AppState, row: View, data: dict[str, Any], access: ProjectAccess) -> None:
        row.title = data["title"]
        if data.get("position") is not None:
            row.position = data["position"]
        elif row.id is None:
            last = db.scalar(select(func.max(View.position)).where(View.project_id == access.project.id))
            row.position = min((last or 0) + 1, MAX_INT)  # after the last; beside it when that is at the top

    def set_positions(self, db: DbSession, access: ProjectAccess, positions: dict[int, int]) -> None:
        """Move several views at once (``{view_id: position}``); ids not in the project are refused."""
        rows = {row.id: row for row in db.scalars(self.query(access.project.id).where(View.id.in_(positions)))}
        for view_id in positions:
            if view_id not in rows:
                raise ValidationError(f"no such view in this project (id {view_id})", field=str(view_id))
        for view_id, position in positions.items():
            row = rows[view_id]
            if row.position != position:
                row.position = position
                self.record(db, access, row, activity.UPDATED)

    def templates(self, db: DbSession, project_id: int, view: View) -> builtins.list[Template]:
        query = (select(Template).where(Template.project_id == project_id, Template.view_id == view.id)
                 .order_by(Template.name, Template.id))
        return builtins.list(db.scalars(query))


VIEWS = Views()
