"""Clients of the original send back what they read: an edit form PUTs the object it loaded, with
its read-only fields (id, created, last_task, tasks, ...), and a copy POSTs it. They send "" for an
optional field they leave empty. Both must work, and a client must never set a server-owned field."""

from __future__ import annotations

from typing import Any

import pytest
from task_helpers import Project, create_template, run_task

STRIP = ("next_runs",)  # computed from the clock


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def objects(app, admin_client, project: Project) -> dict[str, str]:
    """One object of every kind, each with its optional fields filled: kind -> item URL."""
    url = project.url

    def create(kind: str, path: str, body: dict[str, Any]) -> str:
        response = admin_client.post(f"{url}/{path}", json=body)
        assert response.status_code == 201, (kind, response.get_json())
        return f"{url}/{path}/{response.get_json()['id']}"

    inventory = create("inventory", "inventory", {
        "name": "web", "type": "static", "inventory": "[web]\nlocalhost", "ssh_key_id": project.ssh_key_id,
        "become_key_id": project.vault_key_id})
    environment = create("environment", "environment", {
        "name": "prod", "json": '{"a": 1}', "env": '{"B": "2"}',
        "secrets": [{"type": "var", "name": "TOKEN", "secret": "s3cret-value", "operation": "create"}]})
    template = create_template(admin_client, project, inventory_id=project.inventory_id,
                               environment_id=project.environment_id, view_id=project.view_id, git_branch="dev",
                               description="Deploys", arguments='["-v"]', allow_override_args_in_task=True,
                               survey_vars=[{"name": "who", "title": "Who", "type": "enum", "required": True,
                                             "values": [{"name": "me", "value": "me"}]}],
                               vaults=[{"type": "password", "vault_key_id": project.vault_key_id, "name": "prod"}])
    run_task(admin_client, project, template["id"], message="first", environment='{"who": "me"}')
    integration = create("integration", "integrations", {
        "name": "push", "template_id": template["id"], "auth_method": "token", "auth_header": "X-Token",
        "auth_secret_id": project.vault_key_id, "searchable": True, "task_params": {"debug": True}})
    return {
        "project": url,
        "key": f"{url}/keys/{project.ssh_key_id}",
        "repository": f"{url}/repositories/{project.repository_id}",
        "inventory": inventory,
        "environment": environment,
        "view": f"{url}/views/{project.view_id}",
        "template": f"{url}/templates/{template['id']}",
        "schedule": create("schedule", "schedules", {"name": "nightly", "template_id": template["id"],
                                                     "cron_format": "30 2 * * *", "timezone": "Europe/Berlin"}),
        "integration": integration,
        "matcher": create("matcher", f"integrations/{integration.rsplit('/', 1)[1]}/matchers", {
            "name": "main", "match_type": "body", "method": "equals", "body_data_type": "json", "key": "ref",
            "value": "main"}),
        "value": create("value", f"integrations/{integration.rsplit('/', 1)[1]}/values", {
            "name": "commit", "value_source": "body", "body_data_type": "json", "key": "after",
            "variable": "COMMIT"}),
    }


def _read(client: Any, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return {name: value for name, value in response.get_json().items() if name not in STRIP}


def test_an_object_read_is_accepted_back_unchanged(admin_client, objects):
    """The edit forms of the original PUT the whole object they loaded, read-only fields and all."""
    for kind, url in objects.items():
        before = _read(admin_client, url)
        response = admin_client.put(url, json=before)
        assert response.status_code == 204, (kind, before, response.get_json())
        assert _read(admin_client, url) == before, kind


def test_an_object_read_can_be_posted_as_a_copy(admin_client, objects):
    """A copy is the object read, POSTed to the list: it gets an id of its own; the source is unchanged."""
    for kind, url in objects.items():
        if kind in ("project", "key"):
            continue  # a key's secret is never read back, so a copy has none to save; projects: below
        source = _read(admin_client, url)
        response = admin_client.post(url.rsplit("/", 1)[0], json=source)
        assert response.status_code == 201, (kind, response.get_json())
        copy = response.get_json()
        assert copy["id"] != source["id"] and copy["name" if "name" in copy else "title"] == source.get(
            "name", source.get("title")), kind
        assert _read(admin_client, url) == source, kind


def test_a_template_copy_gets_vaults_of_its_own(admin_client, objects):
    source = _read(admin_client, objects["template"])
    copy = admin_client.post(objects["template"].rsplit("/", 1)[0], json=source).get_json()
    assert [vault["name"] for vault in copy["vaults"]] == ["prod"]
    assert copy["vaults"][0]["id"] != source["vaults"][0]["id"]
    assert copy["tasks"] == 0 and copy["last_task"] is None
    assert _read(admin_client, objects["template"])["vaults"] == source["vaults"]


def test_clients_cannot_set_server_owned_fields(admin_client, project):
    created = admin_client.post("/api/projects", json={"name": "Mine", "id": 4242, "created": "2001-01-01T00:00:00Z"})
    assert created.status_code == 201 and created.get_json()["id"] != 4242
    assert not created.get_json()["created"].startswith("2001")
    response = admin_client.post(f"{project.url}/views", json={"title": "Tab", "id": 4243, "project_id": None})
    assert response.status_code == 201 and response.get_json()["id"] != 4243
    template = create_template(admin_client, project, id=4244, tasks=99, last_task={"id": 1, "status": "success"})
    assert template["id"] != 4244 and template["tasks"] == 0 and template["last_task"] is None
    # A new object's form has id null; an edit form may carry the id null or the URL's.
    for body_id in (None, project.view_id):
        response = admin_client.put(f"{project.url}/views/{project.view_id}", json={
            "title": "Tab", "id": body_id, "project_id": project.id})
        assert response.status_code == 204, response.get_json()
    refused = admin_client.put(f"{project.url}/views/{project.view_id}", json={"title": "Tab", "id": 4243})
    assert refused.status_code == 400 and refused.get_json()["field"] == "id"


def test_empty_strings_mean_not_set(admin_client, project):
    """The original's forms send "" for an optional field left empty: it is no value, not a bad one."""
    url = project.url
    inventory = admin_client.post(f"{url}/inventory", json={
        "name": "web", "type": "static", "inventory": "localhost", "ssh_key_id": "", "become_key_id": "",
        "repository_id": "", "holder_id": ""})
    assert inventory.status_code == 201, inventory.get_json()
    assert (inventory.get_json()["ssh_key_id"], inventory.get_json()["become_key_id"]) == (None, None)
    template = create_template(admin_client, project, inventory_id="", environment_id="", view_id="",
                               build_template_id="", git_branch="", start_version="", runner_tag="",
                               vaults=[{"type": "script", "script": "vault.sh", "vault_key_id": "", "name": "",
                                        "id": ""}])
    assert (template["inventory_id"], template["environment_id"], template["view_id"], template["git_branch"]) == (
        None, None, None, None)
    task = run_task(admin_client, project, template["id"], git_branch="", playbook="", limit="", inventory_id="",
                    build_task_id="")
    assert (task["git_branch"], task["playbook"], task["limit"], task["inventory_id"]) == (None, "", "", None)
    integration = admin_client.post(f"{url}/integrations", json={
        "name": "push", "template_id": template["id"], "auth_method": "github", "auth_header": "",
        "auth_secret_id": project.vault_key_id})
    assert integration.status_code == 201, integration.get_json()
    schedule = admin_client.post(f"{url}/schedules", json={
        "name": "nightly", "template_id": template["id"], "cron_format": "30 2 * * *", "repository_id": "",
        "timezone": ""})
    assert schedule.status_code == 201, schedule.get_json()
    assert schedule.get_json()["repository_id"] is None and schedule.get_json()["timezone"] is None
    response = admin_client.put(url, json={"name": "Demo", "alert_chat": ""})
    assert response.status_code == 204, response.get_json()


def test_tasks_answer_empty_strings_where_the_original_has_strings(admin_client, project):
    """The original's task fields environment, playbook, limit and message are Go strings: "" when
    unset, never null (its UI parses environment as JSON text)."""
    template = create_template(admin_client, project)
    task = run_task(admin_client, project, template["id"])
    for read in (task, admin_client.get(f"{project.url}/tasks/{task['id']}").get_json(),
                 admin_client.get(f"{project.url}/tasks").get_json()[0]):
        assert (read["environment"], read["playbook"], read["limit"], read["message"]) == ("", "", "", "")
