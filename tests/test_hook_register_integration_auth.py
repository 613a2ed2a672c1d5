"""register_integration_auth: built-in webhook authentication plus a plugin's own method."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from semaphore import IntegrationAuth, WebhookRequest, hookimpl
from semaphore.errors import ValidationError


@pytest.fixture
def dialect():
    return "sqlite"  # registration does not depend on the database


class BasicAuth(IntegrationAuth):
    auth_method = "basic"

    def verify(self, request, secret, header):
        return request.header("Authorization") == f"Basic {secret}"


class BasicAuthPlugin:
    @hookimpl
    def register_integration_auth(self, register):
        register(BasicAuth())


def test_hook_register_integration_auth(plugin_app):
    registry = plugin_app(basic=BasicAuthPlugin()).extensions["semaphore"].registry
    assert {k: a.plugin for k, a in registry.integration_auth.items()} == {
        "": "integration_auth", "github": "integration_auth", "token": "integration_auth",
        "hmac": "integration_auth", "basic": "basic"}

    body = b'{"ref": "refs/heads/main"}'
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    signed = WebhookRequest(method="POST", headers={"X-Hub-Signature-256": signature, "Authorization": "Basic s3cret"},
                            body=body)
    assert registry.integration_auth_method("basic").verify(signed, "s3cret", None)
    assert not registry.integration_auth_method("basic").verify(signed, "other", None)
    assert registry.integration_auth_method("github").verify(signed, "s3cret", None)
    assert not registry.integration_auth_method("github").verify(signed, "other", None)
    with pytest.raises(ValidationError) as error:
        registry.integration_auth_method("oauth")
    assert error.value.field == "auth_method"
