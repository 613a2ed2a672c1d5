"""Project members (/api/project/{id}/users) on every database."""

from __future__ import annotations

import pytest
from account_helpers import add_member, create_project, events, user_client

from semaphore.testing import create_user_row

ROLES = ("owner", "manager", "task_runner", "guest")


@pytest.fixture
def project(app, admin_client):
    """A project whose owner is ``olga`` (not an admin); the admin who made it has left."""
    pid = create_project(admin_client, "Team")
    olga, olga_id = user_client(app, "olga", name="Olga Owner")
    add_member(admin_client, pid, olga_id, "owner")
    assert admin_client.delete(f"/api/project/{pid}/me").status_code == 204
    return pid, olga, olga_id


def members(client, pid, query=""):
    response = client.get(f"/api/project/{pid}/users{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_owner_adds_members_in_each_role(app, project):
    pid, olga, _ = project
    added = {}
    for role in ROLES[1:] + ("owner",):
        user_id = create_user_row(app, f"u_{role}", name=f"User {role}")
        response = olga.post(f"/api/project/{pid}/users", json={"user_id": user_id, "role": role})
        assert response.status_code == 204, response.get_json()
        added[user_id] = role
    listed = members(olga, pid)
    assert {m["id"]: m["role"] for m in listed if m["username"] != "olga"} == added
    assert all({"id", "username", "name", "role"} <= set(m) for m in listed)
    user_id = next(iter(added))
    member = olga.get(f"/api/project/{pid}/users/{user_id}")
    assert member.status_code == 200 and member.get_json()["username"] == "u_manager"
    assert "password" not in member.get_data(as_text=True)
    descriptions = [e.description for e in events(app, project_id=pid, object_type="user", action="create")]
    assert all(f"User ID {uid} added to team" in descriptions for uid in added)


def test_members_get_their_role_permissions(app, project):
    pid, olga, _ = project
    guest, guest_id = user_client(app, "gina")
    add_member(olga, pid, guest_id, "guest")
    assert guest.put(f"/api/project/{pid}", json={"name": "x"}).status_code == 403
    assert olga.put(f"/api/project/{pid}/users/{guest_id}", json={"role": "owner"}).status_code == 204
    assert guest.get(f"/api/project/{pid}/role").get_json() == {"role": "owner", "permissions": 15}
    assert guest.put(f"/api/project/{pid}", json={"name": "by gina"}).status_code == 204
    assert olga.delete(f"/api/project/{pid}/users/{guest_id}").status_code == 204
    assert guest.get(f"/api/project/{pid}").status_code == 404
    actions = [(e.action, e.description) for e in events(app, project_id=pid, object_type="user", object_id=guest_id)]
    assert actions == [("create", f"User ID {guest_id} added to team"),
                       ("update", f"Changed role for User ID {guest_id}"),
                       ("delete", f"User ID {guest_id} removed from team")]


def test_only_owners_manage_members(app, project):
    pid, olga, olga_id = project
    target = create_user_row(app, "target")
    clients = {}
    for role in ROLES[1:]:
        client, user_id = user_client(app, role)
        add_member(olga, pid, user_id, role)
        clients[role] = client
    add_member(olga, pid, target, "guest")
    before = len(events(app))
    for role, client in clients.items():
        for method, path, body in (
                ("post", "", {"user_id": create_user_row(app, f"new_{role}"), "role": "guest"}),
                ("put", f"/{target}", {"role": "manager"}),
                ("put", f"/{olga_id}", {"role": "guest"}),
                ("delete", f"/{target}", None),
                ("delete", f"/{olga_id}", None)):
            kwargs = {"json": body} if body is not None else {}
            response = getattr(client, method)(f"/api/project/{pid}/users{path}", **kwargs)
            assert response.status_code == 403, (role, method, path)
        # members may read the team
        assert len(members(client, pid)) == 5
        assert client.get(f"/api/project/{pid}/users/{olga_id}").status_code == 200
    outsider, _ = user_client(app, "outsider")
    assert outsider.get(f"/api/project/{pid}/users").status_code == 404
    assert outsider.post(f"/api/project/{pid}/users", json={"user_id": target, "role": "owner"}).status_code == 404
    roles = {m["username"]: m["role"] for m in members(olga, pid)}
    assert roles["olga"] == "owner" and roles["target"] == "guest"
    assert len(events(app)) == before


def test_last_owner_is_kept(app, project):
    pid, olga, olga_id = project
    for method, kwargs in (("put", {"json": {"role": "manager"}}), ("delete", {})):
        response = getattr(olga, method)(f"/api/project/{pid}/users/{olga_id}", **kwargs)
        assert response.status_code == 409 and "owner" in response.get_json()["error"]
    assert olga.delete(f"/api/project/{pid}/me").status_code == 409
    # an admin cannot remove the last owner either
    admin = user_client(app, "root", admin=True)[0]
    assert admin.delete(f"/api/project/{pid}/users/{olga_id}").status_code == 409
    # with a second owner, the first may step down
    peter, peter_id = user_client(app, "peter")
    add_member(olga, pid, peter_id, "owner")
    assert olga.put(f"/api/project/{pid}/users/{olga_id}", json={"role": "manager"}).status_code == 204
    assert olga.get(f"/api/project/{pid}/role").get_json()["role"] == "manager"
    assert peter.delete(f"/api/project/{pid}/users/{peter_id}").status_code == 409
    assert peter.delete(f"/api/project/{pid}/users/{olga_id}").status_code == 204
    assert [m["username"] for m in members(peter, pid)] == ["peter"]


def test_admin_manages_members_without_being_one(app, project):
    pid, olga, olga_id = project
    admin = user_client(app, "root", admin=True)[0]
    other = create_user_row(app, "other")
    assert admin.post(f"/api/project/{pid}/users", json={"user_id": other, "role": "owner"}).status_code == 204
    assert admin.put(f"/api/project/{pid}/users/{olga_id}", json={"role": "guest"}).status_code == 204
    assert {m["username"]: m["role"] for m in members(admin, pid)} == {"olga": "guest", "other": "owner"}


def test_duplicate_member_is_409(app, project):
    pid, olga, olga_id = project
    user_id = create_user_row(app, "dup")
    add_member(olga, pid, user_id, "guest")
    for uid in (user_id, olga_id):
        response = olga.post(f"/api/project/{pid}/users", json={"user_id": uid, "role": "manager"})
        assert response.status_code == 409 and "error" in response.get_json()
    assert {m["username"]: m["role"] for m in members(olga, pid)} == {"olga": "owner", "dup": "guest"}


def test_bad_member_input_is_400_naming_the_field(app, project):
    pid, olga, olga_id = project
    user_id = create_user_row(app, "someone")
    before = len(events(app))
    for body, field in (({"user_id": user_id, "role": "admin"}, "role"),
                        ({"user_id": user_id, "role": ""}, "role"),
                        ({"user_id": user_id}, "role"),
                        ({"role": "guest"}, "user_id"),
                        ({"user_id": "me", "role": "guest"}, "user_id"),
                        ({"user_id": 999999, "role": "guest"}, "user_id")):
        response = olga.post(f"/api/project/{pid}/users", json=body)
        assert response.status_code == 400, (body, response.get_json())
        assert response.get_json()["field"] == field, body
    response = olga.put(f"/api/project/{pid}/users/{olga_id}", json={"role": "superuser"})
    assert response.status_code == 400 and response.get_json()["field"] == "role"
    assert "superuser" not in [m["role"] for m in members(olga, pid)]
    assert [m["username"] for m in members(olga, pid)] == ["olga"]
    assert len(events(app)) == before


def test_non_members_are_404(app, project):
    pid, olga, _ = project
    stranger = create_user_row(app, "stranger")
    for method, kwargs in (("get", {}), ("put", {"json": {"role": "guest"}}), ("delete", {})):
        response = getattr(olga, method)(f"/api/project/{pid}/users/{stranger}", **kwargs)
        assert response.status_code == 404 and "error" in response.get_json()


def test_sorting(app, project):
    pid, olga, _ = project
    for username, name, role in (("zed", "Anna", "guest"), ("amy", "Zoe", "manager"), ("mia", "Mia", "task_runner")):
        add_member(olga, pid, create_user_row(app, username, name=name), role)
    assert [m["username"] for m in members(olga, pid, "?sort=username")] == ["amy", "mia", "olga", "zed"]
    assert [m["username"] for m in members(olga, pid, "?sort=username&order=desc")] == ["zed", "olga", "mia", "amy"]
    assert [m["name"] for m in members(olga, pid, "?sort=name")] == ["Anna", "Mia", "Olga Owner", "Zoe"]
    assert [m["role"] for m in members(olga, pid, "?sort=role")] == ["guest", "manager", "owner", "task_runner"]
    assert [m["username"] for m in members(olga, pid, "?sort=email&order=DESC")] == ["zed", "olga", "mia", "amy"]
    for query, field in (("?sort=password", "sort"), ("?sort=name&order=sideways", "order"), ("?sort=", "sort")):
        response = olga.get(f"/api/project/{pid}/users{query}")
        assert response.status_code == 400 and response.get_json()["field"] == field, query
