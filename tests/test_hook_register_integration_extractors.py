"""register_integration_extractors: built-in header/body extractors plus a plugin's own."""

from __future__ import annotations

import pytest

from semaphore import IntegrationExtractor, WebhookRequest, hookimpl
from semaphore.errors import ValidationError


@pytest.fixture
def dialect():
    return "sqlite"  # registration does not depend on the database


class BodyLength(IntegrationExtractor):
    value_source = "body_length"

    def extract(self, request, key, body_data_type):
        return str(len(request.body))


class BodyLengthPlugin:
    @hookimpl
    def register_integration_extractors(self, register):
        register(BodyLength())


def test_hook_register_integration_extractors(plugin_app):
    registry = plugin_app(length=BodyLengthPlugin()).extensions["semaphore"].registry
    assert {k: e.plugin for k, e in registry.integration_extractors.items()} == {
        "header": "integration_matchers", "body": "integration_matchers", "body_length": "length"}

    request = WebhookRequest(method="POST", headers={"X-Commit": "abc123"},
                             body=b'{"head_commit": {"id": "abc123"}}')
    assert registry.integration_extractor("body_length").extract(request, "", "json") == "33"
    assert registry.integration_extractor("header").extract(request, "X-Commit", "") == "abc123"
    assert registry.integration_extractor("body").extract(request, "head_commit.id", "json") == "abc123"
    with pytest.raises(ValidationError) as error:
        registry.integration_extractor("cookie")
    assert error.value.field == "value_source"
