"""The activity log over the API, on every database: who sees what, order, and paging."""

from __future__ import annotations

import pytest

from semaphore.db.models import Event
from semaphore.testing import create_user_row, log_in

EVENT_FIELDS = {"id", "created", "user_id", "username", "project_id", "project_name", "object_id", "object_type",
                "object_name", "action", "description", "integration_id"}


def create_project(client, name):
    response = client.post("/api/projects", json={"name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def add_member(admin_client, pid, user_id, role="guest"):
    response = admin_client.post(f"/api/project/{pid}/users", json={"user_id": user_id, "role": role})
    assert response.status_code == 204, response.get_json()


def add_events(app, project_id, count, user_id=None):
    """Many events at once, written as the services write them (one row each)."""
    with app.extensions["semaphore"].db.session() as db:
        for number in range(count):
            db.add(Event(project_id=project_id, user_id=user_id, object_type="view", object_id=number,
                         object_name=f"view {number}", action="create", description=f"View view {number} created"))
        db.commit()


def descriptions(events):
    return [event["description"] for event in events]


@pytest.fixture
def scene(app, admin_client):
    """Two projects; alice is a member of the first only, bob of none."""
    alice = create_user_row(app, "alice")
    create_user_row(app, "bob")
    first = create_project(admin_client, "First")
    second = create_project(admin_client, "Second")
    add_member(admin_client, first, alice)
    return {"first": first, "second": second, "alice": log_in(app.test_client(), "alice")}


def test_members_see_their_projects_events_only(app, scene, admin_client):
    alice, bob = scene["alice"], log_in(app.test_client(), "bob")
    response = admin_client.post("/api/users", json={"username": "carol", "email": "carol@example.test",
                                                     "name": "Carol", "password": "a long password 1"})
    assert response.status_code == 201, response.get_json()
    events = alice.get("/api/events").get_json()
    assert events and {event["project_id"] for event in events} == {scene["first"]}
    assert "Project created" in descriptions(events)
    assert bob.get("/api/events").get_json() == []
    assert bob.get("/api/events/last").get_json() == []

    # Events without a project (user administration) are the admins' only.
    alice.post("/api/user/tokens")
    assert all(event["project_id"] is not None for event in alice.get("/api/events").get_json())
    everything = admin_client.get("/api/events").get_json()
    assert {event["project_id"] for event in everything} == {scene["first"], scene["second"], None}
    carol = [event for event in everything if event["object_type"] == "user" and event["object_name"] == "carol"]
    assert carol and carol[0]["project_id"] is None and carol[0]["project_name"] is None


def test_project_events_need_membership(app, scene, admin_client):
    first, second = scene["first"], scene["second"]
    alice = scene["alice"]
    own = alice.get(f"/api/project/{first}/events").get_json()
    assert own and all(event["project_id"] == first for event in own)
    assert alice.get(f"/api/project/{first}/events/last").get_json() == own
    for url in (f"/api/project/{second}/events", f"/api/project/{second}/events/last", "/api/project/999999/events"):
        assert alice.get(url).status_code == 404
    assert admin_client.get(f"/api/project/{second}/events").status_code == 200
    for url in ("/api/events", "/api/events/last", f"/api/project/{first}/events"):
        assert app.test_client().get(url).status_code == 401
    # Outsiders are refused before their paging parameters are looked at.
    assert alice.get(f"/api/project/{second}/events?limit=0").status_code == 404
    assert app.test_client().get(f"/api/project/{first}/events?before=x").status_code == 401


def test_event_json_names_user_and_project_newest_first(scene, admin_client):
    first = scene["first"]
    response = admin_client.post(f"/api/project/{first}/keys", json={"name": "deploy", "type": "none"})
    key_id = response.get_json()["id"]
    admin_client.put(f"/api/project/{first}/keys/{key_id}", json={"name": "deploy2", "type": "none"})
    events = scene["alice"].get(f"/api/project/{first}/events").get_json()
    assert set(events[0]) == EVENT_FIELDS
    newest, previous = events[0], events[1]
    assert newest["id"] > previous["id"] and newest["created"] >= previous["created"]
    assert {key: newest[key] for key in EVENT_FIELDS - {"id", "created", "user_id"}} == {
        "username": "admin", "project_id": first, "project_name": "First", "object_id": key_id,
        "object_type": "key", "object_name": "deploy2", "action": "update",
        "description": "Access Key deploy2 updated", "integration_id": None}
    assert previous["action"] == "create" and previous["object_name"] == "deploy"
    ids = [event["id"] for event in events]
    assert ids == sorted(ids, reverse=True)


def test_events_of_deleted_users_keep_their_text(app, scene, admin_client):
    first = scene["first"]
    dave = create_user_row(app, "dave")
    add_member(admin_client, first, dave, "manager")
    log_in(app.test_client(), "dave").post(f"/api/project/{first}/keys", json={"name": "by dave", "type": "none"})
    assert admin_client.delete(f"/api/users/{dave}").status_code == 204
    events = admin_client.get(f"/api/project/{first}/events").get_json()
    event = next(e for e in events if e["object_name"] == "by dave")
    assert (event["user_id"], event["username"], event["description"]) == (None, None, "Access Key by dave created")


def test_cursor_paging_walks_every_event_once(app, scene):
    first, alice = scene["first"], scene["alice"]
    add_events(app, first, 25)
    everything = alice.get(f"/api/project/{first}/events").get_json()
    assert len(everything) > 25

    for base in (f"/api/project/{first}/events", "/api/events"):
        walked, before = [], None
        while True:
            url = f"{base}?limit=7" + (f"&before={before}" if before else "")
            page = alice.get(url).get_json()
            assert len(page) <= 7
            if not page:
                break
            walked.extend(page)
            before = page[-1]["id"]
        assert walked == everything, base


def test_last_gives_200_and_the_full_list_up_to_1000(app, scene):
    first, alice = scene["first"], scene["alice"]
    add_events(app, first, 1005)
    assert len(alice.get("/api/events/last").get_json()) == 200
    assert len(alice.get(f"/api/project/{first}/events/last").get_json()) == 200
    assert len(alice.get("/api/events").get_json()) == 1000
    page = alice.get(f"/api/project/{first}/events?limit=1000").get_json()
    assert len(page) == 1000
    rest = alice.get(f"/api/project/{first}/events?before={page[-1]['id']}").get_json()
    assert 0 < len(rest) < 1000 and rest[0]["id"] < page[-1]["id"]
    newest = alice.get("/api/events/last?limit=3").get_json()
    assert newest == page[:3]


BAD_PAGING = [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=-5", "limit"), ("limit=lots", "limit"),
              ("before=0", "before"), ("before=-1", "before"), ("before=abc", "before"),
              ("before=99999999999", "before")]


def test_bad_paging_params_name_the_param(scene):
    for query, field in BAD_PAGING:
        for url in ("/api/events", "/api/events/last", f"/api/project/{scene['first']}/events",
                    f"/api/project/{scene['first']}/events/last"):
            response = scene["alice"].get(f"{url}?{query}")
            assert response.status_code == 400, (url, query, response.get_json())
            assert response.get_json()["field"] == field
            assert response.get_json()["error"].startswith(f"{field}: ")
