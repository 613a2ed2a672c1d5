"""Environments (variable groups) and their secrets over the API, on every database."""

from __future__ import annotations

import json

from resource_helpers import (
    assert_refused,
    create,
    create_key,
    create_project,
    create_repository,
    delete_row,
    event_descriptions,
    insert_template,
    query,
)


def stored_secrets(app, environment_id):
    """The rows as the database holds them: {stored name: decrypted value}, checking nothing is plaintext."""
    box = app.extensions["semaphore"].secrets
    rows = query(app, "SELECT name, type, secret FROM access_key WHERE environment_id = :id", id=environment_id)
    found = {}
    for name, key_type, secret in rows:
        assert key_type == "string"
        value = box.decrypt(secret).decode()
        assert len(value) >= 6 and value not in secret  # (tests use values long enough to check this)
        found[name] = value
    return found


def secrets_by_name(client, url):
    return {f"{s['type']}.{s['name']}": s for s in client.get(url).get_json()["secrets"]}


def test_environment_secrets_are_write_only_encrypted_and_deleted_with_it(app, admin_client):
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/environment"
    environment = create(admin_client, url, {
        "name": "prod", "project_id": pid, "json": '{"region": "eu", "replicas": 3}', "env": {"TZ": "UTC", "N": 2},
        "secrets": [{"type": "var", "name": "db_password", "secret": "hunter2-var-value", "operation": "create"},
                    {"type": "env", "name": "API_TOKEN", "secret": "tok-env-value-42", "operation": "create"}]})
    assert {k: environment[k] for k in ("name", "project_id", "json")} == {
        "name": "prod", "project_id": pid, "json": '{"region": "eu", "replicas": 3}'}
    assert json.loads(environment["env"]) == {"TZ": "UTC", "N": 2}
    assert sorted((s["type"], s["name"], s["secret"]) for s in environment["secrets"]) == [
        ("env", "API_TOKEN", ""), ("var", "db_password", "")]

    one = admin_client.get(f"{url}/{environment['id']}").get_json()
    assert one == environment
    listed = admin_client.get(url).get_json()  # a new project comes with an "Empty" environment
    assert [row for row in listed if row["name"] != "Empty"] == [
        {k: v for k, v in environment.items() if k != "secrets"}]
    for response in (admin_client.get(url), admin_client.get(f"{url}/{environment['id']}"),
                     admin_client.get(f"/api/project/{pid}/keys"), admin_client.get(f"/api/project/{pid}/events")):
        body = response.get_data(as_text=True)
        assert "hunter2" not in body and "tok-env" not in body
    # environment secrets are not key-store keys (a new project comes with a "None" key)
    assert [key["name"] for key in admin_client.get(f"/api/project/{pid}/keys").get_json()] == ["None"]
    assert stored_secrets(app, environment["id"]) == {"var.db_password": "hunter2-var-value",
                                                      "env.API_TOKEN": "tok-env-value-42"}

    # in use: refused; once free, deleting it deletes its secrets
    repo = create_repository(admin_client, pid, create_key(admin_client, pid))
    template_id = insert_template(app, pid, repo["id"], "Deploy", environment_id=environment["id"])
    item = f"{url}/{environment['id']}"
    refs = admin_client.get(f"{item}/refs").get_json()
    assert refs == {"templates": [{"id": template_id, "name": "Deploy"}]}
    response = admin_client.delete(item)
    assert response.status_code == 409
    assert response.get_json()["inUse"] is True and response.get_json()["refs"] == refs
    assert len(stored_secrets(app, environment["id"])) == 2

    delete_row(app, "project__template", template_id)
    assert admin_client.delete(item).status_code == 204
    assert admin_client.get(item).status_code == 404
    assert query(app, "SELECT id FROM access_key WHERE environment_id IS NOT NULL") == []
    assert event_descriptions(admin_client, pid)[0] == "Environment prod deleted"


def test_secret_operations_create_update_and_delete(app, admin_client):
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/environment"
    environment = create(admin_client, url, {"name": "stage", "json": "{}", "secrets": [
        {"type": "var", "name": "A", "secret": "value-a", "operation": "create"},
        {"type": "var", "name": "B", "secret": "value-b", "operation": "create"},
        {"type": "env", "name": "C", "secret": "value-c", "operation": "create"}]})
    item = f"{url}/{environment['id']}"
    ids = {name: s["id"] for name, s in secrets_by_name(admin_client, item).items()}

    response = admin_client.put(item, json={**environment, "json": '{"x": 1}', "secrets": [
        {"id": ids["var.A"], "type": "var", "name": "A", "secret": "value-a2", "operation": "update"},
        {"id": ids["var.B"], "type": "env", "name": "B2", "secret": "", "operation": "update"},  # rename, keep value
        {"id": ids["env.C"], "operation": "delete"},
        {"type": "env", "name": "C", "secret": "value-c2", "operation": "create"},  # the freed name again
        {"id": ids["var.A"], "type": "var", "name": "A", "secret": ""},  # no operation: left as it is
    ]})
    assert response.status_code == 204, response.get_json()
    after = secrets_by_name(admin_client, item)
    assert sorted(after) == ["env.B2", "env.C", "var.A"]
    assert after["var.A"]["id"] == ids["var.A"] and after["env.B2"]["id"] == ids["var.B"]
    assert after["env.C"]["id"] != ids["env.C"]
    assert stored_secrets(app, environment["id"]) == {
        "var.A": "value-a2", "env.B2": "value-b", "env.C": "value-c2"}
    assert admin_client.get(item).get_json()["json"] == '{"x": 1}'

    # a PUT without secrets leaves them alone
    assert admin_client.put(item, json={"name": "stage", "json": "{}"}).status_code == 204
    assert sorted(secrets_by_name(admin_client, item)) == ["env.B2", "env.C", "var.A"]
    assert event_descriptions(admin_client, pid)[:2] == ["Environment stage updated", "Environment stage updated"]


def test_invalid_environments_name_the_field_and_write_nothing(app, admin_client):
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/environment"
    other = create(admin_client, url, {"name": "other", "json": "{}", "secrets": [
        {"type": "var", "name": "OTHER", "secret": "o", "operation": "create"}]})
    environment = create(admin_client, url, {"name": "env", "json": "{}", "secrets": [
        {"type": "var", "name": "A", "secret": "value-a", "operation": "create"},
        {"type": "env", "name": "B", "secret": "value-b", "operation": "create"}]})
    item = f"{url}/{environment['id']}"
    ids = {name: s["id"] for name, s in secrets_by_name(admin_client, item).items()}
    other_secret = admin_client.get(f"{url}/{other['id']}").get_json()["secrets"][0]["id"]
    plain_key = create_key(admin_client, pid)
    good = {"name": "env", "json": "{}"}

    def op(**fields):
        return {"type": "var", "name": "NEW", "secret": "s", "operation": "create", **fields}

    both = [  # refused on POST and PUT
        ({"json": "{}"}, "name"),
        ({"name": "x"}, "json"),
        ({**good, "json": None}, "json"),
        ({**good, "json": ""}, "json"),
        ({**good, "json": "{not json"}, "json"),
        ({**good, "json": "[1, 2]"}, "json"),
        ({**good, "json": '{"": 1}'}, "json"),
        ({**good, "json": json.dumps({"k": "x" * 70000})}, "json"),
        ({**good, "env": "[]"}, "env"),
        ({**good, "env": '{"A": {"nested": 1}}'}, "env"),
        ({**good, "env": '{"A": true}'}, "env"),
        ({**good, "env": '{"A": null}'}, "env"),
        ({**good, "env": '{"A=B": "x"}'}, "env"),
        ({**good, "secrets": [op(type="file")]}, "secrets.0.type"),
        ({**good, "secrets": [op(operation="rotate")]}, "secrets.0.operation"),
        ({**good, "secrets": [op(name="1abc")]}, "secrets.0.name"),
        ({**good, "secrets": [op(name="has-dash")]}, "secrets.0.name"),
        ({**good, "secrets": [op(name="")]}, "secrets.0.name"),
        ({**good, "secrets": [op(secret="")]}, "secrets.0.secret"),
        ({**good, "secrets": [op(secret="x" * 40000)]}, "secrets.0.secret"),
        ({**good, "secrets": [op(), op(secret="again")]}, "secrets.1.name"),
    ]
    put_only = [
        ({**good, "secrets": [op(name="A")]}, "secrets.0.name"),  # clashes with an existing var
        ({**good, "secrets": [op(type="env", name="B")]}, "secrets.0.name"),
        ({**good, "secrets": [op(id=ids["env.B"], type="var", name="A", operation="update")]}, "secrets.0.name"),
        ({**good, "secrets": [op(id=ids["var.A"], operation="update"),
                              op(id=ids["var.A"], operation="delete")]}, "secrets.1.id"),
        ({**good, "secrets": [op(operation="update")]}, "secrets.0.id"),
        ({**good, "secrets": [op(id=other_secret, operation="update")]}, "secrets.0.id"),
        ({**good, "secrets": [op(id=other_secret, operation="delete")]}, "secrets.0.id"),
        ({**good, "secrets": [op(id=plain_key, operation="delete")]}, "secrets.0.id"),
        ({**good, "id": environment["id"] + 1}, "id"),
    ]
    post_only = [
        ({**good, "secrets": [op(id=ids["var.A"], operation="update")]}, "secrets.0.operation"),
        ({**good, "secrets": [op(id=ids["var.A"], operation="delete")]}, "secrets.0.operation"),
        ({**good, "project_id": pid + 1}, "project_id"),
    ]
    before = [admin_client.get(f"{url}/{row['id']}").get_json() for row in (environment, other)]
    stored_before = stored_secrets(app, environment["id"])
    events_before = event_descriptions(admin_client, pid)
    for body, field in both + post_only:
        assert_refused(admin_client, "POST", url, body, field)
    for body, field in both + put_only:
        assert_refused(admin_client, "PUT", item, body, field)
    assert [admin_client.get(f"{url}/{row['id']}").get_json() for row in (environment, other)] == before
    assert len(admin_client.get(url).get_json()) == 3  # with the new project's "Empty" environment
    assert stored_secrets(app, environment["id"]) == stored_before
    assert event_descriptions(admin_client, pid) == events_before
