"""An app that names the inventory types it takes (``Executor.inventory_types``) refuses the
others, on the template and on a task's inventory override; apps that name none take any."""

from __future__ import annotations

from typing import Any

import pytest
from task_helpers import ScriptExecutorPlugin, build_app, create_template

from semaphore import hookimpl
from semaphore.db.models import Inventory
from semaphore.interfaces import Executor


class WorkspaceExecutor(Executor):
    app_id = "terraform"
    title = "Workspaces only"
    inventory_types = ("terraform-workspace",)
    requires_playbook = False


class WorkspacePlugin:
    @hookimpl
    def register_executors(self, register: Any) -> None:
        register(WorkspaceExecutor())


@pytest.fixture
def app(config):
    application = build_app(config, workspaces=WorkspacePlugin(), scripts=ScriptExecutorPlugin())
    yield application
    application.extensions["semaphore"].db.dispose()


def add_workspace(app: Any, project_id: int) -> int:
    with app.extensions["semaphore"].db.session() as db:
        row = Inventory(name="staging", project_id=project_id, inventory="staging", type="terraform-workspace")
        db.add(row)
        db.flush()
        return int(row.id)


def test_templates_and_tasks_get_inventories_of_the_types_their_app_takes(app, admin_client, project):
    refused = admin_client.post(f"{project.url}/templates", json={
        "name": "infra", "app": "terraform", "repository_id": project.repository_id,
        "inventory_id": project.inventory_id})
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "inventory_id"
    assert "cannot use a 'static' inventory (it takes: terraform-workspace)" in refused.get_json()["error"]

    workspace = add_workspace(app, project.id)
    template = create_template(admin_client, project, name="infra", app="terraform", playbook="",
                               inventory_id=workspace)
    override = admin_client.post(f"{project.url}/tasks", json={"template_id": template["id"],
                                                                "inventory_id": project.inventory_id})
    assert (override.status_code, override.get_json()["field"]) == (400, "inventory_id")
    assert admin_client.get(f"{project.url}/tasks").get_json() == []  # nothing was queued

    # scripts name no inventory types: any inventory is accepted
    create_template(admin_client, project, name="script", inventory_id=workspace)
