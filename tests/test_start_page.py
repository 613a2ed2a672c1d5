"""The start page a new user opens at http://localhost:3000/."""

from __future__ import annotations

from semaphore.testing import create_user_row


def test_start_page_offers_login_and_its_assets_load(sqlite_app):
    client = sqlite_app.test_client()
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="login-form"' in html and 'type="password"' in html
    for asset in ("/static/start.js", "/static/start.css"):
        response = client.get(asset)
        response.close()
        assert response.status_code == 200, asset
    assert "http://" not in html and "https://" not in html  # nothing from other hosts


def test_the_page_script_signs_in_through_the_api(sqlite_app):
    """The script posts the form to /api/auth/login from the page's own origin, which the cookie
    CSRF check accepts, and then reads /api/user."""
    create_user_row(sqlite_app, "alice")
    client = sqlite_app.test_client()
    script = client.get("/static/start.js")
    script.close()
    response = client.post("/api/auth/login", json={"auth": "alice", "password": "correct horse battery staple"},
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 204
    assert client.get("/api/user", headers={"Origin": "http://localhost"}).get_json()["username"] == "alice"
    assert client.post("/api/auth/logout", headers={"Origin": "http://localhost"}).status_code == 204
    assert client.get("/api/user").status_code == 401


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
    script = client.get("/static/start.js")
    source = script.get_data(as_text=True)
    script.close()
    for expected in ('"TOTP_REQUIRED"', '"/api/auth/verify"', '"/api/auth/recovery"', "/api/auth/oidc/",
                     "oidc_providers", "allow_recovery"):
        assert expected in source, expected
