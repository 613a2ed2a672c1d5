"""OpenID Connect login through the real `semaphore server` process and a real OpenID provider
(oidc-provider-mock) on loopback, driven like a browser: a cookie jar for the server, a form
submitted at the provider, redirects followed one by one.

One provider and one server serve the whole module; each test uses accounts of its own.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import werkzeug.serving
from live_server import ADMIN, Api
from process_helpers import ServerProcess, free_port
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.filterwarnings(
    # oidc-provider-mock still uses authlib APIs that authlib has deprecated
    "ignore:get_jwt_config", "ignore:authlib.jose module is deprecated", "ignore:The httpx module is deprecated")

CLIENT = {"client_id": "semaphore-e2e", "client_secret": "e2e-secret"}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    from oidc_provider_mock import run_server_in_thread

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider, in this process, serves plain http
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def tampering_proxy(issuer: str) -> Iterator[str]:
    """A token endpoint in front of the provider's that hands out ID tokens whose payload was
    changed after signing (the e-mail swapped for the admin's)."""

    @Request.application
    def forward(request: Request) -> Response:
        answer = requests.post(f"{issuer}/oauth2/token", data=request.form, timeout=10,
                               headers={"Authorization": request.headers.get("Authorization", "")})
        token = answer.json()
        header, payload, signature = token["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["email"] = ADMIN["SEMAPHORE_ADMIN_EMAIL"]
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        token["id_token"] = f"{header}.{payload}.{signature}"
        return Response(json.dumps(token), status=answer.status_code, content_type="application/json")

    server = werkzeug.serving.make_server("127.0.0.1", 0, forward, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/oauth2/token"
    server.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, issuer: str, tampering_proxy: str) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("oidc-e2e")
    closed = f"http://127.0.0.1:{free_port()}"
    providers = {
        "mock": {"provider_url": issuer, **CLIENT, "display_name": "Sign in with Mock", "icon": "login",
                 "color": "teal", "name_claim": "name", "role_mappings": [{"group": "ops", "admin": True}]},
        "templated": {"provider_url": issuer, **CLIENT, "order": 1,
                      "username_claim": "nickname | {{ .given_name }}.{{ .family_name }}",
                      "email_claim": "work_email | email", "name_claim": "full_name"},
        "tampered": {"provider_url": issuer, **CLIENT, "order": 2, "endpoint": {"token": tampering_proxy}},
        "down": {"provider_url": closed, "client_id": "x", "order": 3},
    }
    config = directory / "config.json"
    config.write_text(json.dumps({"oidc_providers": providers}))
    process = ServerProcess(directory, env=ADMIN, args=["--config", str(config)]).start()
    yield process
    process.stop()


def provider_user(issuer: str, email: str, **claims: Any) -> str:
    response = requests.put(f"{issuer}/users/{email}", json={"email": email, **claims}, timeout=10)
    assert response.status_code == 204, response.text
    return email


class Browser:
    """A cookie jar and redirects followed by hand, as a browser does them."""

    def __init__(self, server: ServerProcess) -> None:
        self.url = server.url
        self.jar = requests.Session()

    def log_in(self, provider: str, email: str, redirect: str = "") -> requests.Response:
        start = self.jar.get(f"{self.url}/api/auth/oidc/{provider}/login", allow_redirects=False, timeout=30,
                             params={"redirect": redirect} if redirect else None)
        assert start.status_code == 307, start.text
        at_provider = requests.post(start.headers["Location"], data={"sub": email}, allow_redirects=False, timeout=10)
        assert at_provider.status_code == 302, at_provider.text
        callback = at_provider.headers["Location"]
        assert callback.startswith(f"{self.url}/api/auth/oidc/{provider}/redirect?")
        return self.jar.get(callback, allow_redirects=False, timeout=30)

    def me(self) -> requests.Response:
        return self.jar.get(f"{self.url}/api/user", timeout=30)

    def cookies(self) -> set[str]:
        return {cookie.name for cookie in self.jar.cookies}


def test_login_page_lists_the_providers(server):
    body = requests.get(f"{server.url}/api/auth/login", timeout=30).json()
    assert [p["id"] for p in body["oidc_providers"]] == ["mock", "templated", "tampered", "down"]
    assert body["oidc_providers"][0] == {"id": "mock", "name": "Sign in with Mock", "color": "teal", "icon": "login"}


def test_browser_login_gives_a_session(server, issuer):
    provider_user(issuer, "ann@example.test", preferred_username="ann", name="Ann Example")
    browser = Browser(server)
    response = browser.log_in("mock", "ann@example.test", redirect="project/7/history")
    assert response.status_code == 307 and response.headers["Location"] == "/project/7/history"
    assert browser.cookies() == {"semaphore_session", "semaphore"}  # the login-state cookie is gone
    me = browser.me().json()
    assert (me["username"], me["email"], me["name"], me["external"], me["admin"]) == (
        "ann", "ann@example.test", "Ann Example", True, False)
    assert browser.jar.post(f"{server.url}/api/auth/logout", timeout=30).status_code == 204
    assert browser.me().status_code == 401


def test_groups_claim_mapped_to_admin(server, issuer):
    provider_user(issuer, "olga@example.test", preferred_username="olga", groups=["ops"])
    browser = Browser(server)
    assert browser.log_in("mock", "olga@example.test").status_code == 307
    assert browser.me().json()["admin"] is True


def test_claim_expressions(server, issuer):
    provider_user(issuer, "carl@example.test", given_name="Carl", family_name="Jung")
    browser = Browser(server)
    assert browser.log_in("templated", "carl@example.test").status_code == 307
    me = browser.me().json()
    assert (me["username"], me["email"], me["name"]) == ("carl.jung", "carl@example.test", "Anonymous")


def assert_refused(browser: Browser, response: requests.Response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    message = response.json()["error"]
    for fragment in fragments:
        assert fragment in message, message
    assert browser.cookies() == set()  # no session, no login state left
    assert browser.me().status_code == 401


def test_wrong_state_is_refused(server, issuer):
    provider_user(issuer, "sam@example.test")
    browser = Browser(server)
    start = browser.jar.get(f"{server.url}/api/auth/oidc/mock/login", allow_redirects=False, timeout=30)
    callback = requests.post(start.headers["Location"], data={"sub": "sam@example.test"}, allow_redirects=False,
                             timeout=10).headers["Location"]
    response = browser.jar.get(callback.replace("state=", "state=forged"), allow_redirects=False, timeout=30)
    assert_refused(browser, response, 401, "state returned by the provider does not match")


def test_tampered_id_token_is_refused(server, issuer):
    provider_user(issuer, "mallory@example.test", preferred_username="mallory")
    browser = Browser(server)
    response = browser.log_in("tampered", "mallory@example.test")
    assert_refused(browser, response, 401, "ID token is refused", "signature does not match")


def test_local_account_with_the_same_email_is_not_taken_over(server, issuer):
    admin = Api.logged_in(server.url)
    admin.created("/api/users", {"username": "lena", "name": "Lena", "email": "lena@example.test",
                                 "password": "a local password"})
    provider_user(issuer, "lena@example.test", preferred_username="lena-sso")
    browser = Browser(server)
    response = browser.log_in("mock", "lena@example.test")
    assert_refused(browser, response, 403, "a local account with the login 'lena'", "is not taken over")
    assert response.json()["code"] == "ACCOUNT_CONFLICT"


def test_provider_down_is_a_clear_503(server):
    browser = Browser(server)
    response = browser.jar.get(f"{server.url}/api/auth/oidc/down/login", allow_redirects=False, timeout=30)
    assert_refused(browser, response, 503, "OpenID provider 'down' cannot be reached", "try again later")
    log = server.stderr + server.stdout
    assert "OpenID login failed (503 /api/auth/oidc/down/login)" in log and "Traceback" not in log


def test_unknown_provider_is_404(server):
    response = requests.get(f"{server.url}/api/auth/oidc/nope/login", allow_redirects=False, timeout=30)
    assert response.status_code == 404 and "no OpenID Connect provider 'nope'" in response.json()["error"]
