"""Scenario helpers shared by the template, task and schedule API tests.

Repositories, inventories, environments and views are inserted as rows: they have their own API
and tests. Templates, tasks and schedules go through the API under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from semaphore import hookimpl
from semaphore.app import create_app
from semaphore.db.models import AccessKey, Environment, Inventory, Repository, Task, TaskOutput, User, View
from semaphore.errors import ValidationError
from semaphore.interfaces import Executor
from semaphore.plugins import Plugins
from semaphore.testing import create_user_row, log_in


class ScriptExecutor(Executor):
    """A stand-in for a real executor: the API side only needs it registered and validating."""

    app_id = "bash"
    title = "Script"

    def validate_template(self, template: Any) -> None:
        if template["playbook"].endswith(".exe"):
            raise ValidationError("must be a shell script", field="playbook")


class ScriptExecutorPlugin:
    @hookimpl
    def register_executors(self, register: Any) -> None:
        register(ScriptExecutor())


def build_app(config: Any, **plugins: object) -> Any:
    """An app with the built-ins plus ``plugins`` registered on a fresh plugin manager."""
    manager = Plugins(strict=True)
    manager.register_builtins()
    for name, plugin in plugins.items():
        manager.register(plugin, name)
    return create_app(config, plugins=manager)


@dataclass
class Project:
    id: int
    repository_id: int
    inventory_id: int
    environment_id: int
    view_id: int
    vault_key_id: int  # a login_password key
    ssh_key_id: int

    @property
    def url(self) -> str:
        return f"/api/project/{self.id}"


def create_project(app: Any, client: Any, name: str = "Demo") -> Project:
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.get_json()
    pid = response.get_json()["id"]
    with app.extensions["semaphore"].db.session() as db:
        none_key = AccessKey(name="none", type="none", project_id=pid)
        vault_key = AccessKey(name="vault", type="login_password", project_id=pid)
        ssh_key = AccessKey(name="ssh", type="ssh", project_id=pid)
        db.add_all([none_key, vault_key, ssh_key])
        db.flush()
        # as the admin client saves it: runs may read a local repository an admin approved
        repository = Repository(name=f"{name} repo", project_id=pid, git_url="file:///srv/repo", git_branch="main",
                                ssh_key_id=none_key.id, admin_approved_url="file:///srv/repo")
        inventory = Inventory(name=f"{name} hosts", project_id=pid, inventory="localhost", type="static")
        environment = Environment(name=f"{name} vars", project_id=pid, json="{}")
        view = View(project_id=pid, title=f"{name} tab", position=0)
        db.add_all([repository, inventory, environment, view])
        db.flush()
        return Project(pid, repository.id, inventory.id, environment.id, view.id, vault_key.id, ssh_key.id)


def create_template(client: Any, project: Project, **fields: Any) -> dict[str, Any]:
    body = {"name": "Deploy app", "app": "bash", "playbook": "deploy.sh", "repository_id": project.repository_id,
            **fields}
    response = client.post(f"{project.url}/templates", json=body)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def run_task(client: Any, project: Project, template_id: int, **fields: Any) -> dict[str, Any]:
    response = client.post(f"{project.url}/tasks", json={"template_id": template_id, **fields})
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def set_task_status(app: Any, task_id: int, status: str) -> None:
    """Put a task where the task engine would have put it (the engine is not part of these tests)."""
    with app.extensions["semaphore"].db.session() as db:
        db.get(Task, task_id).status = status  # type: ignore[union-attr]


def add_output(app: Any, task_id: int, lines: list[str]) -> None:
    """Output lines as the task engine writes them."""
    with app.extensions["semaphore"].db.session() as db:
        db.add_all(TaskOutput(task_id=task_id, seq=seq, output=line) for seq, line in enumerate(lines, start=1))


def query(app: Any, sql: str, **params: Any) -> list[Any]:
    with app.extensions["semaphore"].db.engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def user_id(app: Any, username: str) -> int:
    with app.extensions["semaphore"].db.session() as db:
        return int(db.scalar(select(User.id).where(User.username == username)))  # type: ignore[arg-type]


def events(app: Any, project_id: int) -> list[str]:
    rows = query(app, "SELECT description FROM event WHERE project_id = :pid ORDER BY id", pid=project_id)
    return [row[0] for row in rows]


def member_client(app: Any, admin_client: Any, project: Project, username: str, role: str) -> Any:
    user_id = create_user_row(app, username)
    response = admin_client.post(f"{project.url}/users", json={"user_id": user_id, "role": role})
    assert response.status_code == 204, response.get_json()
    return log_in(app.test_client(), username)


def assert_refused(client: Any, method: str, url: str, body: Any, field: str | None,
                   status: int = 400) -> dict[str, Any]:
    """The request is refused with ``status``, naming ``field``."""
    response = client.open(url, method=method, json=body)
    assert response.status_code == status, (body, response.get_json())
    error: dict[str, Any] = response.get_json()
    assert error.get("field") == field, (body, error)
    if field:
        assert error["error"].startswith(f"{field}: "), error
    return error
