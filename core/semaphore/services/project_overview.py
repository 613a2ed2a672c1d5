"""How far a project is set up: how many keys, repositories, inventories, variable groups,
templates and tasks it has, in one query (the dashboard's getting-started list).

Every project starts with a "None" key and an "Empty" variable group (services/projects.py): they
are not counted while they are as created (a ``none`` key named None; a group named Empty with no
variables and no secrets), so a step is done only by what the project's users added."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session as DbSession

from semaphore.db.models import AccessKey, Environment, Inventory, Repository, Task, Template

COUNTED = {"keys": AccessKey, "repositories": Repository, "inventories": Inventory, "environments": Environment,
           "templates": Template, "tasks": Task}




def _no_variables(column: Any) -> Any:
    return or_(column.is_(None), column.in_(("", "{}")))


DEFAULT_KEY = and_(AccessKey.type == "none", AccessKey.name == "None")
DEFAULT_ENVIRONMENT = and_(Environment.name == "Empty", _no_variables(Environment.json), _no_variables(Environment.env),
                           not_(exists().where(AccessKey.environment_id == Environment.id)))


def resource_counts(db: DbSession, project_id: int) -> dict[str, int]:
    """Counts per kind, without the project's default key and variable group while unchanged;
    keys are the project's own (not variable-group secrets)."""
    columns = []
    model: Any
    for name, model in COUNTED.items():
        query = select(func.count()).select_from(model).where(model.project_id == project_id)
        if model is AccessKey:
            query = query.where(AccessKey.environment_id.is_(None), not_(DEFAULT_KEY))
        elif model is Environment:
            query = query.where(not_(DEFAULT_ENVIRONMENT))
        columns.append(query.scalar_subquery().label(name))
    row = db.execute(select(*columns)).one()
    return {name: int(getattr(row, name)) for name in COUNTED}
