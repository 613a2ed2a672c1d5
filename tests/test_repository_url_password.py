"""A password written into a repository's git URL (https://user:password@host/...) is a secret: the
API and the pages answer the URL with *** in its place, and a client that sends back what it read
keeps the stored password. The mask never carries the password to another host. On every database."""

from __future__ import annotations

import re

from resource_helpers import create, create_key, create_project, event_descriptions
from sqlalchemy import select

from semaphore.db.models import Repository

PASSWORD = "hunter2-in-the-url"
STORED = f"https://deploy:{PASSWORD}@git.example.test/acme/site.git"
SHOWN = "https://deploy:***@git.example.test/acme/site.git"


def stored_url(app, repository_id):
    with app.extensions["semaphore"].db.session() as db:
        return db.scalar(select(Repository.git_url).where(Repository.id == repository_id))


def repository(admin_client, pid):
    key = create_key(admin_client, pid, "none")
    return create(admin_client, f"/api/project/{pid}/repositories", {
        "name": "site", "git_url": STORED, "git_branch": "main", "ssh_key_id": key, "project_id": pid})


def test_the_api_never_answers_the_password(app, admin_client):
    pid = create_project(admin_client)
    created = repository(admin_client, pid)
    assert created["git_url"] == SHOWN
    url = f"/api/project/{pid}/repositories"
    for answer in (admin_client.get(f"{url}/{created['id']}"), admin_client.get(url),
                   admin_client.get(f"/api/project/{pid}/events")):
        assert answer.status_code == 200
        assert PASSWORD not in answer.get_data(as_text=True)
    assert stored_url(app, created["id"]) == STORED
    assert any("site" in description for description in event_descriptions(admin_client, pid))


def test_sending_back_the_masked_url_keeps_the_stored_password(app, admin_client):
    pid = create_project(admin_client)
    created = repository(admin_client, pid)
    url = f"/api/project/{pid}/repositories/{created['id']}"
    response = admin_client.put(url, json={**created, "name": "renamed", "git_branch": "release"})
    assert response.status_code == 204, response.get_json()
    assert stored_url(app, created["id"]) == STORED
    assert admin_client.get(url).get_json()["name"] == "renamed"

    # A new password replaces it; a URL without one drops it.
    new = STORED.replace(PASSWORD, "rotated-secret")
    assert admin_client.put(url, json={**created, "git_url": new}).status_code == 204
    assert stored_url(app, created["id"]) == new
    plain = "https://git.example.test/acme/site.git"
    assert admin_client.put(url, json={**created, "git_url": plain}).status_code == 204
    assert stored_url(app, created["id"]) == plain


def test_the_mask_never_sends_the_password_to_another_host_or_login(app, admin_client):
    pid = create_project(admin_client)
    created = repository(admin_client, pid)
    url = f"/api/project/{pid}/repositories/{created['id']}"
    for moved in ("https://deploy:***@evil.example.test/acme/site.git",
                  "https://other:***@git.example.test/acme/site.git",
                  "http://deploy:***@git.example.test/acme/site.git",
                  "https://deploy:***@git.example.test:8443/acme/site.git"):
        response = admin_client.put(url, json={**created, "git_url": moved})
        assert response.status_code == 400, moved
        body = response.get_json()
        assert body["field"] == "git_url" and "enter the password again" in body["error"], body
    assert stored_url(app, created["id"]) == STORED
    # A new repository has no stored password for the mask to stand for.
    response = admin_client.post(f"/api/project/{pid}/repositories", json={
        "name": "copy", "git_url": SHOWN, "git_branch": "main", "ssh_key_id": created["ssh_key_id"]})
    assert response.status_code == 400 and response.get_json()["field"] == "git_url"


def test_the_pages_show_the_masked_url(app, admin_client):
    pid = create_project(admin_client)
    created = repository(admin_client, pid)
    for page in (f"/project/{pid}/repositories", f"/project/{pid}/repositories/{created['id']}/edit"):
        response = admin_client.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and PASSWORD not in html, page
        assert re.search(re.escape(SHOWN), html), page
