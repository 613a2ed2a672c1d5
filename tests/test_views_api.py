"""Views (template tabs) over the API, on every database."""

from __future__ import annotations

from resource_helpers import (
    assert_refused,
    create,
    create_key,
    create_project,
    create_repository,
    event_descriptions,
    insert_template,
    member_client,
    query,
)


def titles(client, url):
    return [view["title"] for view in client.get(url).get_json()]


def test_views_are_ordered_by_position_and_group_templates(app, admin_client):
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/views"
    first = create(admin_client, url, {"title": "Build", "project_id": pid})
    second = create(admin_client, url, {"title": "Deploy"})
    assert first == {"id": first["id"], "project_id": pid, "title": "Build", "position": 1}
    assert second["position"] == 2  # after the last
    early = create(admin_client, url, {"title": "Lint", "position": 0})
    assert titles(admin_client, url) == ["Lint", "Build", "Deploy"]
    assert titles(admin_client, f"{url}?sort=title&order=desc") == ["Lint", "Deploy", "Build"]

    response = admin_client.put(f"{url}/{second['id']}", json={"id": second["id"], "title": "Release"})
    assert response.status_code == 204
    assert admin_client.get(f"{url}/{second['id']}").get_json() == {**second, "title": "Release"}  # position kept

    response = admin_client.post(f"{url}/positions", json={
        str(first["id"]): 3, str(second["id"]): 1, str(early["id"]): 2})
    assert response.status_code == 204, response.get_json()
    assert titles(admin_client, url) == ["Release", "Lint", "Build"]
    assert create(admin_client, url, {"title": "Last"})["position"] == 4

    repo = create_repository(admin_client, pid, create_key(admin_client, pid))
    shown = insert_template(app, pid, repo["id"], "Ship", view_id=early["id"])
    insert_template(app, pid, repo["id"], "Elsewhere", view_id=first["id"])
    insert_template(app, pid, repo["id"], "Nowhere")
    response = admin_client.get(f"{url}/{early['id']}/templates")
    assert response.status_code == 200
    assert [(t["id"], t["name"], t["view_id"]) for t in response.get_json()] == [(shown, "Ship", early["id"])]
    assert admin_client.get(f"{url}/999999/templates").status_code == 404
    assert admin_client.get(f"{url}/{early['id']}/refs").get_json() == {}

    # deleting a view leaves its templates, outside any view
    assert admin_client.delete(f"{url}/{early['id']}").status_code == 204
    assert titles(admin_client, url) == ["Release", "Build", "Last"]
    assert query(app, "SELECT name, view_id FROM project__template WHERE id = :id", id=shown) == [("Ship", None)]
    assert admin_client.get(f"{url}/{early['id']}/templates").status_code == 404
    events = [text for text in event_descriptions(admin_client, pid) if text.startswith("View")]
    assert events[:2] == ["View Lint deleted", "View Last created"]
    assert sorted(events[2:5]) == ["View Build updated", "View Lint updated", "View Release updated"]


def test_a_view_added_after_one_at_the_highest_position_goes_beside_it(app, admin_client):
    """"After the last" must not overflow the databases' integer range (a 500 on PostgreSQL)."""
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/views"
    create(admin_client, url, {"title": "Top", "position": 2**31 - 1})
    assert create(admin_client, url, {"title": "Next"})["position"] == 2**31 - 1
    assert titles(admin_client, url) == ["Top", "Next"]


def test_invalid_views_and_positions_name_the_field_and_write_nothing(app, admin_client):
    pid = create_project(admin_client)
    other = create_project(admin_client, "Other")
    url = f"/api/project/{pid}/views"
    view = create(admin_client, url, {"title": "Build"})
    foreign = create(admin_client, f"/api/project/{other}/views", {"title": "Theirs"})
    before = admin_client.get(url).get_json()
    events_before = event_descriptions(admin_client, pid)

    for body, field in [({}, "title"), ({"title": ""}, "title"), ({"title": "x" * 256}, "title"),
                        ({"title": "x", "position": "first"}, "position"), ({"title": "x", "position": -1}, "position"),
                        ({"title": "x", "position": 2**31}, "position"), ({"title": "x", "project_id": other},
                                                                          "project_id")]:
        assert_refused(admin_client, "POST", url, body, field)
        assert_refused(admin_client, "PUT", f"{url}/{view['id']}", body, field)
    positions = f"{url}/positions"
    assert_refused(admin_client, "POST", positions, {str(view["id"]): 5, str(foreign["id"]): 1}, str(foreign["id"]))
    assert_refused(admin_client, "POST", positions, {"999999": 1}, "999999")
    assert_refused(admin_client, "POST", positions, {"first": 1}, "first")
    assert_refused(admin_client, "POST", positions, {str(view["id"]): "top"}, str(view["id"]))
    assert_refused(admin_client, "POST", positions, {str(view["id"]): True}, str(view["id"]))
    assert_refused(admin_client, "POST", positions, {str(view["id"]): -3}, str(view["id"]))
    assert admin_client.post(positions, json=[1, 2]).status_code == 400
    assert admin_client.get(url).get_json() == before
    assert admin_client.get(f"/api/project/{other}/views").get_json() == [foreign]
    assert event_descriptions(admin_client, pid) == events_before

    guest = member_client(app, admin_client, pid, "guest", "guest")
    assert guest.get(url).get_json() == before
    assert guest.post(positions, json={str(view["id"]): 7}).status_code == 403
    assert guest.post(url, json={"title": "mine"}).status_code == 403
    assert admin_client.get(url).get_json() == before
