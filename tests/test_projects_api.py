"""Projects (/api/projects, /api/project/{id}) on every database."""

from __future__ import annotations

import pytest
import semaphore_notify_telegram
from account_helpers import add_member, create_project, db_session, events, user_client
from pager_plugin import semaphore_test_pager
from sqlalchemy import func, select
from task_helpers import create_project as create_project_with_resources

from semaphore.db.models import AccessKey, Environment, Project, ProjectUser, Repository
from semaphore.testing import log_in, make_config

PROJECT_FIELDS = {"id", "name", "created", "alert", "alert_chat", "max_parallel_tasks", "type", "notifier_settings"}
ROLE_BITS = {"owner": 15, "manager": 13, "task_runner": 1, "guest": 0}


def count(app, model, **where):
    with db_session(app) as db:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return db.scalar(query)


@pytest.fixture
def team(app, admin_client):
    """A project made by the admin, with one member of each role."""
    pid = create_project(admin_client, "Team")
    clients = {}
    for role in ROLE_BITS:
        client, user_id = user_client(app, role)
        add_member(admin_client, pid, user_id, role)
        clients[role] = client
    clients["admin"] = admin_client
    clients["outsider"] = user_client(app, "outsider")[0]
    return pid, clients


def test_create_gives_owner_none_key_and_empty_environment(app, admin_client):
    response = admin_client.post("/api/projects", json={"name": "Web", "alert": True, "alert_chat": "-100123",
                                                        "max_parallel_tasks": 2})
    assert response.status_code == 201
    project = response.get_json()
    assert set(project) == PROJECT_FIELDS
    assert (project["name"], project["alert"], project["alert_chat"], project["max_parallel_tasks"]) == (
        "Web", True, "-100123", 2)
    assert project["notifier_settings"] == {}
    pid = project["id"]
    assert admin_client.get(f"/api/project/{pid}/role").get_json() == {"role": "owner", "permissions": 15}
    with db_session(app) as db:
        keys = [(k.name, k.type, k.secret) for k in db.scalars(select(AccessKey).where(AccessKey.project_id == pid))]
        envs = [(e.name, e.json) for e in db.scalars(select(Environment).where(Environment.project_id == pid))]
        roles = list(db.scalars(select(ProjectUser.role).where(ProjectUser.project_id == pid)))
    assert keys == [("None", "none", None)]
    assert envs == [("Empty", "{}")]
    assert roles == ["owner"]
    [event] = events(app, object_type="project", object_id=pid)
    assert (event.action, event.project_id, event.description) == ("create", pid, "Project created")


def test_only_admins_create_projects_by_default(app):
    client, _ = user_client(app, "carol")
    assert client.get("/api/user").get_json()["can_create_project"] is False
    response = client.post("/api/projects", json={"name": "Mine"})
    assert response.status_code == 403 and "error" in response.get_json()
    assert count(app, Project) == 0 and count(app, AccessKey) == 0


@pytest.fixture
def open_app(database_env, tmp_path):
    from semaphore.app import create_app

    config = make_config(tmp_path, {**database_env, "SEMAPHORE_NON_ADMIN_CAN_CREATE_PROJECT": "yes"})
    application = create_app(config, entry_points=False)
    yield application
    application.extensions["semaphore"].db.dispose()


def test_non_admin_can_create_project_setting(open_app):
    client, _ = user_client(open_app, "carol")
    assert client.get("/api/user").get_json()["can_create_project"] is True
    pid = create_project(client, "Mine")
    assert client.get(f"/api/project/{pid}/role").get_json() == {"role": "owner", "permissions": 15}
    assert [p["id"] for p in client.get("/api/projects").get_json()] == [pid]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x", "max_parallel_tasks": -1}, "max_parallel_tasks"),
    ({"name": "x", "alert_chat": "c" * 31}, "alert_chat"),
    ({"name": "x", "alert": "loud"}, "alert"),
    ({"name": "x", "type": "t" * 21}, "type"),
])
def test_bad_project_input_is_400_naming_the_field(sqlite_app, body, field):
    app = sqlite_app
    client, _ = user_client(app, "admin", admin=True)
    response = client.post("/api/projects", json=body)
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert count(app, Project) == 0
    pid = create_project(client, "Kept")
    response = client.put(f"/api/project/{pid}", json=body)
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert client.get(f"/api/project/{pid}").get_json()["name"] == "Kept"


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"], ids=["nul", "lone-surrogate"])
def test_text_no_database_stores_is_400_naming_the_field(app, admin_client, text):
    """PostgreSQL stores no NUL in text and no driver encodes a lone surrogate (JSON allows both):
    400 on every database instead of a 500 from the driver."""
    for body, field in (({"name": text}, "name"), ({"name": "x", "alert_chat": text}, "alert_chat")):
        response = admin_client.post("/api/projects", json=body)
        assert (response.status_code, response.get_json().get("field")) == (400, field), response.get_json()
    assert count(app, Project) == 0


def test_listing_and_reading(team):
    pid, clients = team
    other = create_project(clients["admin"], "Other")
    assert {p["id"] for p in clients["admin"].get("/api/projects").get_json()} == {pid, other}
    for role in ROLE_BITS:
        assert [p["id"] for p in clients[role].get("/api/projects").get_json()] == [pid]
        assert clients[role].get(f"/api/project/{pid}").get_json()["name"] == "Team"
        assert clients[role].get(f"/api/project/{other}").status_code == 404
    assert clients["outsider"].get("/api/projects").get_json() == []
    for path in (f"/api/project/{pid}", f"/api/project/{pid}/role"):
        response = clients["outsider"].get(path)
        assert response.status_code == 404 and "error" in response.get_json()
    assert clients["admin"].get("/api/project/999999").status_code == 404


def test_role_endpoint_bits(team):
    pid, clients = team
    for role, bits in ROLE_BITS.items():
        assert clients[role].get(f"/api/project/{pid}/role").get_json() == {"role": role, "permissions": bits}


def test_admin_who_is_not_a_member_acts_as_owner(app, team):
    pid, clients = team
    second_admin, _ = user_client(app, "root", admin=True)
    assert second_admin.get(f"/api/project/{pid}/role").get_json() == {"role": "owner", "permissions": 15}
    assert second_admin.put(f"/api/project/{pid}", json={"name": "By admin"}).status_code == 204
    response = second_admin.delete(f"/api/project/{pid}/me")  # not a member: nothing to leave
    assert response.status_code == 404


def test_only_owners_update(app, team):
    pid, clients = team
    for role in ("manager", "task_runner", "guest"):
        response = clients[role].put(f"/api/project/{pid}", json={"name": f"by {role}"})
        assert response.status_code == 403 and "error" in response.get_json()
    assert clients["outsider"].put(f"/api/project/{pid}", json={"name": "x"}).status_code == 404
    assert clients["admin"].get(f"/api/project/{pid}").get_json()["name"] == "Team"

    response = clients["owner"].put(f"/api/project/{pid}", json={"id": pid, "name": "Renamed", "alert": True,
                                                                  "alert_chat": "42", "max_parallel_tasks": 3})
    assert response.status_code == 204
    project = clients["guest"].get(f"/api/project/{pid}").get_json()
    assert (project["name"], project["alert"], project["alert_chat"], project["max_parallel_tasks"]) == (
        "Renamed", True, "42", 3)
    assert [e.action for e in events(app, object_type="project", object_id=pid)] == ["create", "update"]

    response = clients["owner"].put(f"/api/project/{pid}", json={"id": pid + 1, "name": "Wrong"})
    assert response.status_code == 400 and response.get_json()["field"] == "id"


def test_only_owners_and_admins_delete(app, team):
    pid, clients = team
    for role in ("manager", "task_runner", "guest"):
        assert clients[role].delete(f"/api/project/{pid}").status_code == 403
    assert clients["outsider"].delete(f"/api/project/{pid}").status_code == 404
    assert count(app, Project, id=pid) == 1

    assert clients["owner"].delete(f"/api/project/{pid}").status_code == 204
    assert clients["owner"].get(f"/api/project/{pid}").status_code == 404
    assert count(app, ProjectUser, project_id=pid) == 0 and count(app, AccessKey, project_id=pid) == 0
    assert count(app, Environment, project_id=pid) == 0
    [deleted] = [e for e in events(app, object_type="project", object_id=pid) if e.action == "delete"]
    assert deleted.project_id is None  # survives the project

    # an admin who is not a member may delete too
    other = create_project(clients["admin"], "Other")
    owner_id = clients["owner"].get("/api/user").get_json()["id"]
    add_member(clients["admin"], other, owner_id, "owner")
    assert clients["admin"].delete(f"/api/project/{other}/me").status_code == 204
    assert clients["admin"].delete(f"/api/project/{other}").status_code == 204
    assert clients["owner"].get(f"/api/project/{other}").status_code == 404


def test_deleting_a_project_deletes_its_keys_and_the_repositories_that_use_them(app, admin_client):
    """MySQL/MariaDB refused the cascade (a key before the repository using it): a 500 there."""
    project = create_project_with_resources(app, admin_client)
    assert admin_client.delete(project.url).status_code == 204
    assert count(app, Project) == count(app, Repository) == count(app, AccessKey) == 0


def test_leaving(app, team):
    pid, clients = team
    for role in ("guest", "task_runner", "manager"):
        assert clients[role].delete(f"/api/project/{pid}/me").status_code == 204
        assert clients[role].get(f"/api/project/{pid}").status_code == 404
    # the admin made the project and is an owner too; the owner account makes two owners
    assert clients["admin"].delete(f"/api/project/{pid}/me").status_code == 204
    response = clients["owner"].delete(f"/api/project/{pid}/me")
    assert response.status_code == 409 and "owner" in response.get_json()["error"]
    assert clients["owner"].get(f"/api/project/{pid}/role").get_json()["role"] == "owner"
    left = [e for e in events(app, project_id=pid, object_type="user") if e.action == "delete"]
    assert len(left) == 4


# --- notifier_settings: the per-project settings notifier plugins declare that are no project column


@pytest.fixture
def pager_app(plugin_app):
    """The telegram plugin (its alert_chat is a project column) and the test pager (two settings of its own)."""
    return plugin_app(telegram=semaphore_notify_telegram, pager=semaphore_test_pager)


def stored_settings(app, pid):
    with db_session(app) as db:
        return db.get(Project, pid).notifier_settings


def test_notifier_settings_round_trip_and_a_put_without_them_keeps_them(pager_app):
    client, _ = user_client(pager_app, "admin", admin=True)
    made = client.post("/api/projects", json={"name": "Ops", "notifier_settings": {
        "pager": {"routing_key": "R-1", "severity": ""}}})
    assert made.status_code == 201 and made.get_json()["notifier_settings"] == {"pager": {"routing_key": "R-1"}}
    pid = made.get_json()["id"]
    assert client.get(f"/api/project/{pid}").get_json()["notifier_settings"] == {"pager": {"routing_key": "R-1"}}

    # Semaphore's own clients send the project without the key: the settings stay as they are
    assert client.put(f"/api/project/{pid}", json={"name": "Ops 2", "alert_chat": "-100"}).status_code == 204
    project = client.get(f"/api/project/{pid}").get_json()
    assert (project["name"], project["alert_chat"], project["notifier_settings"]) == (
        "Ops 2", "-100", {"pager": {"routing_key": "R-1"}})

    # with the key, the request's settings replace them (values up to 1000 characters)
    settings = {"pager": {"routing_key": "r" * 1000, "severity": "critical"}}
    assert client.put(f"/api/project/{pid}", json={"name": "Ops 2", "notifier_settings": settings}).status_code == 204
    assert [p["notifier_settings"] for p in client.get("/api/projects").get_json()] == [settings]
    assert client.put(f"/api/project/{pid}", json={"name": "Ops 2", "notifier_settings": {
        "pager": {"routing_key": "", "severity": ""}}}).status_code == 204
    assert client.get(f"/api/project/{pid}").get_json()["notifier_settings"] == {}
    assert stored_settings(pager_app, pid) is None


@pytest.mark.parametrize(("settings", "field"), [
    ("R-2", "notifier_settings"),
    ({"paging": {"routing_key": "R-2"}}, "notifier_settings.paging"),  # no such channel installed
    ({"pager": "R-2"}, "notifier_settings.pager"),
    ({"pager": {"service": "R-2"}}, "notifier_settings.pager.service"),  # not declared by the pager
    ({"telegram": {"alert_chat": "-100"}}, "notifier_settings.telegram.alert_chat"),  # a column: its own field
    ({"pager": {"routing_key": 42}}, "notifier_settings.pager.routing_key"),
    ({"pager": {"routing_key": None}}, "notifier_settings.pager.routing_key"),
    ({"pager": {"routing_key": "r" * 1001}}, "notifier_settings.pager.routing_key"),
])
def test_bad_notifier_settings_are_400_naming_the_field_and_write_nothing(pager_app, settings, field):
    client, _ = user_client(pager_app, "admin", admin=True)
    kept = {"pager": {"routing_key": "kept"}}
    pid = client.post("/api/projects", json={"name": "Kept", "notifier_settings": kept}).get_json()["id"]
    response = client.post("/api/projects", json={"name": "New", "notifier_settings": settings})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == field and response.get_json()["error"].startswith(f"{field}: ")
    assert count(pager_app, Project) == 1
    response = client.put(f"/api/project/{pid}", json={"name": "Changed", "notifier_settings": settings})
    assert response.status_code == 400 and response.get_json()["field"] == field
    project = client.get(f"/api/project/{pid}").get_json()
    assert (project["name"], project["notifier_settings"]) == ("Kept", kept)
    assert [e.action for e in events(pager_app, object_type="project", object_id=pid)] == ["create"]


def test_settings_of_a_channel_whose_plugin_is_gone_are_kept(plugin_app):
    with_pager = plugin_app(pager=semaphore_test_pager)
    client, _ = user_client(with_pager, "admin", admin=True)
    settings = {"pager": {"routing_key": "R-1"}}
    pid = client.post("/api/projects", json={"name": "Ops", "notifier_settings": settings}).get_json()["id"]

    without = log_in(plugin_app(telegram=semaphore_notify_telegram).test_client(), "admin")  # same database
    assert without.put(f"/api/project/{pid}", json={"name": "Ops"}).status_code == 204
    assert without.put(f"/api/project/{pid}", json={"name": "Ops", "notifier_settings": {}}).status_code == 204
    assert without.get(f"/api/project/{pid}").get_json()["notifier_settings"] == settings
    # sent back as read, they are accepted and kept; changed, the channel is unknown
    read = without.get(f"/api/project/{pid}").get_json()
    assert without.put(f"/api/project/{pid}", json=read).status_code == 204
    response = without.put(f"/api/project/{pid}", json={"name": "Ops", "notifier_settings": {
        "pager": {"routing_key": "R-2"}}})
    assert response.status_code == 400 and response.get_json()["field"] == "notifier_settings.pager"
    assert "(installed: email, telegram)" in response.get_json()["error"]
    assert client.get(f"/api/project/{pid}").get_json()["notifier_settings"] == settings
