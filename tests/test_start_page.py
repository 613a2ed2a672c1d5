"""The web pages through Flask's test client: the login page at ``/``, the redirects, the project
pages' access rules and the security headers. tests/test_web_ui.py drives them in a real browser."""

from __future__ import annotations

import re

from semaphore.testing import create_user_row, log_in

PAGE_ASSETS = ("/static/app.css", "/static/app.js", "/static/api.js", "/static/login.js", "/static/projects.js")


def test_login_page_offers_the_password_form_and_its_assets_load(sqlite_app):
    client = sqlite_app.test_client()
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="login-form"' in html and 'type="password"' in html
    for asset in PAGE_ASSETS:
        response = client.get(asset)
        response.close()
        assert response.status_code == 200, asset
    assert "http://" not in html and "https://" not in html  # nothing from other hosts


def test_every_input_has_a_label(sqlite_app):
    html = sqlite_app.test_client().get("/").get_data(as_text=True)
    inputs = re.findall(r'<input id="([^"]+)"', html)
    assert inputs and all(f'<label for="{name}"' in html for name in inputs)


def test_pages_and_assets_carry_a_strict_content_security_policy(sqlite_app):
    client = sqlite_app.test_client()
    for path in ("/", "/static/app.js"):
        response = client.get(path)
        response.close()
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "<style" not in html and " style=" not in html


def test_anonymous_visitors_are_sent_to_the_login_page(sqlite_app):
    client = sqlite_app.test_client()
    for path in ("/projects", "/project/1"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/", path


def test_a_signed_in_user_goes_from_the_login_page_to_the_projects(sqlite_app):
    create_user_row(sqlite_app, "alice")
    client = log_in(sqlite_app.test_client(), "alice")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/projects"


def test_projects_page_lists_the_users_projects_and_only_admins_get_the_create_form(sqlite_app):
    create_user_row(sqlite_app, "root", admin=True)
    create_user_row(sqlite_app, "bob")
    admin = log_in(sqlite_app.test_client(), "root")
    created = admin.post("/api/projects", json={"name": "Web <shop>"}, headers={"Origin": "http://localhost"})
    assert created.status_code == 201
    html = admin.get("/projects").get_data(as_text=True)
    assert "Web &lt;shop&gt;" in html and 'id="create-project-form"' in html
    bob = log_in(sqlite_app.test_client(), "bob")
    html = bob.get("/projects").get_data(as_text=True)
    assert "Web &lt;shop&gt;" not in html and 'id="create-project-form"' not in html and 'id="no-projects"' in html


def test_a_project_page_is_not_found_for_non_members(sqlite_app):
    create_user_row(sqlite_app, "root", admin=True)
    create_user_row(sqlite_app, "bob")
    admin = log_in(sqlite_app.test_client(), "root")
    project_id = admin.post("/api/projects", json={"name": "Ops"}).get_json()["id"]
    assert "No tasks have run" in admin.get(f"/project/{project_id}").get_data(as_text=True)
    bob = log_in(sqlite_app.test_client(), "bob")
    for path in (f"/project/{project_id}", "/project/999999"):
        response = bob.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html", path
        assert "Project not found" in response.get_data(as_text=True)
        assert "Content-Security-Policy" in response.headers


def test_without_password_login_the_page_says_so(tmp_path, _migrated):
    import shutil

    from semaphore.app import create_app
    from semaphore.testing import make_config

    env = dict(_migrated("sqlite"))
    shutil.copy(env["SEMAPHORE_DB_HOST"], tmp_path / "db.sqlite")
    env.update(SEMAPHORE_DB_HOST=str(tmp_path / "db.sqlite"), SEMAPHORE_PASSWORD_LOGIN_DISABLED="true")
    app = create_app(make_config(tmp_path, env), entry_points=False)
    try:
        html = app.test_client().get("/").get_data(as_text=True)
        assert "Password login is disabled" in html and 'id="login-form"' not in html
    finally:
        app.extensions["semaphore"].db.dispose()


def test_the_page_has_the_two_factor_step_and_the_script_drives_it(sqlite_app):
    """When /api/user answers TOTP_REQUIRED the script shows the code form, which posts to
    /api/auth/verify (or /api/auth/recovery); OpenID providers come from GET /api/auth/login."""
    client = sqlite_app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'id="code-form"' in html and 'autocomplete="one-time-code"' in html and 'id="providers"' in html
    script = client.get("/static/login.js")
    source = script.get_data(as_text=True)
    script.close()
    for expected in ('"TOTP_REQUIRED"', '"/api/auth/verify"', '"/api/auth/recovery"', "/api/auth/oidc/",
                     "oidc_providers", "allow_recovery"):
        assert expected in source, expected


def test_a_new_projects_dashboard_lists_the_steps_to_a_first_run_and_ticks_them_off(sqlite_app):
    create_user_row(sqlite_app, "root", admin=True)
    admin = log_in(sqlite_app.test_client(), "root")
    project_id = admin.post("/api/projects", json={"name": "Fresh"}).get_json()["id"]

    def done_steps() -> list[str]:
        html = admin.get(f"/project/{project_id}").get_data(as_text=True)
        assert 'id="getting-started"' in html
        return re.findall(r'<li class="done"><a href="/project/\d+(/\w+)"', html)

    # The "None" key and the "Empty" variable group every project comes with are no step done.
    assert done_steps() == []
    key_id = admin.get(f"/api/project/{project_id}/keys").get_json()[0]["id"]
    created = admin.post(f"/api/project/{project_id}/repositories", json={
        "name": "site", "git_url": "/srv/site", "git_branch": "main", "ssh_key_id": key_id})
    assert created.status_code == 201, created.get_json()
    assert done_steps() == ["/repositories"]
    key = admin.post(f"/api/project/{project_id}/keys", json={
        "name": "deploy", "type": "login_password", "login_password": {"login": "deploy", "password": "pw"}})
    assert key.status_code == 201, key.get_json()
    assert done_steps() == ["/keys", "/repositories"]
    # the default group counts once it holds something
    empty = admin.get(f"/api/project/{project_id}/environment").get_json()[0]
    assert empty["name"] == "Empty"
    changed = admin.put(f"/api/project/{project_id}/environment/{empty['id']}", json={**empty, "json": '{"a": 1}'})
    assert changed.status_code == 204, changed.get_json()
    assert done_steps() == ["/keys", "/repositories", "/environment"]
