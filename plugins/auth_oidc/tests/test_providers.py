"""The ``oidc_providers`` entries: defaults as the original's, and every mistake named by its key."""

from __future__ import annotations

import pytest
import semaphore_auth_oidc
from semaphore_auth_oidc.providers import DEFAULT_SCOPES, parse_provider

from semaphore.config import Config
from semaphore.plugin_api.errors import ConfigError, PluginError
from semaphore.plugin_api.identity import RoleMapping

MINIMAL = {"provider_url": "https://sso.example.test", "client_id": "semaphore"}


def test_defaults_are_the_originals():
    provider = parse_provider("sso", MINIMAL, "https://semaphore.example.test/")
    assert provider.scopes == DEFAULT_SCOPES == ("openid", "profile", "email")
    assert (provider.username_claim, provider.name_claim, provider.email_claim) == (
        "preferred_username", "preferred_username", "email")
    assert provider.redirect_url == "https://semaphore.example.test/api/auth/oidc/sso/redirect"
    assert (provider.groups_claim, provider.role_mappings, provider.order) == ("groups", (), 0)


def test_values_beat_their_files(tmp_path):
    (tmp_path / "id").write_text("from-file\n")
    (tmp_path / "secret").write_text("secret-from-file\n")
    files = {"client_id_file": str(tmp_path / "id"), "client_secret_file": str(tmp_path / "secret")}
    from_files = parse_provider("sso", {"provider_url": "https://sso.example.test", **files}, "")
    assert (from_files.client_id, from_files.client_secret) == ("from-file", "secret-from-file")
    given = parse_provider("sso", {**MINIMAL, **files, "client_secret": "given"}, "")
    assert (given.client_id, given.client_secret) == ("semaphore", "given")


def test_explicit_endpoints_instead_of_discovery():
    provider = parse_provider("gh", {"client_id": "x", "endpoint": {
        "auth": "https://github.com/login/oauth/authorize", "token": "https://github.com/login/oauth/access_token",
        "userinfo": "https://api.github.com/user", "algorithms": ["RS256"]}}, "")
    assert provider.endpoint.userinfo == "https://api.github.com/user" and provider.endpoint.algorithms == ("RS256",)


def test_role_mappings():
    provider = parse_provider("sso", {**MINIMAL, "role_mappings": [{"group": "ops", "admin": True}]}, "")
    assert provider.role_mappings == (RoleMapping(group="ops", admin=True),)


@pytest.mark.parametrize(("options", "message"), [
    ({**MINIMAL, "client_secrte": "x"}, "oidc_providers.sso.client_secrte: unknown key"),
    ({"provider_url": "https://sso.example.test"}, "oidc_providers.sso.client_id: required"),
    ({"client_id": "x"}, "oidc_providers.sso.provider_url: required, unless endpoint.auth and endpoint.token"),
    ({"client_id": "x", "endpoint": {"auth": "https://a.example"}}, "oidc_providers.sso.provider_url: required"),
    ({**MINIMAL, "endpoint": {"authorize": "x"}}, "oidc_providers.sso.endpoint.authorize: unknown key"),
    ({**MINIMAL, "scopes": "openid"}, "oidc_providers.sso.scopes: must be a list"),
    ({**MINIMAL, "order": "1"}, "oidc_providers.sso.order: must be a whole number"),
    ({**MINIMAL, "client_id": 5}, "oidc_providers.sso.client_id: must be a string"),
    ({**MINIMAL, "role_mappings": [{"group": "ops"}]}, r"oidc_providers.sso.role_mappings\[0\]: grants nothing"),
    ({"provider_url": "https://sso.example.test", "client_secret_file": "/nonexistent/secret", "client_id": "x"},
     "oidc_providers.sso.client_secret_file: cannot read '/nonexistent/secret'"),
    ({"provider_url": "https://sso.example.test", "client_id_file": "/nonexistent/id"},
     "oidc_providers.sso.client_id_file: cannot read"),
])
def test_mistakes_name_their_key(options, message):
    with pytest.raises(ConfigError, match=message):
        parse_provider("sso", options, "")


def test_provider_id_must_be_a_path_segment():
    with pytest.raises(ConfigError, match="oidc_providers.a/b: a provider id may hold only"):
        parse_provider("a/b", MINIMAL, "")


def test_bad_entry_stops_the_app_from_being_built(oidc_app):
    with pytest.raises(PluginError, match="oidc_providers.sso.client_id: required"):
        oidc_app({"sso": {"provider_url": "https://sso.example.test"}})


def test_no_providers_no_buttons(oidc_app):
    body = oidc_app({}).test_client().get("/api/auth/login").get_json()
    assert body["oidc_providers"] == [] and body["login_with_password"] is True
    assert semaphore_auth_oidc.OidcBackend().enabled(Config()) is False
