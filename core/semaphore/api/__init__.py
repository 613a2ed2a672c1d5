"""The REST API under /api: one blueprint per resource, plus the OpenAPI document."""

from __future__ import annotations

import importlib

import swagger_ui_bundle
from flask import Flask, Response, send_from_directory
from werkzeug.routing import IntegerConverter

from semaphore.api.errors import SemaphoreApi
from semaphore.api.guards import install_guards, public
from semaphore.api.json_depth import install_json_depth_limit
from semaphore.schemas.base import MAX_INT
from semaphore.version import __version__

# Resource modules, each exposing ``blp`` (a semaphore.api.blueprint.Blueprint).
RESOURCE_MODULES = (
    "system", "auth", "user", "users", "totp", "projects", "members", "keys", "repositories", "inventories",
    "environments", "templates", "views", "schedules", "tasks", "integrations", "webhooks", "events", "ws",
    "apps", "options", "task_queue", "runners", "project_runners", "runner_protocol", "nodes",
)

SWAGGER_ASSETS = "/api/swagger-ui/"


class IdConverter(IntegerConverter):
    """``<int:...>`` in URLs: a number beyond the databases' integer range matches no route (404)
    instead of failing in the database driver (500)."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def register_api(app: Flask) -> SemaphoreApi:
    app.config.update(
        API_TITLE="Semaphore",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/swagger",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS,
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {
                "cookie": {"type": "apiKey", "in": "cookie", "name": "semaphore_session"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "runnerToken": {"type": "apiKey", "in": "header", "name": "X-Runner-Token"},
            }},
            "security": [{"cookie": []}, {"bearer": []}],
        },
    )
    app.url_map.converters["int"] = IdConverter
    install_guards(app)
    install_json_depth_limit(app)

    @app.after_request
    def no_sniffing(response: Response) -> Response:
        # Task output, backups and plugin pages carry text a user wrote: never let a browser run it.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    api = SemaphoreApi(app)
    for name in RESOURCE_MODULES:
        module = importlib.import_module(f"semaphore.api.{name}")
        api.register_blueprint(module.blp)

    @app.get(SWAGGER_ASSETS + "<path:filename>")
    @public
    def swagger_assets(filename: str):  # type: ignore[no-untyped-def]
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    return api
