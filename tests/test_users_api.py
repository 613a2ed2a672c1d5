"""User administration (/api/users) on every database: who may do what, and the guards."""

from __future__ import annotations

import pytest
from account_helpers import create_project, events, user_client
from sqlalchemy import func, select

from semaphore.db.models import User
from semaphore.errors import ValidationError
from semaphore.testing import TEST_PASSWORD, log_in, make_config

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
    response = carol.post(f"/api/users/{carol_id}/password",
                          json={"current_password": TEST_PASSWORD, "password": "\u20ac" * 25})
    assert response.status_code == 400 and response.get_json()["field"] == "password"
    assert carol.post(f"/api/users/{carol_id}/password", json={}).get_json()["field"] == "password"
    log_in(app.test_client(), "carol")  # the old password still works
    assert admin_client.post("/api/users/999999/password", json={"password": "x"}).status_code == 404


def own_password_change(client, user_id, how, **body):
    """POST .../password, or PUT the user with a password (both change it)."""
    if how == "post":
        return client.post(f"/api/users/{user_id}/password", json=body)
    return client.put(f"/api/users/{user_id}", json={"name": "Carol", **body})


@pytest.mark.parametrize("how", ["post", "put"])
def test_changing_your_own_password_takes_the_current_one(app, admin_client, how):
    carol, carol_id = user_client(app, "carol")
    for body, field in (({}, "current_password"),
                        ({"current_password": ""}, "current_password"),
                        ({"current_password": "not it at all"}, "current_password")):
        response = own_password_change(carol, carol_id, how, password="carol's new password", **body)
        assert response.status_code == 400 and response.get_json()["field"] == field, response.get_json()
    log_in(app.test_client(), "carol")  # unchanged
    response = own_password_change(carol, carol_id, how, password="carol's new password",
                                   current_password=TEST_PASSWORD)
    assert response.status_code == 204, response.get_json()
    log_in(app.test_client(), "carol", "carol's new password")
    # admins too, for their own password; not for someone else's
    admin_id = admin_client.get("/api/user").get_json()["id"]
    response = own_password_change(admin_client, admin_id, how, password="the admin's new password")
    assert response.status_code == 400 and response.get_json()["field"] == "current_password"
    assert own_password_change(admin_client, carol_id, how, password="set by the admin").status_code == 204
    log_in(app.test_client(), "carol", "set by the admin")


def test_guessing_the_current_password_is_throttled_like_logins(sqlite_app):
    """A stolen session cannot try passwords at full speed: wrong current passwords count as failed
    logins of the account from that address."""
    carol, carol_id = user_client(sqlite_app, "carol")
    for _ in range(5):
        response = own_password_change(carol, carol_id, "post", password="carol's new password",
                                       current_password="a guess")
        assert response.status_code == 400
    response = own_password_change(carol, carol_id, "post", password="carol's new password",
                                   current_password=TEST_PASSWORD)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert sqlite_app.test_client().post("/api/auth/login", json={"auth": "carol", "password": TEST_PASSWORD}
                                         ).status_code == 429  # same account, same address


def test_a_new_password_has_at_least_eight_characters_by_default(app, admin_client):
    response = create(admin_client, password="seven77")
    assert response.status_code == 400 and response.get_json()["field"] == "password"
    assert "at least 8 characters" in response.get_json()["error"]
    uid = create(admin_client, password="eight888").get_json()["id"]
    for response in (admin_client.post(f"/api/users/{uid}/password", json={"password": "short"}),
                     admin_client.put(f"/api/users/{uid}", json={"password": "short"})):
        assert response.status_code == 400 and response.get_json()["field"] == "password"
    log_in(app.test_client(), "carol", "eight888")


@pytest.fixture
def strict_app(database_env, tmp_path):
    from semaphore.app import create_app

    application = create_app(make_config(tmp_path, {**database_env, "SEMAPHORE_PASSWORD_MIN_LENGTH": "12"}),
                             entry_points=False)
    yield application
    application.extensions["semaphore"].db.dispose()


def test_the_minimum_length_is_configurable(strict_app):
    admin = user_client(strict_app, "root", admin=True)[0]
    response = create(admin, password="elevenchars")
    assert response.status_code == 400 and "at least 12 characters" in response.get_json()["error"]
    uid = create(admin, password="twelve chars").get_json()["id"]
    carol = log_in(strict_app.test_client(), "carol", "twelve chars")
    response = own_password_change(carol, uid, "post", password="elevenchars", current_password="twelve chars")
    assert response.status_code == 400 and response.get_json()["field"] == "password"
    page = carol.get("/account").get_data(as_text=True)  # the account page tells the rule
    assert "At least 12 characters." in page and 'minlength="12"' in page


def test_a_configured_admin_password_obeys_the_minimum_length(app):
    from semaphore.services.bootstrap import bootstrap_admin

    environ = {"SEMAPHORE_ADMIN": "boss", "SEMAPHORE_ADMIN_PASSWORD": "short"}
    with app.extensions["semaphore"].db.session() as db:
        with pytest.raises(ValidationError, match="at least 8 characters") as refused:
            bootstrap_admin(db, environ, 8)
        assert refused.value.field == "SEMAPHORE_ADMIN_PASSWORD"
        assert bootstrap_admin(db, environ, 5).action == "created"


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
