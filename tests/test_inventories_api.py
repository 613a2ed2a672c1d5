"""Inventories over the API, on every database."""

from __future__ import annotations

from resource_helpers import (
    assert_refused,
    create,
    create_key,
    create_login_password_key,
    create_project,
    create_repository,
    delete_row,
    event_descriptions,
    insert_template,
)

INI = """\
# production
[web]
web1.example.test ansible_host=10.0.0.1 ansible_user="deploy user"
web2.example.test

[web:vars]
http_port=8080

[all:children]
web
"""
YAML = """\
all:
  children:
    web:
      hosts:
        web1.example.test:
          ansible_host: 10.0.0.1
"""
JSON = '{"all": {"hosts": {"db1": {"ansible_port": 2222}}}}'


def test_inventory_lifecycle_for_every_type(app, admin_client):
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/inventory"
    ssh_key = create_key(admin_client, pid, "ssh", "ssh", ssh={
        "login": "deploy", "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----"})
    become_key = create_login_password_key(admin_client, pid)
    repo = create_repository(admin_client, pid, ssh_key)
    holder = insert_template(app, pid, repo["id"], "Infra")

    static = create(admin_client, url, {"name": "prod", "type": "static", "inventory": INI, "project_id": pid,
                                        "ssh_key_id": ssh_key, "become_key_id": become_key})
    assert static == {"id": static["id"], "name": "prod", "project_id": pid, "inventory": INI, "type": "static",
                      "ssh_key_id": ssh_key, "become_key_id": become_key, "repository_id": None, "holder_id": None}
    bodies = [
        {"name": "yaml", "type": "static-yaml", "inventory": YAML},
        {"name": "yaml as static", "type": "static", "inventory": YAML},  # Ansible's YAML plugin reads it
        {"name": "json as static", "type": "static", "inventory": JSON},
        {"name": "empty", "type": "static"},
        {"name": "file", "type": "file", "inventory": "inventories/prod/hosts.yml", "repository_id": repo["id"]},
        {"name": "file in template repo", "type": "file", "inventory": "./hosts/../hosts.ini"},
        {"name": "tf", "type": "terraform-workspace", "inventory": "production", "holder_id": holder},
        {"name": "tofu", "type": "tofu-workspace", "inventory": "staging-2"},
    ]
    for body in bodies:
        row = create(admin_client, url, body)
        expected = {**body, "inventory": body.get("inventory", "")}
        assert {name: row[name] for name in expected} == expected
    names = [row["name"] for row in admin_client.get(f"{url}?sort=name").get_json()]
    assert names == sorted(names) and len(names) == 9

    response = admin_client.put(f"{url}/{static['id']}", json={
        **static, "name": "prod-yaml", "type": "static-yaml", "inventory": YAML, "become_key_id": None})
    assert response.status_code == 204, response.get_json()
    updated = admin_client.get(f"{url}/{static['id']}").get_json()
    assert (updated["name"], updated["type"], updated["inventory"], updated["become_key_id"]) == (
        "prod-yaml", "static-yaml", YAML, None)
    assert updated["ssh_key_id"] == ssh_key

    template_id = insert_template(app, pid, repo["id"], "Deploy", inventory_id=static["id"])
    refs = admin_client.get(f"{url}/{static['id']}/refs").get_json()
    assert refs == {"templates": [{"id": template_id, "name": "Deploy"}]}
    response = admin_client.delete(f"{url}/{static['id']}")
    assert response.status_code == 409
    assert response.get_json()["inUse"] is True and response.get_json()["refs"] == refs
    assert "Deploy" in response.get_json()["error"]

    delete_row(app, "project__template", template_id)
    assert admin_client.get(f"{url}/{static['id']}/refs").get_json() == {"templates": []}
    assert admin_client.delete(f"{url}/{static['id']}").status_code == 204
    assert admin_client.get(f"{url}/{static['id']}").status_code == 404
    assert event_descriptions(admin_client, pid)[:2] == ["Inventory prod-yaml deleted", "Inventory prod-yaml updated"]


def test_invalid_inventories_name_the_field_and_write_nothing(app, admin_client):
    pid = create_project(admin_client)
    other = create_project(admin_client, "Other")
    url = f"/api/project/{pid}/inventory"
    key = create_key(admin_client, pid)
    become = create_login_password_key(admin_client, pid)
    foreign_key = create_key(admin_client, other, "foreign")
    foreign_become = create_login_password_key(admin_client, other)
    foreign_repo = create_repository(admin_client, other, foreign_key)
    foreign_template = insert_template(app, other, foreign_repo["id"])
    inventory = create(admin_client, url, {"name": "hosts", "type": "static", "inventory": "localhost"})
    before = admin_client.get(url).get_json()
    events_before = event_descriptions(admin_client, pid)

    static = {"name": "x", "type": "static"}
    cases = [
        ({"type": "static"}, "name"),
        ({"name": "x"}, "type"),
        ({"name": "x", "type": "dynamic"}, "type"),
        ({**static, "inventory": "[web\nhost1"}, "inventory"),
        ({**static, "inventory": "[web:hosts]\nhost1"}, "inventory"),
        ({**static, "inventory": "[web]\nhost1 ansible_user"}, "inventory"),
        ({**static, "inventory": "[web]\nhost1 ansible_user='deploy"}, "inventory"),
        ({**static, "inventory": "[web:vars]\njust words"}, "inventory"),
        ({**static, "inventory": "[all:children]\nweb db"}, "inventory"),
        ({**static, "inventory": "x" * 70000}, "inventory"),
        ({"name": "x", "type": "static-yaml", "inventory": "all: [unclosed"}, "inventory"),
        ({"name": "x", "type": "static-yaml", "inventory": "- just\n- a list"}, "inventory"),
        ({"name": "x", "type": "static-yaml", "inventory": ""}, "inventory"),
        ({"name": "x", "type": "static-yaml", "inventory": "[" * 5000}, "inventory"),
        ({"name": "x", "type": "file", "inventory": ""}, "inventory"),
        ({"name": "x", "type": "file", "inventory": "/etc/passwd"}, "inventory"),
        ({"name": "x", "type": "file", "inventory": "../other-repo/hosts"}, "inventory"),
        ({"name": "x", "type": "file", "inventory": "hosts/../../../etc/passwd"}, "inventory"),
        ({"name": "x", "type": "file", "inventory": "~/hosts"}, "inventory"),
        ({"name": "x", "type": "terraform-workspace", "inventory": "my workspace"}, "inventory"),
        ({"name": "x", "type": "tofu-workspace", "inventory": "a/b"}, "inventory"),
        ({"name": "x", "type": "tofu-workspace"}, "inventory"),
        ({**static, "ssh_key_id": foreign_key}, "ssh_key_id"),
        ({**static, "ssh_key_id": 0}, "ssh_key_id"),
        ({**static, "become_key_id": key}, "become_key_id"),  # a "none" key has no password
        ({**static, "become_key_id": foreign_become}, "become_key_id"),
        ({**static, "repository_id": foreign_repo["id"]}, "repository_id"),
        ({**static, "holder_id": foreign_template}, "holder_id"),
        ({**static, "project_id": other}, "project_id"),
    ]
    for body, field in cases:
        assert_refused(admin_client, "POST", url, body, field)
        assert_refused(admin_client, "PUT", f"{url}/{inventory['id']}", {**body, "id": inventory["id"]}, field)
    assert admin_client.get(url).get_json() == before
    assert event_descriptions(admin_client, pid) == events_before
    # the message points at the line, without echoing the content (inventories may hold passwords)
    error = assert_refused(admin_client, "POST", url, {**static, "inventory": "[web]\nh1 ansible_password"},
                           "inventory")
    assert "line 2" in error["error"] and "ansible_password" not in error["error"]
    assert create(admin_client, url, {**static, "become_key_id": become})["become_key_id"] == become
