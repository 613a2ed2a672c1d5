"""Every web page, for every kind of caller: pages only read (writes go through the API), anonymous
visitors are sent to the login page, a project's pages answer 404 to non-members as the API does,
admin pages answer 403 to other users, and a guest member can open every section of the project.

The routes are read from the app, so a page added later is checked without a line here."""

from __future__ import annotations

import re

import pytest

from semaphore.testing import create_user_row, log_in

PUBLIC = {"/"}


def web_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("web.") and rule.endpoint != "web.static"]


def concrete(rule, project_id: int) -> str:
    """The rule with its parameters filled: the given project, and ids that need not exist (the
    project's check comes first)."""
    path = rule.rule.replace("<int:project_id>", str(project_id))
    return re.sub(r"<(?:int:)?[^>]+>", "1", path)


@pytest.fixture
def site(sqlite_app):
    create_user_row(sqlite_app, "root", admin=True)
    create_user_row(sqlite_app, "bob")
    create_user_row(sqlite_app, "gail")
    admin = log_in(sqlite_app.test_client(), "root")
    project_id = admin.post("/api/projects", json={"name": "Ops"}).get_json()["id"]
    users = {user["username"]: user["id"] for user in admin.get("/api/users").get_json()}
    added = admin.post(f"/api/project/{project_id}/users", json={"user_id": users["gail"], "role": "guest"})
    assert added.status_code in (200, 201, 204)
    return sqlite_app, project_id


def test_there_are_pages_and_every_one_only_reads(site):
    app, _ = site
    rules = web_rules(app)
    assert len(rules) >= 3
    writers = [rule.rule for rule in rules if rule.methods - {"GET", "HEAD", "OPTIONS"}]
    assert not writers, f"web pages that write instead of calling the API: {writers}"


def test_anonymous_visitors_are_sent_to_the_login_page(site):
    app, project_id = site
    client = app.test_client()
    for rule in web_rules(app):
        if rule.rule in PUBLIC:
            continue
        response = client.get(concrete(rule, project_id))
        assert response.status_code == 302 and response.headers["Location"] == "/", rule.rule


def test_project_pages_are_not_found_for_non_members_and_admin_pages_forbidden(site):
    app, project_id = site
    bob = log_in(app.test_client(), "bob")
    for rule in web_rules(app):
        path = concrete(rule, project_id)
        if "<int:project_id>" in rule.rule:
            response = bob.get(path)
            assert response.status_code == 404 and response.mimetype == "text/html", rule.rule
        elif rule.rule.startswith("/admin"):
            response = bob.get(path)
            assert response.status_code == 403 and response.mimetype == "text/html", rule.rule


def test_a_guest_opens_every_section_of_the_project_and_admins_every_admin_page(site):
    app, project_id = site
    gail = log_in(app.test_client(), "gail")
    root = log_in(app.test_client(), "root")
    for rule in web_rules(app):
        if rule.arguments == {"project_id"}:
            response = gail.get(concrete(rule, project_id))
            assert response.status_code == 200, (rule.rule, response.get_data(as_text=True)[:300])
        elif rule.rule.startswith("/admin") and not rule.arguments:
            response = root.get(rule.rule)
            assert response.status_code == 200, rule.rule


def test_every_page_has_a_label_for_each_control_and_no_inline_script(site):
    app, project_id = site
    root = log_in(app.test_client(), "root")
    for rule in web_rules(app):
        if rule.arguments - {"project_id"}:
            continue
        response = root.get(concrete(rule, project_id))
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        for control in re.findall(r'<(?:input|select|textarea)\b[^>]*>', html):
            if 'type="hidden"' in control:
                continue
            found = re.search(r'\bid="([^"]+)"', control)
            assert found and f'for="{found.group(1)}"' in html, (rule.rule, control)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html, rule.rule


def forms_without_post(html):
    """The forms a browser would submit with GET, values in the URL, if it submitted them before
    the page's script took over (a search form asks for GET on purpose), and forms that declare
    their method more than once."""
    return [form for form in re.findall(r"<form\b[^>]*>", html)
            if len(re.findall(r'\smethod="', form)) != 1
            or 'method="post"' not in form and not ('method="get"' in form and 'role="search"' in form)]


def test_no_form_can_put_what_was_typed_into_a_url(site):
    app, project_id = site
    login_page = app.test_client().get("/").get_data(as_text=True)
    assert 'id="login-form"' in login_page and forms_without_post(login_page) == []
    root = log_in(app.test_client(), "root")
    checked = 0
    for rule in web_rules(app):
        if rule.arguments - {"project_id"}:
            continue
        response = root.get(concrete(rule, project_id))
        if response.status_code == 200 and response.mimetype == "text/html":
            assert forms_without_post(response.get_data(as_text=True)) == [], rule.rule
            checked += 1
    assert checked > 20
    # Sent natively after all, such a form reaches a page that takes no POST: nothing happens.
    assert root.post(f"/project/{project_id}/keys/new", data={"ssh.private_key": "x"}).status_code == 405
