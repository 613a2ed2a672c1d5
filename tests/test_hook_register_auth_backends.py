"""register_auth_backends: a plugin's password backend is used by POST /api/auth/login, before the
built-in local-password backend; a redirect backend is offered by GET /api/auth/login."""

from __future__ import annotations

from semaphore import AuthBackend, Identity, hookimpl
from semaphore.errors import Unauthorized
from semaphore.testing import TEST_PASSWORD, create_user_row


class Directory(AuthBackend):
    """Knows one person, as a directory service would."""

    id = "directory"
    title = "Directory"
    order = 50  # before the built-in password backend (100)

    def authenticate(self, login, password, context):
        if login != "dora":
            return None
        if password != "directory password":
            raise Unauthorized("wrong password")
        return Identity(username="dora", email="dora@directory.test", name="Dora Directory")


class Portal(AuthBackend):
    id = "portal"
    title = "Company portal"
    kind_of_login = "redirect"


class DirectoryPlugin:
    @hookimpl
    def register_auth_backends(self, register):
        register(Directory())
        register(Portal())


def test_hook_register_auth_backends(plugin_app):
    app = plugin_app(directory=DirectoryPlugin())
    registry = app.extensions["semaphore"].registry
    assert set(registry.auth_backends) == {"password", "directory", "portal"}
    assert [b.id for b in registry.password_backends(app.extensions["semaphore"].config)] == ["directory", "password"]

    client = app.test_client()
    assert client.post("/api/auth/login", json={"auth": "dora", "password": "nope"}).status_code == 401
    assert client.get("/api/user").status_code == 401
    assert client.post("/api/auth/login", json={"auth": "dora", "password": "directory password"}).status_code == 204
    me = client.get("/api/user").get_json()
    assert (me["username"], me["name"], me["email"], me["external"]) == (
        "dora", "Dora Directory", "dora@directory.test", True)

    # Logins the plugin does not know fall through to the built-in local passwords.
    create_user_row(app, "lou")
    other = app.test_client()
    assert other.post("/api/auth/login", json={"auth": "lou", "password": TEST_PASSWORD}).status_code == 204

    providers = client.get("/api/auth/login").get_json()["oidc_providers"]
    assert providers == [{"id": "portal", "name": "Company portal", "color": "", "icon": ""}]
