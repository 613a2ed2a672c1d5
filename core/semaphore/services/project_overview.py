"""How far a project is set up: how many keys, repositories, inventories, variable groups,
templates and tasks it has, in one query (the dashboard's getting-started list)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey, Environment, Inventory, Repository, Task, Template

COUNTED = {"keys": AccessKey, "repositories": Repository, "inventories": Inventory, "environments": Environment,
           "templates": Template, "tasks": Task}


def resource_counts(db: DbSession, project_id: int) -> dict[str, int]:
    """Counts per kind; keys are the project's own (not variable-group secrets)."""
    columns = []
    model: Any
    for name, model in COUNTED.items():
        query = select(func.count()).select_from(model).where(model.project_id == project_id)
        if model is AccessKey:
            query = query.where(AccessKey.environment_id.is_(None))
        columns.append(query.scalar_subquery().label(name))
    row = db.execute(select(*columns)).one()
    return {name: int(getattr(row, name)) for name in COUNTED}
