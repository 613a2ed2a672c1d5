"""register_integration_matchers: built-in header/body matchers plus a plugin's own."""

from __future__ import annotations

import pytest

from semaphore import IntegrationMatcher, WebhookRequest, hookimpl
from semaphore.errors import ValidationError


@pytest.fixture
def dialect():
    return "sqlite"  # registration does not depend on the database


class MethodMatcher(IntegrationMatcher):
    match_type = "method"

    def value(self, request, key, body_data_type):
        return request.method


class MethodPlugin:
    @hookimpl
    def register_integration_matchers(self, register):
        register(MethodMatcher())


def test_hook_register_integration_matchers(plugin_app):
    registry = plugin_app(method=MethodPlugin()).extensions["semaphore"].registry
    assert {k: m.plugin for k, m in registry.integration_matchers.items()} == {
        "header": "integration_matchers", "body": "integration_matchers", "method": "method"}

    request = WebhookRequest(method="POST", headers={"X-Event": "push"}, body=b'{"ref": "refs/heads/main"}')
    assert registry.integration_matcher("method").value(request, "", "json") == "POST"
    assert registry.integration_matcher("header").value(request, "x-event", "") == "push"
    assert registry.integration_matcher("body").value(request, "ref", "json") == "refs/heads/main"
    with pytest.raises(ValidationError) as error:
        registry.integration_matcher("query")
    assert error.value.field == "match_type" and "'method'" in str(error.value)
