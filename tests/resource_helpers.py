"""Helpers shared by the project-resource API tests (repositories, inventories, environments, views)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from semaphore.db.models import Schedule, Template
from semaphore.testing import create_user_row, log_in


def create_project(client: Any, name: str = "Demo") -> int:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def create_key(client: Any, pid: int, name: str = "none key", key_type: str = "none", **secret: Any) -> int:
    response = client.post(f"/api/project/{pid}/keys", json={"name": name, "type": key_type, **secret})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def create_login_password_key(client: Any, pid: int, name: str = "become") -> int:
    return create_key(client, pid, name, "login_password", login_password={"login": "root", "password": "pw-1"})


def create(client: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def create_repository(client: Any, pid: int, key_id: int, name: str = "repo") -> dict[str, Any]:
    return create(client, f"/api/project/{pid}/repositories",
                  {"name": name, "git_url": "https://example.test/repo.git", "git_branch": "main",
                   "ssh_key_id": key_id})


def insert_template(app: Any, pid: int, repository_id: int, name: str = "Deploy", **columns: Any) -> int:
    """A template row made directly: templates have their own API and tests."""
    with app.extensions["semaphore"].db.session() as db:
        template = Template(project_id=pid, name=name, repository_id=repository_id, playbook="site.yml", **columns)
        db.add(template)
        db.flush()
        return int(template.id)


def insert_schedule(app: Any, pid: int, template_id: int, name: str, **columns: Any) -> int:
    with app.extensions["semaphore"].db.session() as db:
        schedule = Schedule(project_id=pid, template_id=template_id, cron_format="* * * * *", name=name, **columns)
        db.add(schedule)
        db.flush()
        return int(schedule.id)


def delete_row(app: Any, table: str, row_id: int) -> None:
    with app.extensions["semaphore"].db.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": row_id})


def query(app: Any, sql: str, **params: Any) -> list[Any]:
    with app.extensions["semaphore"].db.engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def event_descriptions(client: Any, pid: int) -> list[str]:
    return [event["description"] for event in client.get(f"/api/project/{pid}/events").get_json()]


def member_client(app: Any, admin_client: Any, pid: int, username: str, role: str) -> Any:
    """A client logged in as a new member of ``pid`` with ``role``."""
    user_id = create_user_row(app, username)
    response = admin_client.post(f"/api/project/{pid}/users", json={"user_id": user_id, "role": role})
    assert response.status_code == 204, response.get_json()
    return log_in(app.test_client(), username)


def assert_refused(client: Any, method: str, url: str, body: Any, field: str, status: int = 400) -> dict[str, Any]:
    """The request is refused with ``status`` naming ``field``."""
    response = client.open(url, method=method, json=body)
    assert response.status_code == status, (body, response.get_json())
    error: dict[str, Any] = response.get_json()
    assert error.get("field") == field, (body, error)
    assert error["error"].startswith(f"{field}: "), error
    return error
