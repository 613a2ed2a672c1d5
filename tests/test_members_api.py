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


# Whom each caller may add, change (from and to) and remove, as the original's documentation says:
# owners (and admins) everyone, managers task runners and guests, the others nobody.
MANAGES = {"owner": set(ROLES), "admin": set(ROLES), "manager": {"task_runner", "guest"},
           "task_runner": set(), "guest": set()}


@pytest.fixture
def team(app, project):
    """The project with a member of every role (and a second owner, so that owners are never the
    last one here) and a client for each, plus an admin who is not a member."""
    pid, olga, _ = project
    clients = {"owner": olga, "admin": user_client(app, "root", admin=True)[0]}
    add_member(olga, pid, create_user_row(app, "coowner"), "owner")
    for role in ROLES[1:]:
        clients[role], user_id = user_client(app, role)
        add_member(olga, pid, user_id, role)
    return pid, clients


def roles_now(app, pid, olga):
    return {m["id"]: m["role"] for m in members(olga, pid)}


@pytest.mark.parametrize("actor", MANAGES)
def test_who_may_add_change_and_remove_whom(app, team, actor):
    """Every (caller, member's role, action): allowed ones answer 204 and do it, the others 403 and
    change nothing (no event either)."""
    pid, clients = team
    client, olga = clients[actor], clients["owner"]
    base = f"/api/project/{pid}/users"
    counter = iter(range(1000))

    def member_with(role):
        user_id = create_user_row(app, f"{actor}-{role}-{next(counter)}")
        add_member(olga, pid, user_id, role)
        return user_id

    def allowed_here(method, path, body, allowed, case):
        """Send the request; True when it answered 204 (and wrote one event), False on 403 (none)."""
        before = len(events(app))
        response = client.open(f"{base}{path}", method=method, json=body)
        assert response.status_code == (204 if allowed else 403), (actor, case, response.get_json())
        assert len(events(app)) == before + allowed, (actor, case)
        return allowed

    for role in ROLES:  # add a user with this role
        user_id = create_user_row(app, f"{actor}-new-{role}")
        if allowed_here("POST", "", {"user_id": user_id, "role": role}, role in MANAGES[actor], ("add", role)):
            assert roles_now(app, pid, olga)[user_id] == role
        else:
            assert user_id not in roles_now(app, pid, olga)
    for old in ROLES:  # change a member of this role to each other role
        for new in ROLES:
            if new != old:
                user_id = member_with(old)
                allowed = allowed_here("PUT", f"/{user_id}", {"role": new}, {old, new} <= MANAGES[actor],
                                       ("change", old, new))
                assert roles_now(app, pid, olga)[user_id] == (new if allowed else old)
    for role in ROLES:  # remove a member of this role
        user_id = member_with(role)
        allowed = allowed_here("DELETE", f"/{user_id}", None, role in MANAGES[actor], ("remove", role))
        assert (user_id in roles_now(app, pid, olga)) is not allowed
    # every member may read the team and a member
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/{next(iter(roles_now(app, pid, olga)))}").status_code == 200


def test_refusals_name_who_may(app, team):
    pid, clients = team
    target = create_user_row(app, "target")
    response = clients["manager"].post(f"/api/project/{pid}/users", json={"user_id": target, "role": "manager"})
    assert response.status_code == 403 and "only owners" in response.get_json()["error"]
    response = clients["guest"].post(f"/api/project/{pid}/users", json={"user_id": target, "role": "guest"})
    assert response.status_code == 403


def test_a_manager_cannot_promote_or_remove_themselves(app, team):
    pid, clients = team
    me = clients["manager"].get("/api/user").get_json()["id"]
    for role in ("owner", "task_runner"):
        assert clients["manager"].put(f"/api/project/{pid}/users/{me}", json={"role": role}).status_code == 403
    assert clients["manager"].delete(f"/api/project/{pid}/users/{me}").status_code == 403
    assert roles_now(app, pid, clients["owner"])[me] == "manager"
    assert clients["manager"].delete(f"/api/project/{pid}/me").status_code == 204  # leaving is always allowed


def test_outsiders_get_404(app, team):
    pid, _ = team
    target = create_user_row(app, "target")
    outsider, _ = user_client(app, "outsider")
    assert outsider.get(f"/api/project/{pid}/users").status_code == 404
    assert outsider.post(f"/api/project/{pid}/users", json={"user_id": target, "role": "owner"}).status_code == 404


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
