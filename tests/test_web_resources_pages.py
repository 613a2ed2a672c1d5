"""The key store, inventory, variable group and repository pages through Flask's test client: what
each list shows, that secrets never reach a page, which controls each role gets, paging, and the
forms' wiring to the API. tests/test_web_resources.py drives the same pages in a real browser."""

from __future__ import annotations

import re

import pytest

from semaphore.git_url_password import masked
from semaphore.testing import create_user_row, log_in
from semaphore.web.resources import PAGE_SIZE

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n"
SECRETS = ("c2VjcmV0LWtleS1tYXRlcmlhbA", "hunter2-password", "sesame-passphrase", "pa55word", "vault-value-42")


@pytest.fixture
def project(sqlite_app):
    """A project with one of each resource, an admin ``root`` and a guest ``gail``."""
    create_user_row(sqlite_app, "root", admin=True)
    gail_id = create_user_row(sqlite_app, "gail")
    root = log_in(sqlite_app.test_client(), "root")
    pid = root.post("/api/projects", json={"name": "Ops"}).get_json()["id"]
    assert root.post(f"/api/project/{pid}/users", json={"user_id": gail_id, "role": "guest"}).status_code < 300

    def created(path, body):
        response = root.post(f"/api/project/{pid}/{path}", json={"project_id": pid, **body})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    ids = {
        "ssh": created("keys", {"name": "deploy key", "type": "ssh", "ssh": {
            "login": "deploy", "private_key": PRIVATE_KEY, "passphrase": "sesame-passphrase"}}),
        "become": created("keys", {"name": "sudo", "type": "login_password",
                                   "login_password": {"login": "ops", "password": "hunter2-password"}}),
    }
    ids["repository"] = created("repositories", {"name": "playbooks", "git_url": "https://bot:pa55word@git.example/p.git",
                                                 "git_branch": "main", "ssh_key_id": ids["become"]})
    ids["inventory"] = created("inventory", {"name": "production", "type": "static", "inventory": "[web]\nweb1",
                                             "ssh_key_id": ids["ssh"], "become_key_id": ids["become"]})
    ids["environment"] = created("environment", {
        "name": "prod vars", "json": '{"region": "eu", "tier": "web"}', "env": '{"LANG": "C"}',
        "secrets": [{"type": "var", "name": "vault_token", "secret": "vault-value-42", "operation": "create"}]})
    return sqlite_app, pid, ids


def pages(pid, ids):
    return {
        "keys": (f"/project/{pid}/keys", f"/project/{pid}/keys/new", f"/project/{pid}/keys/{ids['ssh']}/edit"),
        "inventory": (f"/project/{pid}/inventory", f"/project/{pid}/inventory/new",
                      f"/project/{pid}/inventory/{ids['inventory']}/edit"),
        "environment": (f"/project/{pid}/environment", f"/project/{pid}/environment/new",
                        f"/project/{pid}/environment/{ids['environment']}/edit"),
        "repositories": (f"/project/{pid}/repositories", f"/project/{pid}/repositories/new",
                         f"/project/{pid}/repositories/{ids['repository']}/edit"),
    }


def text(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def row_of(html, name):
    """The table row that starts with the cell ``name``, as text without tags."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row {name!r}")


def test_the_lists_show_the_useful_columns(project):
    app, pid, ids = project
    root = log_in(app.test_client(), "root")
    keys = text(root, f"/project/{pid}/keys")
    assert row_of(keys, "deploy key")[:2] == ["deploy key", "SSH key"]
    assert row_of(keys, "sudo")[:2] == ["sudo", "Login and password"]
    assert row_of(text(root, f"/project/{pid}/inventory"), "production")[:4] == [
        "production", "Static (INI)", "deploy key", "sudo"]
    assert row_of(text(root, f"/project/{pid}/environment"), "prod vars")[:4] == ["prod vars", "2", "1", "1"]
    assert row_of(text(root, f"/project/{pid}/repositories"), "playbooks")[:4] == [
        "playbooks", "https://bot:***@git.example/p.git", "main", "sudo"]


def test_no_page_contains_a_secret(project):
    app, pid, ids = project
    for who in ("root", "gail"):
        client = log_in(app.test_client(), who)
        for paths in pages(pid, ids).values():
            for path in paths:
                html = text(client, path)
                # The repository's own edit form holds its URL as stored (the API returns it too).
                allowed = {"pa55word"} if path.endswith(f"/repositories/{ids['repository']}/edit") else set()
                leaked = [secret for secret in SECRETS if secret in html and secret not in allowed]
                assert not leaked, (who, path, leaked)


def test_the_key_edit_form_is_write_only_and_sends_only_what_was_typed(project):
    app, pid, ids = project
    root = log_in(app.test_client(), "root")
    html = text(root, f"/project/{pid}/keys/{ids['ssh']}/edit")
    assert f'data-api="/api/project/{pid}/keys/{ids["ssh"]}"' in html and 'data-method="PUT"' in html
    assert 'data-stored-type="ssh"' in html and "Leave empty to keep the stored value" in html
    for name in ("ssh.private_key", "ssh.passphrase", "login_password.password"):
        control = re.search(rf'<(?:input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', html).group(0)
        assert "data-write-only" in control, control
    assert re.search(r'<textarea[^>]*name="ssh.private_key"[^>]*></textarea>', html)
    # What the form sends without a typed secret: the API keeps the stored one.
    assert root.put(f"/api/project/{pid}/keys/{ids['ssh']}", json={
        "name": "deploy key 2", "type": "ssh", "override_secret": False}).status_code == 204
    key = root.get(f"/api/project/{pid}/keys/{ids['ssh']}").get_json()
    assert key["name"] == "deploy key 2" and key["type"] == "ssh" and key["empty"] is False


def test_the_inventory_form_offers_every_type_and_the_projects_keys(project):
    app, pid, ids = project
    root = log_in(app.test_client(), "root")
    html = text(root, f"/project/{pid}/inventory/{ids['inventory']}/edit")
    for inventory_type in ("static", "static-yaml", "file", "terraform-workspace", "tofu-workspace"):
        assert f'<option value="{inventory_type}"' in html, inventory_type
    assert re.search(r'<option value="static" selected>Static \(INI\)', html)
    assert re.search(rf'<select id="inventory-ssh-key"[^>]*>.*?<option value="{ids["ssh"]}" selected>deploy key',
                     html, re.S)
    become = re.search(r'<select id="inventory-become-key".*?</select>', html, re.S).group(0)
    assert "sudo" in become and "deploy key" not in become  # only login/password keys can become
    assert "[web]\nweb1</textarea>" in html


def test_the_variable_group_form_lists_secret_names_with_remove_boxes(project):
    app, pid, ids = project
    root = log_in(app.test_client(), "root")
    html = text(root, f"/project/{pid}/environment/{ids['environment']}/edit")
    assert "vault_token" in html and "vault-value-42" not in html
    assert 'id="secret-remove-' in html and 'value="LANG"' in html and 'value="C"' in html
    assert "{&#34;region&#34;: &#34;eu&#34;, &#34;tier&#34;: &#34;web&#34;}</textarea>" in html


def test_a_guest_sees_the_lists_read_only(project):
    app, pid, ids = project
    gail = log_in(app.test_client(), "gail")
    for list_path, new_path, edit_path in pages(pid, ids).values():
        html = text(gail, list_path)
        assert "data-delete=" not in html and "/new" not in html and "/edit" not in html, list_path
        for path in (new_path, edit_path):
            html = text(gail, path)
            assert 'id="read-only"' in html and "data-api=" not in html and "data-delete=" not in html, path
    root = log_in(app.test_client(), "root")
    html = text(root, f"/project/{pid}/keys")
    assert f'href="/project/{pid}/keys/new"' in html
    assert f'data-delete="/api/project/{pid}/keys/{ids["ssh"]}" data-what="key “deploy key”"' in html
    assert f'data-refs="/api/project/{pid}/keys/{ids["ssh"]}/refs"' in html


def test_an_object_of_another_project_is_not_found(project):
    app, pid, ids = project
    root = log_in(app.test_client(), "root")
    other = root.post("/api/projects", json={"name": "Other"}).get_json()["id"]
    for _, _, edit_path in pages(pid, ids).values():
        response = root.get(edit_path.replace(f"/project/{pid}/", f"/project/{other}/"))
        assert response.status_code == 404 and response.mimetype == "text/html", edit_path


def test_long_lists_are_paged(project):
    app, pid, _ = project
    root = log_in(app.test_client(), "root")
    for number in range(PAGE_SIZE):
        assert root.post(f"/api/project/{pid}/keys", json={"name": f"k{number:03}", "type": "none"}).status_code == 201
    first = text(root, f"/project/{pid}/keys")
    assert "k000" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = text(root, f"/project/{pid}/keys?page=2")
    assert 'rel="prev"' in second and 'rel="next"' not in second and "k000" not in second
    assert "sudo" in second  # names sort "deploy key" < "k..." < "sudo"
    assert "k000" in text(root, f"/project/{pid}/keys?page=0")  # out of range: the first page


def test_the_resource_script_and_styles_load(project):
    app, _, _ = project
    client = app.test_client()
    for asset in ("/static/resources.js", "/static/resources.css"):
        response = client.get(asset)
        response.close()
        assert response.status_code == 200, asset


@pytest.mark.parametrize(("url", "shown"), [
    ("https://bot:pa55word@git.example/p.git", "https://bot:***@git.example/p.git"),
    ("https://git.example/p.git", "https://git.example/p.git"),
    ("ssh://git@git.example:2222/p.git", "ssh://git@git.example:2222/p.git"),
    ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
    ("file:///srv/repo", "file:///srv/repo"),
])
def test_a_password_in_a_repository_url_is_hidden(url, shown):
    assert masked(url) == shown
