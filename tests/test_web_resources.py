"""The key store, inventory, variable group and repository screens in a real browser against a real
`semaphore server`: a user fills the forms, sees the API's refusals on the field they name, and the
result is checked through the API; secrets never come back, neither in a page nor from the API.

One server and one browser for the module; each test gets a fresh browser context."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess

import pytest
from browser_helpers import assert_ran_cleanly, screenshot, scrolls_horizontally, sign_in
from live_server import git_repository

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "correct-horse-sudo-9"
SECRET_VALUE = "s3cret-db-value-77"


# server and api: browser_helpers' module fixtures


@pytest.fixture(scope="module")
def private_key(tmp_path_factory):
    path = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "web-test", "-f", str(path)], check=True)
    return path.read_text()


def stored_secret(server, key_id):
    """The key's encrypted secret as the server stored it (the API never returns it)."""
    (database,) = [path for path in (server.directory / "data").rglob("*") if path.suffix in (".sqlite", ".db")]
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT type, secret FROM access_key WHERE id = ?", (key_id,)).fetchone()


def by_name(api, path, name):
    status, rows = api("GET", path)
    assert status == 200, rows
    (row,) = [row for row in rows if row["name"] == name]
    return row


def row(page, name):
    return page.locator("tbody tr", has=page.get_by_role("cell", name=name, exact=True))


def submit(page, button, list_path):
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(re.escape(list_path) + "$"))


def assert_marked(page, alert_id, field_id, text):
    page.locator(f"#{alert_id}").filter(has_text=text).wait_for()
    assert page.locator(f"#{field_id}").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == field_id


def test_create_every_resource_through_its_form_then_edit_and_delete(
        desktop_page, server, api, private_key, tmp_path, artifact_dir):
    page = desktop_page
    pid = api.created("/api/projects", {"name": "Resources"})["id"]
    base = f"{server.url}/project/{pid}"
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")

    # An ssh key: refused without its private key (the API names ssh.private_key), then created.
    page.goto(base + "/keys/new")
    page.get_by_label("Name", exact=True).fill("deploy")
    page.get_by_label("SSH login (optional)").fill("deployer")
    page.get_by_role("button", name="Create key").click()
    assert_marked(page, "key-error", "key-ssh-private-key", "required for an ssh key")
    page.get_by_label("Private key").fill(private_key)
    submit(page, "Create key", base + "/keys")
    assert row(page, "deploy").get_by_role("cell", name="SSH key").is_visible()
    ssh_key = by_name(api, f"/api/project/{pid}/keys", "deploy")
    assert ssh_key["type"] == "ssh" and ssh_key["empty"] is False

    # A login/password key: the ssh inputs are hidden and not sent.
    page.get_by_role("link", name="New key").click()
    page.get_by_label("Name", exact=True).fill("sudo")
    page.get_by_label("Type").select_option("login_password")
    expect(page.get_by_label("Private key")).to_be_hidden()  # once the page's script has run
    page.get_by_label("Login (optional)", exact=True).fill("ops")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Create key", base + "/keys")
    sudo_key = by_name(api, f"/api/project/{pid}/keys", "sudo")
    assert sudo_key["type"] == "login_password"
    api.created(f"/api/project/{pid}/keys", {"name": "unused", "type": "none"})
    page.reload()
    screenshot(page, artifact_dir, "key-store", for_docs=True)

    # A repository with a file:// URL: a URL git cannot use is refused on its field.
    url = git_repository(tmp_path / "playbooks", {"site.yml": "- hosts: all\n"})
    page.goto(base + "/repositories/new")
    page.get_by_label("Name", exact=True).fill("playbooks")
    page.get_by_label("URL").fill("ext::sh -c touch% /tmp/owned")
    page.get_by_label("Access key").select_option(label="deploy")
    page.get_by_role("button", name="Create repository").click()
    assert_marked(page, "repository-error", "repository-url", "must be an absolute local path")
    page.get_by_label("URL").fill(url)
    submit(page, "Create repository", base + "/repositories")
    repository = by_name(api, f"/api/project/{pid}/repositories", "playbooks")
    assert (repository["git_url"], repository["git_branch"], repository["ssh_key_id"]) == (url, "main", ssh_key["id"])
    assert row(page, "playbooks").get_by_role("cell", name=url).is_visible()

    # A static inventory connecting with the ssh key and becoming with the login/password key.
    page.goto(base + "/inventory/new")
    page.get_by_label("Name", exact=True).fill("production")
    page.get_by_label("Inventory (INI)").fill("[web\nweb1.example.test")
    page.get_by_label("SSH key").select_option(label="deploy")
    page.get_by_label("Become key").select_option(label="sudo")
    page.get_by_role("button", name="Create inventory").click()
    assert_marked(page, "inventory-error", "inventory-ini", "is not an INI inventory")
    page.get_by_label("Inventory (INI)").fill("[web]\nweb1.example.test ansible_port=2222\n")
    submit(page, "Create inventory", base + "/inventory")
    inventory = by_name(api, f"/api/project/{pid}/inventory", "production")
    assert (inventory["type"], inventory["ssh_key_id"], inventory["become_key_id"]) == (
        "static", ssh_key["id"], sudo_key["id"])
    assert inventory["inventory"] == "[web]\nweb1.example.test ansible_port=2222\n"
    assert row(page, "production").get_by_role("cell", name="deploy").is_visible()
    page.goto(f"{base}/inventory/{inventory['id']}/edit")
    assert page.get_by_label("SSH key").locator("option:checked").inner_text() == "deploy"
    screenshot(page, artifact_dir, "inventory-form", for_docs=True)

    # A variable group: JSON checked before sending, a bad secret name refused by the API.
    page.goto(base + "/environment/new")
    page.get_by_label("Name", exact=True).fill("prod vars")
    page.get_by_label("Extra variables (JSON)").fill('{"region": "eu",}')
    page.get_by_role("button", name="Add variable").click()
    page.locator("[data-env-name]").fill("APP_MODE")
    page.locator("[data-env-value]").fill("production")
    page.get_by_role("button", name="Add secret").click()
    page.locator("[data-secret-name]").fill("db-password")
    page.locator("[data-secret-value]").fill(SECRET_VALUE)
    page.get_by_role("button", name="Create variable group").click()
    assert_marked(page, "environment-error", "environment-json", "must be a JSON object")
    page.get_by_label("Extra variables (JSON)").fill('{"region": "eu"}')
    page.get_by_role("button", name="Create variable group").click()
    secret_name = page.locator("[data-secret-name]")
    page.locator("#environment-error").filter(has_text="must be an identifier").wait_for()
    assert secret_name.get_attribute("aria-invalid") == "true"
    secret_name.fill("db_password")
    submit(page, "Create variable group", base + "/environment")
    environment = by_name(api, f"/api/project/{pid}/environment", "prod vars")
    status, environment = api("GET", f"/api/project/{pid}/environment/{environment['id']}")
    assert json.loads(environment["json"]) == {"region": "eu"}
    assert json.loads(environment["env"]) == {"APP_MODE": "production"}
    assert [(s["type"], s["name"], s["secret"]) for s in environment["secrets"]] == [("var", "db_password", "")]
    # Editing it: a new value replaces the secret (the old one is never shown), Remove deletes it.
    secret_id = environment["secrets"][0]["id"]
    before = stored_secret(server, secret_id)
    page.goto(f"{base}/environment/{environment['id']}/edit")
    assert SECRET_VALUE not in page.content()
    page.get_by_label("New value for db_password").fill("rotated-value")
    submit(page, "Save variable group", base + "/environment")
    assert stored_secret(server, secret_id)[1] not in (None, before[1])
    page.goto(f"{base}/environment/{environment['id']}/edit")
    assert page.locator("[data-env-name]").input_value() == "APP_MODE"
    page.get_by_label("Remove db_password").check()
    submit(page, "Save variable group", base + "/environment")
    status, edited = api("GET", f"/api/project/{pid}/environment/{environment['id']}")
    assert edited["secrets"] == [] and json.loads(edited["env"]) == {"APP_MODE": "production"}

    # Nothing secret comes back from a page or the API.
    for path in ("/keys", f"/keys/{ssh_key['id']}/edit", f"/keys/{sudo_key['id']}/edit", "/environment"):
        page.goto(base + path)
        html = page.content()
        assert PASSWORD not in html and SECRET_VALUE not in html and "PRIVATE KEY-----\n" not in html, path
    for path in ("keys", "inventory", "environment", f"environment/{environment['id']}", "repositories"):
        answer = json.dumps(api("GET", f"/api/project/{pid}/{path}")[1])
        assert PASSWORD not in answer and SECRET_VALUE not in answer and "PRIVATE KEY" not in answer, path

    # Renaming a key without touching its credentials keeps them exactly as stored.
    before = stored_secret(server, ssh_key["id"])
    page.goto(f"{base}/keys/{ssh_key['id']}/edit")
    assert page.get_by_label("Private key").input_value() == ""
    page.get_by_label("Name", exact=True).fill("deploy key")
    submit(page, "Save key", base + "/keys")
    assert by_name(api, f"/api/project/{pid}/keys", "deploy key")["type"] == "ssh"
    assert stored_secret(server, ssh_key["id"]) == before and before[1]

    # A key the inventory and the repository still use cannot be deleted; an unused one can.
    row(page, "deploy key").get_by_role("button", name="Delete").click()
    dialog = page.locator("#confirm-dialog")
    dialog.get_by_text("Inventory “production”").wait_for()
    assert dialog.get_by_text("Repository “playbooks”").is_visible()
    assert dialog.get_by_role("button", name="Delete").is_disabled()
    dialog.get_by_role("button", name="Cancel").click()
    row(page, "unused").get_by_role("button", name="Delete").click()
    dialog.get_by_text("This cannot be undone.").wait_for()
    dialog.get_by_role("button", name="Delete").click()
    row(page, "unused").wait_for(state="detached")
    assert [key["name"] for key in api("GET", f"/api/project/{pid}/keys")[1]].count("unused") == 0
    assert row(page, "deploy key").is_visible()
    assert_ran_cleanly(page)


def test_create_an_inventory_on_a_phone(phone_page, server, api):
    page = phone_page
    pid = api.created("/api/projects", {"name": "Pocket"})["id"]
    base = f"{server.url}/project/{pid}"
    sign_in(page, server)
    page.wait_for_url(server.url + "/projects")
    page.goto(base + "/inventory/new")
    page.get_by_label("Name", exact=True).fill("workspace")
    page.get_by_label("Type").select_option("terraform-workspace")
    expect(page.get_by_label("SSH key")).to_be_hidden()
    page.get_by_label("Workspace name").fill("staging")
    assert not scrolls_horizontally(page)
    submit(page, "Create inventory", base + "/inventory")
    assert row(page, "workspace").is_visible() and not scrolls_horizontally(page)
    inventory = by_name(api, f"/api/project/{pid}/inventory", "workspace")
    assert (inventory["type"], inventory["inventory"], inventory["ssh_key_id"]) == (
        "terraform-workspace", "staging", None)
    assert_ran_cleanly(page)
