"""The browser login against a real OpenID provider on loopback, through the plugin's routes."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from semaphore.plugin_testing import create_user_row


def test_login_page_lists_the_providers_in_order(oidc_app, mock_provider):
    app = oidc_app({"mock": mock_provider(display_name="Sign in with Mock", color="orange",
                                          icon="login", order=2),
                    "second": mock_provider(order=1)})
    body = app.test_client().get("/api/auth/login").get_json()
    assert body["oidc_providers"] == [
        {"id": "second", "name": "second", "color": "", "icon": ""},
        {"id": "mock", "name": "Sign in with Mock", "color": "orange", "icon": "login"},
    ]


def test_full_login_creates_an_external_user_with_a_session(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider(name_claim="name")})
    provider_user("ann@example.test", preferred_username="ann", name="Ann Example")
    browser = browser(app)
    authorize_url = browser.start(redirect="project/1")
    sent = parse_qs(urlsplit(authorize_url).query)
    assert sent["response_type"] == ["code"] and sent["client_id"] == ["semaphore-test"]
    assert sent["code_challenge_method"] == ["S256"] and sent["code_challenge"][0]
    assert sent["state"][0] and sent["nonce"][0] and sent["scope"] == ["openid profile email"]
    assert sent["redirect_uri"] == ["http://localhost/api/auth/oidc/mock/redirect"]
    assert browser.login_state_cookie()

    response = browser.callback(browser.authorize(authorize_url, "ann@example.test"))
    assert response.status_code == 307 and response.headers["Location"] == "/project/1"
    assert browser.session_cookie() and browser.login_state_cookie() is None
    me = browser.client.get("/api/user").get_json()
    assert (me["username"], me["email"], me["name"], me["external"], me["admin"]) == (
        "ann", "ann@example.test", "Ann Example", True, False)


def test_second_login_is_the_same_user_kept_up_to_date(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider(name_claim="name")})
    provider_user("bob@example.test", preferred_username="bob", name="Bob")
    first = browser(app)
    first.log_in("bob@example.test")
    provider_user("bob@example.test", preferred_username="bob", name="Robert")
    second = browser(app)
    assert second.log_in("bob@example.test").status_code == 307
    assert first.client.get("/api/user").get_json()["id"] == second.client.get("/api/user").get_json()["id"]
    assert second.client.get("/api/user").get_json()["name"] == "Robert"


def test_redirect_never_leaves_the_site(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider()})
    provider_user("eve@example.test", preferred_username="eve")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = browser(app).log_in("eve@example.test", redirect=target)
        assert response.status_code == 307 and response.headers["Location"] in ("/", "/evil.example/x"), target


def test_redirect_path_in_the_callback_url(oidc_app, provider_user, browser, mock_provider):
    """A redirect_url that ends in a path (as the original builds them) lands on that page."""
    app = oidc_app({"mock": mock_provider(redirect_url="http://localhost/api/auth/oidc/mock/redirect/tasks")})
    provider_user("tess@example.test", preferred_username="tess")
    response = browser(app).log_in("tess@example.test")
    assert response.status_code == 307 and response.headers["Location"] == "/tasks"


def test_claim_expressions_template_and_fallbacks(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider(username_claim="nickname | {{ .given_name }}-{{ .family_name }}",
                                          email_claim="work_email | email", name_claim="missing_claim")})
    provider_user("carl@example.test", given_name="Carl", family_name="Jung")
    browser = browser(app)
    assert browser.log_in("carl@example.test").status_code == 307
    me = browser.client.get("/api/user").get_json()
    assert (me["username"], me["email"], me["name"]) == ("carl-jung", "carl@example.test", "Anonymous")


def test_random_username_when_the_claim_is_missing(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider(username_claim="|")})
    provider_user("rita@example.test")
    browser = browser(app)
    assert browser.log_in("rita@example.test").status_code == 307
    username = browser.client.get("/api/user").get_json()["username"]
    assert len(username) == 16 and username.isalnum()


def test_no_email_claim_is_a_clear_refusal(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider(email_claim="corporate_mail")})
    provider_user("nomail@example.test", preferred_username="nomail")
    browser = browser(app)
    response = browser.log_in("nomail@example.test")
    assert response.status_code == 401
    assert "gave no e-mail address" in response.get_json()["error"]
    assert "'corporate_mail'" in response.get_json()["error"]
    assert browser.session_cookie() is None and browser.login_state_cookie() is None
    assert browser.client.get("/api/user").status_code == 401


def test_wrong_state_is_refused(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider()})
    provider_user("sam@example.test")
    browser = browser(app)
    callback = browser.authorize(browser.start(), "sam@example.test")
    forged = callback.replace("state=", "state=x")
    response = browser.callback(forged)
    assert response.status_code == 401
    assert "state returned by the provider does not match" in response.get_json()["error"]
    assert browser.session_cookie() is None and browser.login_state_cookie() is None
    # The state is good for one callback: the real one fails too now that the cookie is gone.
    assert browser.callback(callback).status_code == 401


def test_callback_without_a_started_login(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider()})
    provider_user("zed@example.test")
    callback = browser(app).authorize(browser(app).start(), "zed@example.test")
    stranger = browser(app)  # another browser: a login forced on it (login CSRF) is refused
    response = stranger.callback(callback)
    assert response.status_code == 401 and "did not start a login" in response.get_json()["error"]
    assert stranger.session_cookie() is None


def test_provider_refusal_is_reported(oidc_app, browser, mock_provider):
    app = oidc_app({"mock": mock_provider()})
    browser = browser(app)
    authorize_url = browser.start()
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    response = browser.client.get("/api/auth/oidc/mock/redirect",
                                  query_string={"state": state, "error": "access_denied", "error_description": "no"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "OpenID provider 'mock' did not log you in: access_denied -- no"


def test_code_refused_by_the_token_endpoint(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider()})
    provider_user("cody@example.test")
    browser = browser(app)
    callback = browser.authorize(browser.start(), "cody@example.test")
    response = browser.callback(callback.replace("code=", "code=stale"))
    assert response.status_code == 401
    assert "refused the authorization code (invalid_grant" in response.get_json()["error"]
    assert browser.session_cookie() is None


def test_unknown_provider_is_404(oidc_app, mock_provider):
    client = oidc_app({"mock": mock_provider()}).test_client()
    assert client.get("/api/auth/oidc/nope/login").status_code == 404
    assert client.get("/api/auth/oidc/nope/redirect?state=x&code=y").get_json() == {
        "error": "no OpenID Connect provider 'nope' is configured"}


def test_provider_down_is_503(oidc_app, closed_port_url):
    app = oidc_app({"down": {"provider_url": closed_port_url, "client_id": "x"}})
    response = app.test_client().get("/api/auth/oidc/down/login")
    assert response.status_code == 503
    assert response.get_json()["error"].startswith("OpenID provider 'down' cannot be reached: its discovery document")


def test_token_endpoint_down_during_the_callback(oidc_app, provider_user, closed_port_url, browser, mock_provider):
    app = oidc_app({"mock": mock_provider(endpoint={"token": f"{closed_port_url}/token"})})
    provider_user("tom@example.test")
    browser = browser(app)
    response = browser.log_in("tom@example.test")
    assert response.status_code == 503 and "its token endpoint" in response.get_json()["error"]
    assert browser.session_cookie() is None and browser.login_state_cookie() is None


def test_local_account_with_the_same_email_is_not_taken_over(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider()})
    create_user_row(app, "lena", email="lena@example.test")
    provider_user("lena@example.test", preferred_username="lena-sso")
    browser = browser(app)
    response = browser.log_in("lena@example.test")
    assert response.status_code == 403 and response.get_json()["code"] == "ACCOUNT_CONFLICT"
    assert "local account" in response.get_json()["error"]
    assert browser.session_cookie() is None


def test_groups_claim_maps_to_admin_and_project_roles(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider(role_mappings=[{"group": "ops", "admin": True}])})
    provider_user("olga@example.test", preferred_username="olga", groups=["ops", "dev"])
    provider_user("dave@example.test", preferred_username="dave", groups=["dev"])
    olga, dave = browser(app), browser(app)
    olga.log_in("olga@example.test")
    dave.log_in("dave@example.test")
    assert olga.client.get("/api/user").get_json()["admin"] is True
    assert dave.client.get("/api/user").get_json()["admin"] is False


def test_plain_oauth2_provider_uses_userinfo(oidc_app, issuer, provider_user, browser):
    """Without the openid scope there is no ID token (GitHub works this way): userinfo says who."""
    app = oidc_app({"plain": {"client_id": "plain-oauth2", "client_secret": "x", "name_claim": "name",
                              "scopes": ["profile", "email"],
                              "endpoint": {"auth": f"{issuer}/oauth2/authorize", "token": f"{issuer}/oauth2/token",
                                           "userinfo": f"{issuer}/userinfo"}}})
    provider_user("gina@example.test", preferred_username="gina", name="Gina")
    browser = browser(app)
    assert browser.log_in("gina@example.test", provider_id="plain").status_code == 307
    me = browser.client.get("/api/user").get_json()
    assert (me["username"], me["email"], me["name"]) == ("gina", "gina@example.test", "Gina")



def test_with_password_login_disabled_providers_still_log_in(oidc_app, provider_user, browser, mock_provider):
    app = oidc_app({"mock": mock_provider()}, env={"SEMAPHORE_PASSWORD_LOGIN_DISABLED": "true"})
    create_user_row(app, "root", admin=True)
    meta = app.test_client().get("/api/auth/login").get_json()
    assert meta["login_with_password"] is False and [p["id"] for p in meta["oidc_providers"]] == ["mock"]
    refused = app.test_client().post("/api/auth/login", json={"auth": "root", "password": "x"})
    assert refused.status_code == 403
    provider_user("ann@example.test", preferred_username="ann")
    user = browser(app)
    assert user.log_in("ann@example.test").status_code == 307
    assert user.client.get("/api/user").get_json()["username"] == "ann"


def test_an_oidc_user_with_totp_needs_the_code_too(oidc_app, provider_user, browser, mock_provider):
    import pyotp

    app = oidc_app({"mock": mock_provider()}, env={"SEMAPHORE_TOTP_ENABLED": "true"})
    provider_user("ann@example.test", preferred_username="ann")
    first = browser(app)
    first.log_in("ann@example.test")
    user_id = first.client.get("/api/user").get_json()["id"]
    enrolment = first.client.post(f"/api/users/{user_id}/2fas/totp").get_json()
    totp = pyotp.TOTP(enrolment["secret"])
    confirmed = first.client.post(f"/api/users/{user_id}/2fas/totp/{enrolment['id']}/confirm",
                                  json={"passcode": totp.now()})
    assert confirmed.status_code == 200

    second = browser(app)
    assert second.log_in("ann@example.test").status_code == 307 and second.session_cookie()
    assert second.client.get("/api/user").get_json()["error"] == "TOTP_REQUIRED"
    next_code = totp.at(time.time() + 30)  # the current one was spent on the confirmation
    assert second.client.post("/api/auth/verify", json={"passcode": next_code}).status_code == 204
    assert second.client.get("/api/user").get_json()["username"] == "ann"
