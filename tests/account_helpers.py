"""Small helpers shared by the account, project and member API tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from semaphore.db.models import Event
from semaphore.testing import TEST_PASSWORD, create_user_row, log_in


def db_session(app: Any) -> Any:
    """A database session of the app under test (commits on leaving the ``with`` block)."""
    return app.extensions["semaphore"].db.session()


def events(app: Any, **where: Any) -> list[Event]:
    """Activity events, oldest first, filtered by column values."""
    with db_session(app) as db:
        query = select(Event).order_by(Event.id)
        for column, value in where.items():
            query = query.where(getattr(Event, column) == value)
        return list(db.scalars(query))


def user_client(app: Any, username: str, *, admin: bool = False, **fields: Any) -> tuple[Any, int]:
    """A new user and a test client logged in as that user."""
    user_id = create_user_row(app, username, admin=admin, **fields)
    return log_in(app.test_client(), username, fields.get("password", TEST_PASSWORD)), user_id


def create_project(client: Any, name: str = "Demo") -> int:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def add_member(client: Any, project_id: int, user_id: int, role: str) -> None:
    response = client.post(f"/api/project/{project_id}/users", json={"user_id": user_id, "role": role})
    assert response.status_code == 204, response.get_json()
