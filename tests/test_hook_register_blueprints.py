"""register_blueprints: a plugin's routes are served by the application."""

from __future__ import annotations

import pytest
from flask import Blueprint

from semaphore import hookimpl


@pytest.fixture
def dialect():
    return "sqlite"  # registration does not depend on the database


class StatusPagePlugin:
    @hookimpl
    def register_blueprints(self, app):
        blueprint = Blueprint("status_page", __name__, url_prefix="/plugins/status_page")
        blueprint.add_url_rule("/", "index", lambda: {"ok": True, "server": app.name})
        app.register_blueprint(blueprint)


def test_hook_register_blueprints(plugin_app):
    app = plugin_app(status_page=StatusPagePlugin())
    response = app.test_client().get("/plugins/status_page/")
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "server": app.name}
    assert app.test_client().get("/plugins/nothing_here/").status_code == 404
