"""The front door's modules that executors and notifiers use stay cheap to import: a plugin that
needs only them does not load the web stack or the database layer (docs/writing-plugins.md,
section 2)."""

from __future__ import annotations

import pytest

from semaphore.plugin_testing import imported_top_level_modules

WEB_AND_DATABASE = {"flask", "flask_login", "flask_smorest", "marshmallow", "sqlalchemy", "werkzeug"}


@pytest.mark.parametrize("module", ["semaphore", "semaphore.plugin_api", "semaphore.plugin_api.errors",
                                    "semaphore.plugin_api.executors", "semaphore.plugin_api.alerts",
                                    "semaphore.plugin_api.claims"])
def test_light_front_door_modules_load_neither_the_web_stack_nor_the_database(module):
    assert imported_top_level_modules(module) & WEB_AND_DATABASE == set()
