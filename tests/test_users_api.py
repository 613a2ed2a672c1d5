"""User administration (/api/users) on every database: who may do what, and the guards."""

from __future__ import annotations

from account_helpers import create_project, events, user_client
from sqlalchemy import func, select

from semaphore.db.models import User
from semaphore.testing import TEST_PASSWORD, log_in

USER_FIELDS = {"id", "created", "username", "name", "email", "admin", "external", "alert"}


def create(client, **fields):
    body = {"username": "carol", "name": "Carol", "email": "carol@example.test", "password": TEST_PASSWORD, **fields}
    return client.post("/api/users", json=body)


def user_count(app):
    with app.extensions["semaphore"].db.session() as db:
        return db.scalar(select(func.count()).select_from(User))


def test_admin_creates_reads_updates_and_deletes_a_user(app, admin_client):
    response = create(admin_client, username="Carol", email="Carol@Example.test", alert=True)
    assert response.status_code == 201
    carol = response.get_json()
    assert set(carol) == USER_FIELDS
    assert (carol["username"], carol["email"], carol["name"], carol["admin"], carol["alert"]) == (
        "carol", "carol@example.test", "Carol", False, True)
    uid = carol["id"]

    assert admin_client.get(f"/api/users/{uid}").get_json() == carol
    listed = admin_client.get("/api/users").get_json()
    assert {u["username"] for u in listed} == {"admin", "carol"} and all(set(u) == USER_FIELDS for u in listed)

    response = admin_client.put(f"/api/users/{uid}", json={"name": "Carol C", "email": "cc@example.test",
                                                           "username": "carolc", "admin": True, "alert": False})
    assert response.status_code == 204
    updated = admin_client.get(f"/api/users/{uid}").get_json()
    assert (updated["name"], updated["email"], updated["username"], updated["admin"], updated["alert"]) == (
        "Carol C", "cc@example.test", "carolc", True, False)

    assert admin_client.delete(f"/api/users/{uid}").status_code == 204
    assert admin_client.get(f"/api/users/{uid}").status_code == 404
    assert [e.action for e in events(app, object_type="user", object_id=uid)] == ["create", "update", "delete"]


def test_no_response_carries_a_password(app, admin_client):
    uid = create(admin_client).get_json()["id"]
    for url in ("/api/users", f"/api/users/{uid}", "/api/user"):
        text = admin_client.get(url).get_data(as_text=True)
        assert "password" not in text and "$2b$" not in text


def test_non_admin_sees_a_brief_list_and_cannot_manage_others(app, admin_client):
    carol, carol_id = user_client(app, "carol")
    admin_id = admin_client.get("/api/user").get_json()["id"]
    listed = carol.get("/api/users")
    assert listed.status_code == 200
    brief = [{"id": admin_id, "username": "admin", "name": "Admin"},
             {"id": carol_id, "username": "carol", "name": "Carol"}]
    assert sorted(listed.get_json(), key=lambda u: u["id"]) == sorted(brief, key=lambda u: u["id"])

    before = len(events(app))
    assert create(carol, username="dave", email="dave@example.test").status_code == 403
    assert carol.get(f"/api/users/{admin_id}").status_code == 403
    assert carol.put(f"/api/users/{admin_id}", json={"name": "pwned"}).status_code == 403
    assert carol.delete(f"/api/users/{admin_id}").status_code == 403
    assert carol.post(f"/api/users/{admin_id}/password", json={"password": "pwned"}).status_code == 403
    assert admin_client.get(f"/api/users/{admin_id}").get_json()["name"] == "Admin"
    assert user_count(app) == 2 and len(events(app)) == before


def test_user_edits_self_but_not_own_admin_flag(app, admin_client):
    carol, carol_id = user_client(app, "carol")
    assert carol.get(f"/api/users/{carol_id}").status_code == 200
    response = carol.put(f"/api/users/{carol_id}", json={"name": "Caroline", "email": "caroline@example.test",
                                                          "alert": True, "admin": False})
    assert response.status_code == 204
    me = carol.get("/api/user").get_json()
    assert (me["name"], me["email"], me["alert"], me["admin"]) == ("Caroline", "caroline@example.test", True, False)

    response = carol.put(f"/api/users/{carol_id}", json={"admin": True, "name": "Boss"})
    assert response.status_code == 403 and "admin" in response.get_json()["error"]
    me = carol.get("/api/user").get_json()
    assert me["admin"] is False and me["name"] == "Caroline"  # nothing of the refused request was written

    admin_id = admin_client.get("/api/user").get_json()["id"]
    assert admin_client.put(f"/api/users/{admin_id}", json={"admin": False}).status_code == 403
    assert admin_client.get("/api/user").get_json()["admin"] is True


def test_user_may_delete_self(app, admin_client):
    carol, carol_id = user_client(app, "carol")
    assert carol.delete(f"/api/users/{carol_id}").status_code == 204
    assert carol.get("/api/user").status_code == 401
    assert admin_client.get(f"/api/users/{carol_id}").status_code == 404


def test_last_admin_can_neither_go_nor_be_demoted(app, admin_client):
    admin_id = admin_client.get("/api/user").get_json()["id"]
    response = admin_client.delete(f"/api/users/{admin_id}")
    assert response.status_code == 409 and "admin" in response.get_json()["error"]
    assert admin_client.get("/api/user").status_code == 200

    second, second_id = user_client(app, "second", admin=True)
    # with two admins, one may demote the other; then the remaining one is the last again
    assert second.put(f"/api/users/{admin_id}", json={"admin": False}).status_code == 204
    assert admin_client.get("/api/user").get_json()["admin"] is False
    assert second.delete(f"/api/users/{second_id}").status_code == 409
    assert second.put(f"/api/users/{second_id}", json={"admin": False}).status_code == 403
    assert second.get("/api/user").get_json()["admin"] is True
    # promote the first again: now the second may leave
    assert second.put(f"/api/users/{admin_id}", json={"admin": True}).status_code == 204
    assert second.delete(f"/api/users/{second_id}").status_code == 204


def test_duplicates_are_409_naming_the_field(app, admin_client):
    carol = create(admin_client).get_json()
    count = user_count(app)
    for fields, field in (({"username": "CAROL", "email": "other@example.test"}, "username"),
                          ({"username": "other", "email": "CAROL@example.test"}, "email")):
        response = create(admin_client, **fields)
        assert response.status_code == 409
        assert response.get_json()["field"] == field and field in response.get_json()["error"]
    dave = create(admin_client, username="dave", email="dave@example.test").get_json()
    for fields, field in (({"username": "carol"}, "username"), ({"email": "carol@example.test"}, "email")):
        response = admin_client.put(f"/api/users/{dave['id']}", json=fields)
        assert response.status_code == 409 and response.get_json()["field"] == field
    # keeping one's own name is not a duplicate
    assert admin_client.put(f"/api/users/{carol['id']}", json={"username": "Carol"}).status_code == 204
    assert user_count(app) == count + 1


def test_bad_input_is_400_naming_the_field_and_writes_nothing(app, admin_client):
    count, event_count = user_count(app), len(events(app))
    cases = [
        ({"username": None}, "username"),
        ({"username": ""}, "username"),
        ({"username": "two words"}, "username"),
        ({"email": "not-an-address"}, "email"),
        ({"email": None}, "email"),
        ({"password": ""}, "password"),
        ({"password": "x" * 73}, "password"),
        ({"password": "\u20ac" * 25}, "password"),  # 25 characters, 75 bytes
        ({"admin": "sometimes"}, "admin"),
    ]
    for fields, field in cases:
        body = {"username": "carol", "email": "carol@example.test", "password": TEST_PASSWORD, **fields}
        body = {k: v for k, v in body.items() if v is not None}
        response = admin_client.post("/api/users", json=body)
        assert response.status_code == 400, fields
        assert response.get_json()["field"] == field, (fields, response.get_json())
    assert user_count(app) == count and len(events(app)) == event_count
    # exactly 72 bytes is fine, and works for logging in
    assert create(admin_client, password="p" * 72).status_code == 201
    log_in(app.test_client(), "carol", "p" * 72)


def test_password_endpoint(app, admin_client):
    carol, carol_id = user_client(app, "carol")
    response = carol.post(f"/api/users/{carol_id}/password", json={"password": "\u20ac" * 25})
    assert response.status_code == 400 and response.get_json()["field"] == "password"
    assert carol.post(f"/api/users/{carol_id}/password", json={}).get_json()["field"] == "password"
    log_in(app.test_client(), "carol")  # the old password still works
    assert admin_client.post("/api/users/999999/password", json={"password": "x"}).status_code == 404


def test_external_user_rules(app, admin_client):
    response = admin_client.post("/api/users", json={"username": "ext", "name": "Ext", "email": "ext@example.test",
                                                     "external": True})
    assert response.status_code == 201 and response.get_json()["external"] is True
    uid = response.get_json()["id"]
    response = admin_client.put(f"/api/users/{uid}", json={"username": "renamed"})
    assert response.status_code == 400 and response.get_json()["field"] == "username"
    assert admin_client.put(f"/api/users/{uid}", json={"username": "EXT", "name": "External"}).status_code == 204
    assert admin_client.get(f"/api/users/{uid}").get_json()["name"] == "External"
    response = admin_client.post(f"/api/users/{uid}/password", json={"password": "local"})
    assert response.status_code == 400 and response.get_json()["field"] == "password"
    response = admin_client.put(f"/api/users/{uid}", json={"password": "local"})
    assert response.status_code == 400 and response.get_json()["field"] == "password"


def test_local_user_needs_a_password(admin_client):
    response = admin_client.post("/api/users", json={"username": "nopass", "email": "nopass@example.test"})
    assert response.status_code == 400 and response.get_json()["field"] == "password"


def test_unknown_user_is_404_for_admins(admin_client):
    for method in ("get", "put", "delete"):
        response = getattr(admin_client, method)("/api/users/999999", **({"json": {}} if method == "put" else {}))
        assert response.status_code == 404 and "error" in response.get_json()


def test_deleting_a_user_with_history_keeps_the_history(app, admin_client):
    carol, carol_id = user_client(app, "carol", admin=True)
    pid = create_project(carol, "Carol's")
    carol.post("/api/user/tokens")
    assert admin_client.delete(f"/api/users/{carol_id}").status_code == 204
    project_events = events(app, project_id=pid, object_type="project")
    assert project_events and project_events[0].user_id is None  # the event stays, without its user
    assert admin_client.get(f"/api/project/{pid}").status_code == 200
