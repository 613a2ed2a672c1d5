"""The shape shared by project resources (keys, repositories, inventories, ...): list, get,
create, update, delete refused while referenced, referrers, and an event for every change.

Changes and views are given the app's state (``state``): a resource checks against the installed
plugins (``state.registry``), the settings (``state.config``) or encrypts with ``state.secrets``,
never through the Flask app."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import Base
from semaphore.errors import InUse, NotFound, ValidationError
from semaphore.services import activity
from semaphore.services.access import ProjectAccess

if TYPE_CHECKING:
    from semaphore.state import AppState

M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class RefSpec:
    """``group`` lists rows whose ``column`` points at the resource; ``owner`` maps such a row to
    the object shown (e.g. a template vault row is shown as its template)."""

    group: str
    column: InstrumentedAttribute[Any]
    label: InstrumentedAttribute[Any]
    owner_id: InstrumentedAttribute[Any] | None = None
    via: InstrumentedAttribute[Any] | None = None  # the referring row's column that holds owner_id


def require_in_project(db: DbSession, model: type[Base], object_id: int | None, project_id: int, field: str) -> None:
    """A referenced object must exist in the same project (400 naming the field otherwise)."""
    if object_id is None:
        return
    row = db.get(model, object_id)
    if row is None or getattr(row, "project_id", None) != project_id:
        raise ValidationError(f"no such object in this project (id {object_id})", field=field)


class ProjectResource(Generic[M]):
    model: ClassVar[type[Base]]
    object_type: ClassVar[str]  # event object type, e.g. "key"
    label: ClassVar[str]  # for messages, e.g. "Access Key"
    refs: ClassVar[tuple[RefSpec, ...]] = ()
    sort_columns: ClassVar[dict[str, str]] = {"name": "name"}

    # -- queries ----------------------------------------------------------------------------

    def query(self, project_id: int) -> Any:
        return select(self.model).where(self.model.project_id == project_id)  # type: ignore[attr-defined]

    def list(self, db: DbSession, project_id: int, sort: str | None = None, order: str = "asc") -> list[M]:
        column = getattr(self.model, self.sort_columns.get(sort or "", "id"))
        query = self.query(project_id).order_by(column.desc() if order == "desc" else column, self.model.id)  # type: ignore[attr-defined]
        return list(db.scalars(query))

    def get(self, db: DbSession, project_id: int, object_id: int) -> M:
        row = db.scalar(self.query(project_id).where(self.model.id == object_id))  # type: ignore[attr-defined]
        if row is None:
            raise NotFound(f"{self.label.lower()} not found")
        return row  # type: ignore[no-any-return]

    def present(self, db: DbSession, state: AppState, rows: builtins.list[M]) -> builtins.list[Any]:
        """What the API shows for ``rows``: the rows themselves, or views with computed fields."""
        return rows

    def referrers(self, db: DbSession, row: M) -> dict[str, builtins.list[dict[str, Any]]]:
        found: dict[str, builtins.list[dict[str, Any]]] = {}
        for spec in self.refs:
            entity = spec.column.class_
            query = select(entity.id, spec.label).where(spec.column == row.id)  # type: ignore[attr-defined]
            if spec.owner_id is not None and spec.via is not None:
                query = (select(spec.owner_id, spec.label).join(entity, spec.via == spec.owner_id)
                         .where(spec.column == row.id).distinct())  # type: ignore[attr-defined]
            items = [{"id": ref_id, "name": name} for ref_id, name in db.execute(query)]
            found.setdefault(spec.group, [])
            found[spec.group].extend(item for item in items if item not in found[spec.group])
        return found

    # -- changes ------------------------------------------------------------------------------

    def create(self, db: DbSession, state: AppState, access: ProjectAccess, data: dict[str, Any]) -> M:
        project_id = access.project.id
        data.pop("id", None)  # the server's: an object copied from one read may carry its id
        self.check_body_project(data, project_id)
        self.validate(db, state, project_id, data, None)
        row = self.model(project_id=project_id)  # type: ignore[call-arg]
        self.apply(db, state, row, data, access)  # type: ignore[arg-type]
        db.add(row)
        db.flush()
        self.after_save(db, state, row, data, access)  # type: ignore[arg-type]
        self.record(db, access, row, activity.CREATED)  # type: ignore[arg-type]
        return row  # type: ignore[return-value]

    def update(self, db: DbSession, state: AppState, access: ProjectAccess, row: M, data: dict[str, Any]) -> M:
        self.check_body_project(data, access.project.id)
        body_id = data.pop("id", None)
        if body_id is not None and body_id != row.id:  # type: ignore[attr-defined]
            raise ValidationError(f"{self.label} ID in body and URL must be the same", field="id")
        self.validate(db, state, access.project.id, data, row)
        self.apply(db, state, row, data, access)
        db.flush()
        self.after_save(db, state, row, data, access)
        self.record(db, access, row, activity.UPDATED)
        return row

    def delete(self, db: DbSession, access: ProjectAccess, row: M) -> None:
        refs = {group: items for group, items in self.referrers(db, row).items() if items}
        if refs:
            names = "; ".join(f"{group}: " + ", ".join(str(i["name"]) for i in items) for group, items in refs.items())
            raise InUse(f"{self.label} is in use by {names}", refs=refs)
        self.record(db, access, row, activity.DELETED)
        db.delete(row)

    # -- what subclasses fill in ----------------------------------------------------------------

    def validate(self, db: DbSession, state: AppState, project_id: int,
                 data: dict[str, Any], existing: M | None) -> None:
        """Raise ValidationError for data that cannot be saved (references, per-type rules)."""

    def apply(self, db: DbSession, state: AppState, row: M, data: dict[str, Any], access: ProjectAccess) -> None:
        data.pop("project_id", None)
        for name, value in data.items():
            setattr(row, name, value)

    def after_save(self, db: DbSession, state: AppState, row: M, data: dict[str, Any], access: ProjectAccess) -> None:
        """Work that needs the row's id (child rows)."""

    def display_name(self, row: M) -> str:
        return str(getattr(row, "name", "") or getattr(row, "title", ""))

    def record(self, db: DbSession, access: ProjectAccess, row: M, action: str) -> None:
        name = self.display_name(row)
        activity.record(db, access.user, access.project.id, self.object_type, row.id, name, action,  # type: ignore[attr-defined]
                        f"{self.label} {name} {activity.past_tense(action)}")

    @staticmethod
    def check_body_project(data: dict[str, Any], project_id: int) -> None:
        body_project = data.pop("project_id", None)
        if body_project is not None and body_project != project_id:
            raise ValidationError("project ID in body and URL must be the same", field="project_id")
