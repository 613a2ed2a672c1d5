"""create_app(config) -> the Flask application; all plugin wiring happens here."""

from __future__ import annotations

import base64

from flask import Flask

from semaphore import web
from semaphore.api import register_api
from semaphore.api.authn import install_authentication
from semaphore.api.context import install_db_session
from semaphore.api.errors import install_error_handlers
from semaphore.config import Config
from semaphore.crypto import SecretBox
from semaphore.db.engine import Database
from semaphore.generated_secrets import ensure_secrets
from semaphore.live import LiveHub
from semaphore.plugins import Plugins, build_plugins
from semaphore.registry import Registry
from semaphore.state import AppState
from semaphore.task_listeners import subscribe_builtin_listeners
from semaphore.trusted_proxies import TrustedProxies, parse_networks


def create_app(config: Config, *, entry_points: bool = True, plugins: Plugins | None = None,
               database: Database | None = None) -> Flask:
    """Build the application. Tests pass ``entry_points=False`` (or their own ``plugins``) to
    get an app with built-ins only, and may share one ``database`` between apps."""
    ensure_secrets(config)
    plugins = plugins or build_plugins(config, entry_points=entry_points)
    registry = Registry(plugins)
    config.plugin_sections.load(registry.settings)  # a bad value of a plugin's setting stops the start
    db = database or Database.from_config(config)
    state = AppState(config=config, db=db, plugins=plugins, registry=registry,
                     secrets=SecretBox.from_config_value(config.access_key_encryption), live=LiveHub(db))

    app = Flask(__name__, static_folder=None)  # static files come from the web blueprint
    app.config["SECRET_KEY"] = base64.b64decode(config.cookie_hash)
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    app.url_map.strict_slashes = False  # /api/user and /api/user/ both work, as in the original
    app.extensions["semaphore"] = state
    app.wsgi_app = TrustedProxies(app.wsgi_app, parse_networks(config.trusted_proxies))  # type: ignore[method-assign]

    install_db_session(app)
    install_authentication(app)
    install_error_handlers(app)
    register_api(app)
    app.register_blueprint(web.blp)
    registry.add_blueprints(app)
    subscribe_builtin_listeners(app)
    return app
