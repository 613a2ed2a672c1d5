"""Repositories over the API, on every database."""

from __future__ import annotations

from resource_helpers import (
    assert_refused,
    create,
    create_key,
    create_project,
    create_repository,
    delete_row,
    event_descriptions,
    insert_schedule,
    insert_template,
    member_client,
    query,
)

from semaphore import demo
from semaphore.db.models import Inventory
from semaphore.state import app_state
from semaphore.testing import create_user_row, log_in


def test_repository_lifecycle_and_sorting(admin_client):
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/repositories"
    key_b = create_key(admin_client, pid, "b key")
    key_a = create_key(admin_client, pid, "a key")
    repo = create(admin_client, url, {"name": "site", "git_url": "git@github.com:acme/site.git",
                                      "git_branch": "main", "ssh_key_id": key_b, "project_id": pid})
    assert repo == {"id": repo["id"], "name": "site", "project_id": pid, "git_url": "git@github.com:acme/site.git",
                    "git_branch": "main", "ssh_key_id": key_b}
    local = create(admin_client, url, {"name": "local", "git_url": "/srv/playbooks", "ssh_key_id": key_a})
    assert local["git_branch"] == ""
    assert admin_client.get(f"{url}/{repo['id']}").get_json() == repo

    response = admin_client.put(f"{url}/{repo['id']}", json={
        **repo, "name": "site2", "git_url": "https://example.test/site.git", "git_branch": "release/1.0"})
    assert response.status_code == 204
    updated = admin_client.get(f"{url}/{repo['id']}").get_json()
    assert (updated["name"], updated["git_url"], updated["git_branch"]) == (
        "site2", "https://example.test/site.git", "release/1.0")

    def names(query):
        response = admin_client.get(f"{url}?{query}")
        assert response.status_code == 200, response.get_json()
        return [row["name"] for row in response.get_json()]

    assert names("sort=name") == ["local", "site2"]
    assert names("sort=name&order=desc") == ["site2", "local"]
    assert names("sort=ssh_key") == ["local", "site2"]  # by the key's name: "a key" < "b key"
    assert names("sort=git_url") == ["local", "site2"]  # "/srv..." < "https..."
    assert admin_client.get(f"{url}?sort=id; drop table").status_code == 400

    assert admin_client.get(f"{url}/{repo['id']}/refs").get_json() == {
        "templates": [], "inventories": [], "schedules": []}
    assert admin_client.delete(f"{url}/{repo['id']}").status_code == 204
    assert admin_client.get(f"{url}/{repo['id']}").status_code == 404
    assert event_descriptions(admin_client, pid)[:4] == [
        "Repository site2 deleted", "Repository site2 updated", "Repository local created", "Repository site created"]


def test_invalid_repositories_name_the_field_and_write_nothing(app, admin_client):
    pid = create_project(admin_client)
    other = create_project(admin_client, "Other")
    url = f"/api/project/{pid}/repositories"
    key = create_key(admin_client, pid)
    foreign_key = create_key(admin_client, other, "foreign")
    repo = create_repository(admin_client, pid, key)
    good = {"name": "r", "git_url": "https://example.test/r.git", "git_branch": "main", "ssh_key_id": key}
    environment = create(admin_client, f"/api/project/{pid}/environment", {
        "name": "env", "json": "{}", "secrets": [{"type": "var", "name": "X", "secret": "v", "operation": "create"}]})
    secret_id = admin_client.get(f"/api/project/{pid}/environment/{environment['id']}").get_json()["secrets"][0]["id"]
    before = admin_client.get(url).get_json()
    events_before = event_descriptions(admin_client, pid)

    cases = [
        ({**good, "name": ""}, "name"),
        ({k: v for k, v in good.items() if k != "name"}, "name"),
        ({k: v for k, v in good.items() if k != "git_url"}, "git_url"),
        ({**good, "git_url": "  "}, "git_url"),
        ({**good, "git_branch": ""}, "git_branch"),  # required for a remote repository
        ({**good, "git_branch": None}, "git_branch"),
        ({**good, "git_branch": "-upload-pack=evil"}, "git_branch"),
        ({**good, "git_branch": "a..b"}, "git_branch"),
        ({**good, "git_branch": "has space"}, "git_branch"),
        ({k: v for k, v in good.items() if k != "ssh_key_id"}, "ssh_key_id"),
        ({**good, "ssh_key_id": None}, "ssh_key_id"),
        ({**good, "ssh_key_id": 999999}, "ssh_key_id"),
        ({**good, "ssh_key_id": 2**40}, "ssh_key_id"),
        ({**good, "ssh_key_id": foreign_key}, "ssh_key_id"),  # another project's key
        ({**good, "ssh_key_id": secret_id}, "ssh_key_id"),  # an environment secret is not a key-store key
        ({**good, "project_id": other}, "project_id"),
    ]
    for body, field in cases:
        assert_refused(admin_client, "POST", url, body, field)
        assert_refused(admin_client, "PUT", f"{url}/{repo['id']}", {**body, "id": repo["id"]}, field)
    assert_refused(admin_client, "PUT", f"{url}/{repo['id']}", {**good, "id": repo["id"] + 1}, "id")
    assert admin_client.get(url).get_json() == before
    assert event_descriptions(admin_client, pid) == events_before


def sqlite_client(app):
    create_user_row(app, "admin", admin=True)
    return log_in(app.test_client(), "admin")


ACCEPTED_URLS = [
    "/srv/git/site", "/srv/with space/site.git", "file:///srv/git/site.git", "git://example.test/site.git",
    "ssh://git@example.test:2222/acme/site.git", "http://example.test/site.git",
    "https://user@example.test/acme/site.git", "HTTPS://example.test/site.git", "git@github.com:acme/site.git",
    "deploy@[::1]:repos/site.git", "deploy@10.0.0.5:/srv/site.git",
]
REFUSED_URLS = [
    "relative/path", "example.test/site.git", "github.com:acme/site.git", "-oProxyCommand=evil",
    "ext::sh -c touch% /tmp/pwned", "ftp://example.test/site.git", "https:///no-host",
    "ssh://git@example.test:99999/site.git", "file://relative", "https://example.test/a b.git",
    "https://example.test/site.git\n[core]", "git@host", "user@host:", "C:\\repos\\site",
]


def test_git_url_forms(sqlite_app):
    """The URL forms git serves without running commands are accepted; everything else is a 400."""
    client = sqlite_client(sqlite_app)
    pid = create_project(client)
    url = f"/api/project/{pid}/repositories"
    key = create_key(client, pid)
    for git_url in REFUSED_URLS:
        assert_refused(client, "POST", url, {"name": "r", "git_url": git_url, "git_branch": "main",
                                             "ssh_key_id": key}, "git_url")
    assert client.get(url).get_json() == []
    for git_url in ACCEPTED_URLS:
        response = client.post(url, json={"name": "r", "git_url": git_url, "git_branch": "main", "ssh_key_id": key})
        assert response.status_code == 201, (git_url, response.get_json())
        assert response.get_json()["git_url"] == git_url


def test_repository_in_use_is_not_deleted_and_guests_only_read(app, admin_client):
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/repositories"
    key = create_key(admin_client, pid)
    repo = create_repository(admin_client, pid, key, "used")
    spare = create_repository(admin_client, pid, key, "spare")
    template_id = insert_template(app, pid, spare["id"], "Deploy")
    insert_template(app, pid, repo["id"], "Build")
    schedule_id = insert_schedule(app, pid, template_id, "nightly", repository_id=repo["id"])
    inventory = create(admin_client, f"/api/project/{pid}/inventory", {
        "name": "hosts", "type": "file", "inventory": "inventories/prod.ini", "repository_id": repo["id"]})

    refs = admin_client.get(f"{url}/{repo['id']}/refs").get_json()
    assert refs["templates"] == [{"id": template_id + 1, "name": "Build"}]
    assert refs["inventories"] == [{"id": inventory["id"], "name": "hosts"}]
    assert refs["schedules"] == [{"id": schedule_id, "name": "nightly"}]
    response = admin_client.delete(f"{url}/{repo['id']}")
    assert response.status_code == 409
    assert response.get_json()["inUse"] is True and response.get_json()["refs"] == refs
    assert admin_client.get(f"{url}/{repo['id']}").status_code == 200

    guest = member_client(app, admin_client, pid, "guest", "guest")
    assert guest.get(f"{url}/{repo['id']}/refs").get_json() == refs
    assert guest.put(f"{url}/{spare['id']}", json={**spare, "name": "mine"}).status_code == 403
    assert guest.delete(f"{url}/{spare['id']}").status_code == 403
    assert admin_client.get(f"{url}/{spare['id']}").get_json() == spare

    delete_row(app, "project__template", template_id + 1)
    delete_row(app, "project__schedule", schedule_id)
    delete_row(app, Inventory.__tablename__, inventory["id"])
    assert admin_client.delete(f"{url}/{repo['id']}").status_code == 204


def test_a_manager_cannot_point_a_repository_at_the_servers_files(app, admin_client, tmp_path):
    """Local paths and file:// URLs outside local_repository_roots are refused to a manager (403
    naming git_url, nothing written), also when a symlink, ``..`` or %-escapes lead out of a root."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (tmp_path / "secret").mkdir()
    (allowed / "link").symlink_to("/etc")
    app_state(app).config.local_repository_roots = [str(allowed)]
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/repositories"
    key = create_key(admin_client, pid)
    remote = create_repository(admin_client, pid, key)
    approved = create(admin_client, url, {"name": "approved", "git_url": "/srv/playbooks", "ssh_key_id": key})
    manager = member_client(app, admin_client, pid, "manager", "manager")
    before, events_before = admin_client.get(url).get_json(), event_descriptions(admin_client, pid)

    assert_refused_to(manager, url, key, [
        "/etc", "file:///etc", "file://localhost/etc", "/srv/playbooks/../../etc", f"{allowed}/link",
        f"file://{allowed}/link/ssh", f"{allowed}/../secret", f"file://{allowed}/%2e%2e/secret", str(tmp_path),
        f"file://{allowed}x"], remote["id"], approved["id"])
    assert admin_client.get(url).get_json() == before
    assert event_descriptions(admin_client, pid) == events_before

    # what an administrator saved stays usable: a manager may rename it, not move it
    assert manager.put(f"{url}/{approved['id']}", json={**approved, "name": "renamed"}).status_code == 204
    assert admin_approved_url(app, approved["id"]) == "/srv/playbooks"


def test_an_admin_may_use_any_local_path_and_a_manager_one_under_an_allowed_root(app, admin_client, tmp_path):
    allowed = tmp_path / "allowed"
    (allowed / "site").mkdir(parents=True)
    app_state(app).config.local_repository_roots = [f"{allowed}/"]
    pid = create_project(admin_client)
    url = f"/api/project/{pid}/repositories"
    key = create_key(admin_client, pid)
    manager = member_client(app, admin_client, pid, "manager", "manager")

    by_admin = create(admin_client, url, {"name": "etc", "git_url": "file:///etc", "git_branch": "main",
                                          "ssh_key_id": key})
    assert admin_approved_url(app, by_admin["id"]) == "file:///etc"
    data_dir = app_state(app).config.data_path
    (data_dir / "demo").mkdir(parents=True)
    assert_refused_to(manager, url, key, [str(data_dir), f"{data_dir}/demo", f"{data_dir}/generated-secrets.json",
                                          f"{demo.repository_path()}/.."])
    # always allowed: the demo repository shipped in the package
    for git_url in [str(allowed), f"{allowed}/site", f"file://{allowed}/site/../new.git", f"file:///{allowed}/x",
                    str(demo.repository_path()), f"file://{demo.repository_path()}"]:
        created = create(manager, url, {"name": "mine", "git_url": git_url, "git_branch": "main", "ssh_key_id": key})
        assert created["git_url"] == git_url and admin_approved_url(app, created["id"]) is None
    # a manager who moves the administrator's repository elsewhere drops its approval
    moved = {**by_admin, "git_url": f"{allowed}/site"}
    assert manager.put(f"{url}/{by_admin['id']}", json=moved).status_code == 204
    assert admin_approved_url(app, by_admin["id"]) is None


def assert_refused_to(client, url, key, git_urls, *repository_ids):
    """Each URL is refused with 403 naming git_url, to create and to change each repository."""
    for git_url in git_urls:
        body = {"name": "mine", "git_url": git_url, "git_branch": "main", "ssh_key_id": key}
        for method, target in [("POST", url), *[("PUT", f"{url}/{rid}") for rid in repository_ids]]:
            response = client.open(target, method=method, json=body)
            assert response.status_code == 403, (git_url, method, response.get_json())
            assert response.get_json()["field"] == "git_url", response.get_json()


def admin_approved_url(app, repository_id):
    return query(app, "SELECT admin_approved_url FROM project__repository WHERE id = :id", id=repository_id)[0][0]
