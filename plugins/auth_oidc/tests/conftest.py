"""A real OpenID provider (oidc-provider-mock) on loopback, shared by the module's tests, and apps
with this plugin whose ``oidc_providers`` point at it.

``Browser`` plays the user's browser: the app's own cookies live in the Flask test client, the
provider is reached over real HTTP, and the authorize form is submitted as a user would.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import semaphore_auth_oidc
from semaphore_auth_oidc.settings import OidcSettings

from semaphore.plugin_testing import create_app_with_plugins, make_config

CLIENT_ID = "semaphore-test"
CLIENT_SECRET = "s3cret"


@pytest.fixture(scope="session")
def issuer() -> Iterator[str]:
    from oidc_provider_mock import run_server_in_thread

    # The provider itself refuses plain http unless told; loopback http is what a test has.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def provider_user(issuer: str) -> Callable[..., str]:
    """``provider_user(email, **claims)`` creates (or replaces) the provider's account ``email``."""

    def create(email: str, **claims: Any) -> str:
        response = requests.put(f"{issuer}/users/{email}", json={"email": email, **claims}, timeout=10)
        assert response.status_code == 204, response.text
        return email

    return create


@pytest.fixture
def mock_provider(issuer: str) -> Callable[..., dict[str, Any]]:
    """``mock_provider(**options)``: a provider entry for the loopback provider, plus ``options``."""

    def options_for(**options: Any) -> dict[str, Any]:
        return {"provider_url": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **options}

    return options_for


@pytest.fixture
def oidc_app(tmp_path, _migrated) -> Iterator[Callable[..., Any]]:
    """``oidc_app(providers, web_host="", env=None)`` -> an app (SQLite) with this plugin and those
    providers, configured also by the SEMAPHORE_* variables of ``env``."""
    apps: list[Any] = []

    def make(providers: dict[str, Any], web_host: str = "", env: dict[str, str] | None = None) -> Any:
        settings = {**_migrated("sqlite"), **(env or {})}
        database = tmp_path / f"semaphore-{len(apps)}.sqlite"
        shutil.copy(settings["SEMAPHORE_DB_HOST"], database)
        settings["SEMAPHORE_DB_HOST"] = str(database)
        config = dataclasses.replace(make_config(tmp_path, settings), web_host=web_host)
        config.plugin_settings(OidcSettings).oidc_providers = providers
        apps.append(create_app_with_plugins(config, {"auth_oidc": semaphore_auth_oidc}))
        return apps[-1]

    yield make
    for application in apps:
        application.extensions["semaphore"].db.dispose()


class Browser:
    """A user's browser: the test client for our app, real HTTP for the provider."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def start(self, provider_id: str = "mock", redirect: str | None = None) -> str:
        """Click the provider's button; returns the provider's authorize URL we were sent to."""
        response = self.client.get(f"/api/auth/oidc/{provider_id}/login",
                                   query_string={"redirect": redirect} if redirect else None)
        assert response.status_code == 307, response.get_json()
        return str(response.headers["Location"])

    def authorize(self, authorize_url: str, email: str) -> str:
        """Pick the account at the provider; returns the callback URL the provider sends us to."""
        response = requests.post(authorize_url, data={"sub": email}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        return str(response.headers["Location"])

    def callback(self, callback_url: str) -> Any:
        parts = urlsplit(callback_url)
        return self.client.get(f"{parts.path}?{parts.query}")

    def log_in(self, email: str, provider_id: str = "mock", redirect: str | None = None) -> Any:
        return self.callback(self.authorize(self.start(provider_id, redirect), email))

    def session_cookie(self) -> str | None:
        cookie = self.client.get_cookie("semaphore_session", path="/")
        return cookie.value if cookie else None

    def login_state_cookie(self) -> str | None:
        cookie = self.client.get_cookie("oauthstate", path="/api/auth/oidc/")
        return cookie.value if cookie else None


@pytest.fixture
def browser() -> type[Browser]:
    """``browser(app)``: a new browser, with no cookies yet."""
    return Browser


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: a provider that is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
