"""register_executors: a plugin's executor becomes a template app."""

from __future__ import annotations

import re

import pytest

from semaphore import Executor, hookimpl
from semaphore.plugin_api.errors import ValidationError
from semaphore.testing import create_user_row, log_in


@pytest.fixture
def dialect():
    return "sqlite"  # registration does not depend on the database


class Make(Executor):
    """Runs a make target of the template's repository."""

    app_id = "make"
    title = "Make"
    icon = "hammer"

    def validate_template(self, template):
        if not re.fullmatch(r"[\w.-]+", template["playbook"]):
            raise ValidationError("must be a make target", field="playbook")


class MakePlugin:
    @hookimpl
    def register_executors(self, register):
        register(Make())


def test_hook_register_executors(plugin_app):
    app = plugin_app(make=MakePlugin())
    registry = app.extensions["semaphore"].registry
    assert registry.executor("make").plugin == "make"
    registry.executor("make").validate_template({"playbook": "release"})
    with pytest.raises(ValidationError, match="must be a make target") as error:
        registry.executor("make").validate_template({"playbook": "release; rm -rf /"})
    assert error.value.field == "playbook"
    with pytest.raises(ValidationError, match=r"no executor 'nope' is installed \(available: .*'make'"):
        registry.executor("nope")

    create_user_row(app, "ann")
    client = log_in(app.test_client(), "ann")
    apps = {a["id"]: a for a in client.get("/api/apps").get_json()}
    assert apps["make"]["title"] == "Make" and apps["make"]["icon"] == "hammer"
    assert (apps["make"]["installed"], apps["make"]["active"], apps["make"]["plugin"]) == (True, True, "make")
    plugins = {p["name"]: p for p in client.get("/api/plugins").get_json()}
    assert plugins["make"]["hooks"] == ["register_executors"]
